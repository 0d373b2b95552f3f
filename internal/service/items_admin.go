package service

import (
	"grassroots/internal/access"
	"grassroots/internal/catalog"
)

// CanMaintainItems reports whether actor may create and change service
// items: the items are the county's, so county-level administrators and the
// approval office (县委编办, which keeps the catalogue of matters) maintain
// them; township administrators and window staff read them only.
func CanMaintainItems(actor access.Actor) bool {
	if actor.System {
		return true
	}
	if actor.Anonymous() {
		return false
	}
	if actor.UnitCode == catalog.ApprovalOfficeCode && actor.HasAny(access.RoleAdmin, access.RoleDepartment) {
		return true
	}
	switch actor.UnitKind {
	case "county", "city", "province":
		return actor.Has(access.RoleAdmin)
	}
	return false
}

// InputOf returns the input that saves it unchanged: the edit form's
// starting values.
func InputOf(it Item) ItemInput {
	in := ItemInput{Code: it.Code, Name: it.Name, Kind: it.Kind, Level: it.Level, DeptCode: it.DeptCode, Office: it.Office,
		LegalDays: it.LegalDays, PromisedDays: it.PromisedDays, FeeCents: it.FeeCents, FeeNote: it.FeeNote, Conditions: it.Conditions,
		Online: it.Online, OneVisit: it.OneVisit, Proxy: it.Proxy, Nearby: it.Nearby, Citywide: it.Citywide, CrossRegion: it.CrossRegion,
		Devolved: it.Devolved, Materials: make([]MaterialInput, 0, len(it.Materials))}
	for _, m := range it.Materials {
		in.Materials = append(in.Materials, MaterialInput{Name: m.Name, Form: m.Form, Copies: m.Copies, Required: m.Required, Sample: m.Sample})
	}
	return in
}
