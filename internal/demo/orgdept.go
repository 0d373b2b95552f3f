package demo

import (
	"context"
	"fmt"

	"grassroots/internal/org"
	"grassroots/internal/party"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// The demo's county organisation department (县委组织部, among the shipped
// departments since the pairing ledger: org.DeptOrganisation): the demo
// makes sure it is there and names it in the setting party.org_department,
// so that its staff keep the party register. The setting is only written
// while unset: an administrator's choice stands.
const (
	OrgDepartmentCode = org.DeptOrganisation
	OrgDepartmentName = "县委组织部"
)

// OrgDepartment adds the organisation department under county and names it
// in the setting when the setting is unset; it returns the unit code the
// setting names.
func OrgDepartment(ctx context.Context, db *store.DB, o *org.Service, county string) (string, error) {
	cur, err := settings.String(ctx, db, party.SettingOrgDepartment, "")
	if err != nil || cur != "" {
		return cur, err
	}
	if err := o.EnsureDepartments(ctx, county, []org.Department{{Code: OrgDepartmentCode, Name: OrgDepartmentName}}); err != nil {
		return "", fmt.Errorf("demo organisation department: %w", err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return settings.Put(ctx, tx, party.SettingOrgDepartment, OrgDepartmentCode, "demo")
	})
	if err != nil {
		return "", fmt.Errorf("demo organisation department setting: %w", err)
	}
	return OrgDepartmentCode, nil
}
