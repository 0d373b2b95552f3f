package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"grassroots/internal/access"
)

// ImportJob is an import running in the background, for the web page that
// shows its progress. Jobs live in the memory of the instance that runs
// them; the status page is polled on the same instance (the result itself
// is in the database: the list's new version).
type ImportJob struct {
	ID     string
	List   ListKind
	UserID int64
	Phase  string // checking, writing, done, failed
	Done   int
	Total  int
	// Rows is the number of rows in the file, as read (Total counts the
	// phase's own steps: the rows checked, then the list items written).
	Rows      int
	Result    ImportResult
	Errors    []RowError
	Message   string
	StartedAt time.Time
	Finished  bool
}

// Percent is how far the job has come, 0–100.
func (j ImportJob) Percent() int {
	if j.Finished {
		return 100
	}
	if j.Total == 0 {
		return 0
	}
	p := j.Done * 100 / j.Total
	if j.Phase == "checking" {
		return p / 4
	}
	return 25 + p*3/4
}

// StartImport runs Import in the background and returns the job's id at
// once; ImportStatus reports its progress. The job outlives the request that
// started it (it runs with its own context, bounded to ten minutes).
func (s *Service) StartImport(actor access.Actor, list ListKind, rows []ImportRow, opts ImportOptions) (string, error) {
	if err := mustEdit(actor); err != nil {
		return "", err
	}
	s.jobs.mu.Lock()
	s.jobs.seq++
	id := fmt.Sprintf("%d-%d", time.Now().UnixNano(), s.jobs.seq)
	job := &ImportJob{ID: id, List: list, UserID: actor.UserID, Phase: "checking", Total: len(rows), Rows: len(rows), StartedAt: s.now()}
	s.jobs.byID[id] = job
	// Keep the memory bounded: forget finished jobs older than an hour.
	for k, j := range s.jobs.byID {
		if j.Finished && time.Since(j.StartedAt) > time.Hour {
			delete(s.jobs.byID, k)
		}
	}
	s.jobs.mu.Unlock()
	opts.Progress = func(phase string, done, total int) {
		s.jobs.mu.Lock()
		job.Phase, job.Done, job.Total = phase, done, total
		s.jobs.mu.Unlock()
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		res, err := s.Import(ctx, actor, list, rows, opts)
		s.jobs.mu.Lock()
		defer s.jobs.mu.Unlock()
		job.Finished, job.Result, job.Done = true, res, job.Total
		var ie *ImportError
		switch {
		case errors.As(err, &ie):
			job.Phase, job.Errors, job.Message = "failed", ie.Errors, ie.Error()
		case err != nil:
			job.Phase = "failed"
			job.Message = userText(err)
			slog.Error("list import failed", "list", list, "err", err)
		default:
			job.Phase = "done"
		}
	}()
	return id, nil
}

// ImportStatus returns a copy of a job's state; only the user who started it
// (or an editor) may see it.
func (s *Service) ImportStatus(actor access.Actor, id string) (ImportJob, bool) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	j, ok := s.jobs.byID[id]
	if !ok || (j.UserID != actor.UserID && !CanEdit(actor)) {
		return ImportJob{}, false
	}
	c := *j
	c.Errors = append([]RowError(nil), j.Errors...)
	return c, true
}
