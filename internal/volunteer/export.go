package volunteer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// CSVHeader is the layout of the export for the national volunteer service
// system (docs/VOLUNTEER.md, "CSV export"): one row per approved entry.
var CSVHeader = []string{"志愿者编号", "姓名", "服务日期", "开始时间", "结束时间", "服务时长（小时）", "服务地点", "服务内容",
	"组织单位", "记录人", "记录类别", "计入星级"}

// ExportCSV writes, as UTF-8 CSV with CSVHeader, the approved entries
// organised in the actor's subtree that started in [from, to), oldest first.
func (s *Service) ExportCSV(ctx context.Context, actor access.Actor, w io.Writer, from, to time.Time) error {
	where, args := actor.SubtreeFilter("e.org_path")
	args = append(args, store.Millis(from), store.Millis(to))
	rows, err := s.db.Query(ctx, `SELECT w.volunteer_no, p.name, e.started_at, e.ended_at, e.minutes, e.place, e.content, u.name,
		e.recorder, e.layer, e.counts FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id
		JOIN people p ON p.id = w.person_id JOIN units u ON u.id = e.org_unit_id
		WHERE `+where+` AND e.status = 'approved' AND e.started_at >= ? AND e.started_at < ? ORDER BY e.started_at, e.id`, args...)
	type row struct {
		start, end    int64
		minutes       int
		layer         string
		counts        bool
		no, name      string
		place, cont   string
		org, recorder string
	}
	all, err := store.Collect(rows, err, func(sc store.Scanner) (row, error) {
		var r row
		err := sc.Scan(&r.no, &r.name, &r.start, &r.end, &r.minutes, &r.place, &r.cont, &r.org, &r.recorder, &r.layer, &r.counts)
		return r, err
	})
	if err != nil {
		return fmt.Errorf("volunteer export: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range all {
		st, en := store.Time(r.start).In(shanghai), store.Time(r.end).In(shanghai)
		layer, counts := "核验", "否"
		if r.layer == Backfilled {
			layer = "补录"
		}
		if r.counts {
			counts = "是"
		}
		if err := cw.Write([]string{r.no, r.name, st.Format("2006-01-02"), st.Format("15:04"), en.Format("15:04"),
			strconv.FormatFloat(float64(r.minutes)/60, 'f', 1, 64), r.place, r.cont, r.org, r.recorder, layer, counts}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
