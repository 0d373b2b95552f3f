package civility

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// Appeal opens the appeal against a noticed entry: a case of the flow
// civility_appeal at the person's community, whose timeline, deadlines and
// audit the case engine keeps. Staff of the person's community or
// township receive one at the counter; the person appeals on the portal
// with their card (AppealByCard). Only within the appeal window.
func (s *Service) Appeal(ctx context.Context, actor access.Actor, entryID int64, reason string) (Entry, error) {
	e, err := s.entry(ctx, entryID)
	if err != nil {
		return Entry{}, err
	}
	if !staffFor(actor, e.UnitPath, reviewers...) {
		return Entry{}, store.Forbidden("申诉由当事人在门户提出，或由其所在社区、乡镇的工作人员代为受理")
	}
	return s.openAppeal(ctx, actor, e, reason)
}

func (s *Service) openAppeal(ctx context.Context, actor access.Actor, e Entry, reason string) (Entry, error) {
	reason = clean(reason)
	switch {
	case s.cases == nil:
		return Entry{}, errors.New("civility appeal: no case engine")
	case reason == "":
		return Entry{}, store.Invalid("请写明申诉理由")
	case utf8.RuneCountInString(reason) > 2000:
		return Entry{}, store.Invalid("申诉理由不能超过2000字")
	case e.Status == StatusAppealed:
		return Entry{}, store.Conflict("该记录已在申诉复核中")
	case e.AppealCaseNo != "":
		return Entry{}, store.Conflict("该记录已申诉并复核，不能重复申诉")
	case e.Status != StatusNoticed:
		return Entry{}, store.Conflictf("该记录当前为“%s”，不能申诉", StatusText(e.Status))
	case !s.now().Before(e.WindowEndsAt):
		return Entry{}, store.Conflictf("申诉期已于%s结束", e.WindowEndsAt.Format("2006-01-02 15:04"))
	}
	var unitCode string
	if err := s.db.QueryRow(ctx, `SELECT u.code FROM civility_entries e JOIN units u ON u.id = e.unit_id WHERE e.id = ?`, e.ID).Scan(&unitCode); err != nil {
		return Entry{}, fmt.Errorf("appeal of entry %d: %w", e.ID, err)
	}
	_, _, err := s.cases.Create(ctx, actor, casework.NewCase{Flow: AppealFlow, Title: "对文明行为记录" + e.NoticeNo + "的申诉",
		Body: reason, PlaceUnit: unitCode, Source: appealSource, ExternalID: "entry-" + strconv.FormatInt(e.ID, 10),
		ReporterName: e.PersonName})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, e.ID)
}

// onCaseChange ties appeals to entries, inside each change's transaction:
// an appeal case is received only for an entry in its window; a decision
// is refused when taken by the entry's recorder or one of its reviewers
// (someone who did not decide the entry reviews it), and is applied to the
// entry: upheld (the entry takes effect when its window has closed),
// revised (to another item, field "item", or as it stands with the
// reasons), withdrawn.
func (s *Service) onCaseChange(ctx context.Context, tx *store.Tx, ch casework.Change) error {
	if ch.Flow != AppealFlow {
		return nil
	}
	var entryID int64
	if ch.Source == appealSource && strings.HasPrefix(ch.ExternalID, "entry-") {
		entryID, _ = strconv.ParseInt(strings.TrimPrefix(ch.ExternalID, "entry-"), 10, 64)
	}
	if entryID == 0 {
		return store.Invalid("文明行为记录的申诉须从该记录（门户或记录页面）提出")
	}
	e, err := loadEntry(ctx, tx, entryID)
	if err != nil {
		return err
	}
	var userID int64
	var actorName string
	if err := tx.QueryRow(ctx, `SELECT COALESCE(user_id, 0), actor_name FROM case_events WHERE id = ?`, ch.EventID).Scan(&userID, &actorName); err != nil {
		return fmt.Errorf("appeal event %d: %w", ch.EventID, err)
	}
	actor := access.Actor{UserID: userID, Name: actorName}
	switch ch.Action {
	case "receive":
		if e.Status != StatusNoticed || e.AppealCaseNo != "" || !ch.At.Before(e.WindowEndsAt) {
			return store.Conflict("只有申诉期内的已告知记录可以申诉")
		}
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ?, appeal_case_id = ? WHERE id = ?`, StatusAppealed, ch.CaseID, e.ID); err != nil {
			return fmt.Errorf("appeal of entry %d: %w", e.ID, err)
		}
		return history(ctx, tx, e.ID, "appealed", actor, ch.Note, ch.At)
	case "uphold", "revise", "withdraw":
	default:
		return nil
	}
	if userID != 0 {
		if userID == e.RecorderID {
			return store.Forbidden("申诉须由未参与该记录的人复核：登记人不能复核")
		}
		for _, r := range e.Reviews {
			if r.UserID == userID {
				return store.Forbidden("申诉须由未参与该记录的人复核：审核人不能复核")
			}
		}
	}
	if e.Status != StatusAppealed {
		return store.Conflict("该记录不在申诉复核中")
	}
	switch ch.Action {
	case "uphold":
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ? WHERE id = ?`, StatusNoticed, e.ID); err != nil {
			return err
		}
		if err := history(ctx, tx, e.ID, "appeal_upheld", actor, ch.Note, ch.At); err != nil {
			return err
		}
		if !ch.At.Before(e.WindowEndsAt) {
			e.Status = StatusNoticed
			if err := s.takeEffect(ctx, tx, e.ID, actor, ch.At); err != nil {
				return err
			}
		}
	case "revise":
		if _, err := tx.Exec(ctx, `UPDATE civility_entries SET status = ? WHERE id = ?`, StatusNoticed, e.ID); err != nil {
			return err
		}
		if code := reviseItem(ctx, tx, ch.EventID); code != "" {
			it, err := currentItem(ctx, tx, code)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE civility_entries SET item_id = ?, points = ? WHERE id = ?`, it.ID, it.Points, e.ID); err != nil {
				return err
			}
		}
		if err := history(ctx, tx, e.ID, "appeal_revised", actor, ch.Note, ch.At); err != nil {
			return err
		}
		if !ch.At.Before(e.WindowEndsAt) {
			if err := s.takeEffect(ctx, tx, e.ID, actor, ch.At); err != nil {
				return err
			}
		}
	case "withdraw":
		if err := setStatus(ctx, tx, e.ID, StatusWithdrawn, ch.Note, ch.At); err != nil {
			return err
		}
		if err := history(ctx, tx, e.ID, "appeal_withdrawn", actor, ch.Note, ch.At); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.appeal." + ch.Action, Entity: "civility_entry",
		EntityID: strconv.FormatInt(e.ID, 10), After: map[string]any{"note": ch.Note}})
}

// reviseItem is the item code a revision names (the event's field "item").
func reviseItem(ctx context.Context, tx *store.Tx, eventID int64) string {
	var data string
	if err := tx.QueryRow(ctx, `SELECT data_json FROM case_events WHERE id = ?`, eventID).Scan(&data); err != nil {
		return ""
	}
	i := strings.Index(data, `"item":"`)
	if i < 0 {
		return ""
	}
	rest := data[i+len(`"item":"`):]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}
