package volunteer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// RegisterLeader registers a building or street leader (楼栋长/街巷长) as a
// volunteer from their person record in one step, as the reform asks:
// the volunteer record is kept by the leader's unit, and staff of that
// unit or above do it. Registering one already registered returns the
// record.
func (s *Service) RegisterLeader(ctx context.Context, actor access.Actor, personID int64) (Volunteer, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var role string
		var unitID int64
		if err := tx.QueryRow(ctx, `SELECT role, unit_id FROM people WHERE id = ?`, personID).Scan(&role, &unitID); err != nil {
			if errors.Is(store.Normalize(err), store.ErrNotFound) {
				return store.NotFoundf("找不到人员 %d", personID)
			}
			return fmt.Errorf("leader %d: %w", personID, err)
		}
		u, err := unitOf(ctx, tx, unitID)
		if err != nil {
			return err
		}
		if !organiser(actor, u.Path) {
			return store.Forbiddenf("只有%s或其上级的工作人员可以注册志愿者", u.Name)
		}
		if role != "building_leader" && role != "street_leader" {
			return store.Invalid("一键注册只用于楼栋长、街巷长；其他人员请在志愿服务记录中登记")
		}
		if _, err := ensure(ctx, tx, personID, unitID, s.now()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "volunteer.register_leader", Entity: "person", EntityID: strconv.FormatInt(personID, 10),
			After: map[string]any{"volunteer_no": Number(personID), "role": role}})
	})
	if err != nil {
		return Volunteer{}, err
	}
	return volunteerOf(ctx, s.db, personID)
}
