package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// Settings of smart dispatch.
const (
	// SettingGate is the confidence (0–1) at or above which a case of an
	// auto-dispatch channel is dispatched without a person.
	SettingGate = "dispatch.gate"
	// SettingRetrain is how often the model is retrained from the county's
	// cases ("24h"; "0" or unset: on demand only).
	SettingRetrain = "dispatch.retrain_every"
	// SettingAutoChannels are the intake channels whose cases are
	// dispatched without a person when the model is sure enough
	// (comma-separated, e.g. "portal,province"; unset: none).
	SettingAutoChannels = "dispatch.auto_channels"
)

// AutoChannels are the channels auto-dispatch may be set for.
var AutoChannels = []string{"portal", "province", "api", "phone"}

// Choice is the model's decision for a case of an auto-dispatch channel.
type Choice struct {
	Label      string
	Confidence float64
	Gate       float64
	ModelID    int64
}

// Auto decides whether a case that came in through channel with text
// should be dispatched without a person: the channel is one of the
// county's auto-dispatch channels, a model is in use, and its top
// suggestion's confidence reaches the gate. ok is false otherwise (the case
// waits for a person).
func (s *Service) Auto(ctx context.Context, q settings.Querier, channel, text string) (Choice, bool, error) {
	chans, err := settings.String(ctx, q, SettingAutoChannels, "")
	if err != nil || !slices.Contains(splitList(chans), channel) {
		return Choice{}, false, err
	}
	m, id := s.Model()
	if m == nil {
		return Choice{}, false, nil
	}
	gate, err := s.Gate(ctx, q)
	if err != nil {
		return Choice{}, false, err
	}
	top := m.Top(text, 1)
	if len(top) == 0 || top[0].Confidence < gate {
		return Choice{}, false, nil
	}
	return Choice{Label: top[0].Label, Confidence: top[0].Confidence, Gate: gate, ModelID: id}, true, nil
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Source gives the labelled examples to train on: the county's cases whose
// category a person settled by dispatching them (casework.DispatchExamples).
type Source func(ctx context.Context) ([]Example, error)

// Record is a stored model: when it was trained, on how much, its size and
// its cross-validated quality (nil when there were too few examples to
// measure).
type Record struct {
	ID        int64     `json:"id"`
	Format    int       `json:"format"`
	TrainedAt time.Time `json:"trained_at"`
	TrainedBy string    `json:"trained_by"`
	Examples  int       `json:"examples"`
	Classes   int       `json:"classes"`
	Size      int       `json:"size"`
	Quality   *Metrics  `json:"quality"`
	Active    bool      `json:"active"`
}

// Service keeps the model in use and trains new ones from the county's
// cases. Suggest never waits for training: a new model replaces the old one
// when it is stored.
type Service struct {
	db     *store.DB
	log    *slog.Logger
	source Source
	now    func() time.Time

	mu       sync.RWMutex
	cur      *Model
	curID    int64
	training atomic.Bool
	wg       sync.WaitGroup
}

// NewService returns the service; call Load to put the stored active model
// in use.
func NewService(db *store.DB, log *slog.Logger, source Source) *Service {
	return &Service{db: db, log: log, source: source, now: time.Now}
}

// Load reads the active model from the database (none yet is no error).
func (s *Service) Load(ctx context.Context) error {
	var id int64
	var b []byte
	err := s.db.QueryRow(ctx, `SELECT id, model FROM dispatch_models WHERE active = 1`).Scan(&id, &b)
	if err != nil {
		if err = store.Normalize(err); errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("load dispatch model: %w", err)
	}
	m, err := Load(b)
	if err != nil {
		return fmt.Errorf("dispatch model %d: %w", id, err)
	}
	s.use(m, id)
	return nil
}

func (s *Service) use(m *Model, id int64) {
	s.mu.Lock()
	s.cur, s.curID = m, id
	s.mu.Unlock()
}

// Model returns the model in use and its id (nil, 0 when none).
func (s *Service) Model() (*Model, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur, s.curID
}

// Suggest returns the n most probable categories for text, or nil when no
// model is trained yet.
func (s *Service) Suggest(text string, n int) []Suggestion {
	m, _ := s.Model()
	if m == nil {
		return nil
	}
	return m.Top(text, n)
}

// Gate reads the county's gate (DefaultGate when unset).
func (s *Service) Gate(ctx context.Context, q settings.Querier) (float64, error) {
	v, err := settings.String(ctx, q, SettingGate, "")
	if err != nil || v == "" {
		return DefaultGate, err
	}
	g, err := strconv.ParseFloat(v, 64)
	if err != nil || g <= 0 || g > 1 {
		return DefaultGate, fmt.Errorf("setting %s: %q is not a confidence between 0 and 1", SettingGate, v)
	}
	return g, nil
}

// mayManage: the model is the county's, so its administrators (and the
// system's own schedule) train and restore it; a township's administrator
// does not.
func mayManage(actor access.Actor) error {
	if !actor.CountyAdmin() {
		return store.Forbidden("只有县级系统管理员可以训练或恢复派单模型")
	}
	return nil
}

// minMeasure is the fewest examples a model's quality is measured on
// (3-fold cross-validation before the final training).
const minMeasure = 30

// Retrain trains a model from the source's examples, measures it by 3-fold
// cross-validation, stores it and puts it in use. It runs in the caller's
// goroutine; RetrainInBackground runs it beside intake.
func (s *Service) Retrain(ctx context.Context, actor access.Actor, by string) (Record, error) {
	if err := mayManage(actor); err != nil {
		return Record{}, err
	}
	if !s.training.CompareAndSwap(false, true) {
		return Record{}, store.Conflict("派单模型正在训练，请稍后再试")
	}
	defer s.training.Store(false)
	ex, err := s.source(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("dispatch examples: %w", err)
	}
	opt := DefaultOptions()
	opt.Now = s.now
	var quality *Metrics
	if len(ex) >= minMeasure {
		if sc, err := CrossValidate(ex, 3, opt, 1); err == nil {
			m := Measure(sc, DefaultGate)
			if g, err := s.Gate(ctx, s.db); err == nil {
				m = Measure(sc, g)
			}
			quality = &m
		}
	}
	m, err := Train(ex, opt)
	if errors.Is(err, ErrTooFew) {
		return Record{}, store.Invalid("已派发的工单太少，无法训练派单模型（至少需要两个分类的工单）")
	}
	if err != nil {
		return Record{}, err
	}
	b, err := m.Bytes()
	if err != nil {
		return Record{}, err
	}
	rec := Record{Format: FormatVersion, TrainedAt: m.TrainedAt, TrainedBy: by, Examples: m.Examples, Classes: len(m.Classes), Size: len(b), Quality: quality, Active: true}
	var qj []byte
	if quality != nil {
		qj, _ = json.Marshal(quality)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE dispatch_models SET active = 0 WHERE active = 1`); err != nil {
			return fmt.Errorf("retire dispatch model: %w", err)
		}
		err := tx.QueryRow(ctx, `INSERT INTO dispatch_models (format, trained_at, trained_by, examples, classes, size, metrics_json, active, model)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id`, rec.Format, store.Millis(rec.TrainedAt), rec.TrainedBy, rec.Examples, rec.Classes, rec.Size, string(qj), b).Scan(&rec.ID)
		if err != nil {
			return fmt.Errorf("store dispatch model: %w", store.Normalize(err))
		}
		tx.AfterCommit(func() { s.use(m, rec.ID) })
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "dispatch.model.train", Entity: "dispatch_model", EntityID: strconv.FormatInt(rec.ID, 10),
			After: map[string]any{"examples": rec.Examples, "classes": rec.Classes, "size": rec.Size, "trained_by": by}})
	})
	if err != nil {
		return Record{}, err
	}
	s.log.InfoContext(ctx, "dispatch model trained", "model_id", rec.ID, "examples", rec.Examples, "classes", rec.Classes, "size", rec.Size)
	return rec, nil
}

// RetrainInBackground starts Retrain in its own goroutine and reports
// whether it started (false while a training runs). Intake goes on with
// the old model meanwhile.
func (s *Service) RetrainInBackground(actor access.Actor, by string) (bool, error) {
	if err := mayManage(actor); err != nil {
		return false, err
	}
	if s.training.Load() {
		return false, nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if _, err := s.Retrain(context.Background(), actor, by); err != nil && !errors.Is(err, store.ErrConflict) {
			s.log.Error("dispatch model training failed", "err", err)
		}
	}()
	return true, nil
}

// Wait waits for background trainings to end (tests, shutdown).
func (s *Service) Wait() { s.wg.Wait() }

// Training reports whether a training is running.
func (s *Service) Training() bool { return s.training.Load() }

// Models lists the stored models, newest first.
func (s *Service) Models(ctx context.Context, actor access.Actor) ([]Record, error) {
	if err := mayManage(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, format, trained_at, trained_by, examples, classes, size, metrics_json, active FROM dispatch_models ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list dispatch models: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		var qj string
		var active int
		if err := rows.Scan(&r.ID, &r.Format, &at, &r.TrainedBy, &r.Examples, &r.Classes, &r.Size, &qj, &active); err != nil {
			return nil, err
		}
		r.TrainedAt, r.Active = store.Time(at), active == 1
		if qj != "" {
			var m Metrics
			if json.Unmarshal([]byte(qj), &m) == nil {
				r.Quality = &m
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Restore puts the model before the active one back in use (id 0), or the
// stored model id.
func (s *Service) Restore(ctx context.Context, actor access.Actor, id int64) (Record, error) {
	if err := mayManage(actor); err != nil {
		return Record{}, err
	}
	var m *Model
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM dispatch_models WHERE active = 1`).Scan(&cur); err != nil {
			return fmt.Errorf("read active dispatch model: %w", err)
		}
		if id == 0 {
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM dispatch_models WHERE id < ?`, cur).Scan(&id); err != nil {
				return fmt.Errorf("read previous dispatch model: %w", err)
			}
			if id == 0 {
				return store.Invalid("没有可恢复的上一个派单模型")
			}
		}
		var b []byte
		var format int
		err := tx.QueryRow(ctx, `SELECT format, model FROM dispatch_models WHERE id = ?`, id).Scan(&format, &b)
		if err != nil {
			if err = store.Normalize(err); errors.Is(err, store.ErrNotFound) {
				return store.NotFoundf("找不到派单模型 %d", id)
			}
			return fmt.Errorf("read dispatch model %d: %w", id, err)
		}
		if m, err = Load(b); err != nil {
			return store.Invalidf("派单模型 %d 的格式（第%d版）本程序不能读取，请重新训练", id, format)
		}
		if _, err := tx.Exec(ctx, `UPDATE dispatch_models SET active = 0 WHERE active = 1`); err != nil {
			return fmt.Errorf("retire dispatch model: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE dispatch_models SET active = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("activate dispatch model %d: %w", id, err)
		}
		tx.AfterCommit(func() { s.use(m, id) })
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "dispatch.model.restore", Entity: "dispatch_model", EntityID: strconv.FormatInt(id, 10),
			Before: map[string]any{"active": cur}, After: map[string]any{"active": id}})
	})
	if err != nil {
		return Record{}, err
	}
	list, err := s.Models(ctx, actor)
	if err != nil {
		return Record{}, err
	}
	for _, r := range list {
		if r.ID == id {
			return r, nil
		}
	}
	return Record{}, fmt.Errorf("restored dispatch model %d vanished", id)
}

// CheckSetting validates a value of one of the package's settings (nil for
// other keys), so that a bad value is refused when it is set rather than
// ignored when it is read.
func CheckSetting(key, value string) error {
	switch key {
	case SettingGate:
		if g, err := strconv.ParseFloat(value, 64); err != nil || g <= 0 || g > 1 {
			return store.Invalid("派单门槛应为0到1之间的小数，如 0.8")
		}
	case SettingAutoChannels:
		for _, c := range splitList(value) {
			if !slices.Contains(AutoChannels, c) {
				return store.Invalid("自动派单渠道只能是 portal、province、api、phone，用逗号分隔")
			}
		}
	case SettingRetrain:
		if d, err := time.ParseDuration(value); err != nil || d < 0 {
			return store.Invalid("重新训练间隔应为时长，如 24h；0 表示只按需训练")
		}
	}
	return nil
}

// Routed is a suggestion with the unit the lists route its category to
// ("" when they route it nowhere).
type Routed struct {
	Suggestion
	Unit, UnitName string
}

// Router names the unit the lists route a category to.
type Router func(ctx context.Context, category string) (code, name string, err error)

// SuggestRouted returns the n most probable categories for text with the
// unit route gives each (nil without a model). A category route cannot
// place keeps its suggestion with no unit.
func (s *Service) SuggestRouted(ctx context.Context, text string, n int, route Router) ([]Routed, error) {
	var out []Routed
	for _, sg := range s.Suggest(text, n) {
		r := Routed{Suggestion: sg}
		code, name, err := route(ctx, sg.Label)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("route suggested category %s: %w", sg.Label, err)
		}
		r.Unit, r.UnitName = code, name
		out = append(out, r)
	}
	return out, nil
}

// AutoChannelsSetting is the county's auto-dispatch channels as set ("" for
// none).
func (s *Service) AutoChannelsSetting(ctx context.Context, q settings.Querier) (string, error) {
	return settings.String(ctx, q, SettingAutoChannels, "")
}
