package casework

import (
	"context"

	"grassroots/internal/access"
)

// FieldOption is one value a flow-specific action field (Needs.Fields) may
// take, as the package that gives the field its meaning offers it.
type FieldOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FieldOptionsFunc lists the values a field may take on case c for actor.
type FieldOptionsFunc func(ctx context.Context, actor access.Actor, c Case) ([]FieldOption, error)

// OfferFieldOptions registers where the values of flow's action field come
// from (internal/civility: the catalogue items an appeal may revise an
// entry to), so that a form offers them as a choice instead of free text.
// The package still checks the value it receives, in its change hook.
// Register while wiring the program, like OnChange.
func (s *Service) OfferFieldOptions(flow, field string, f FieldOptionsFunc) {
	if s.fieldOptions == nil {
		s.fieldOptions = map[[2]string]FieldOptionsFunc{}
	}
	s.fieldOptions[[2]string{flow, field}] = f
}

// FieldOptions lists the values field may take in an action on c; offered
// is false when no package offers them (the field is free text).
func (s *Service) FieldOptions(ctx context.Context, actor access.Actor, c Case, field string) (opts []FieldOption, offered bool, err error) {
	f, ok := s.fieldOptions[[2]string{c.Flow, field}]
	if !ok {
		return nil, false, nil
	}
	opts, err = f(ctx, actor, c)
	return opts, true, err
}
