package casework

import (
	"context"
	"fmt"
)

// DispatchExample is a case whose category a person settled: its words
// (title and body as the resident gave them) and its category code.
type DispatchExample struct {
	Text, Category string
}

// DispatchExamples returns the training examples of smart dispatch
// (internal/dispatch): the newest limit cases with a category that a person
// dispatched at least once — the first dispatch, and the re-dispatch after
// a 退回 that corrected it, both count, and the case's current category is
// the label. Dispatches by the system alone (auto-dispatch) do not teach
// the model what it already believed. A person is a signed-in user, or a
// named actor without an account (the demo's scripted call-takers); the
// system writes its events as "system".
func (s *Service) DispatchExamples(ctx context.Context, limit int) ([]DispatchExample, error) {
	rows, err := s.db.Query(ctx, `SELECT c.title, c.body, k.code FROM cases c JOIN categories k ON k.id = c.category_id
		WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'dispatch'
			AND (e.user_id IS NOT NULL OR e.actor_name NOT IN ('system', ?)))
		ORDER BY c.id DESC LIMIT ?`, autoActor.Name, limit)
	if err != nil {
		return nil, fmt.Errorf("read dispatch examples: %w", err)
	}
	defer rows.Close()
	var out []DispatchExample
	for rows.Next() {
		var title, body, code string
		if err := rows.Scan(&title, &body, &code); err != nil {
			return nil, fmt.Errorf("read dispatch examples: %w", err)
		}
		text := title
		if body != "" {
			text += "\n" + body
		}
		out = append(out, DispatchExample{Text: text, Category: code})
	}
	return out, rows.Err()
}
