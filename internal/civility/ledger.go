package civility

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// The ledger is double-entry: points earned move from the issuing pool
// (an account with no lower bound, whose balance is minus the points ever
// issued) to the person's account; a redemption moves them from the
// person's account to the store's. Every movement names its transfer,
// and every transfer its operator and reason; the movements of a transfer
// sum to zero, and an account's balance is always the sum of its
// movements (LedgerCheck). A person's account never goes below zero.

// leg is one movement of a transfer.
type leg struct {
	account int64
	amount  int64
}

// transfer writes one transfer and its movements, checking each account's
// bounds; a bound crossed refuses the whole transfer.
func transfer(ctx context.Context, tx *store.Tx, kind string, entryID int64, actor access.Actor, reason string, at int64, legs ...leg) (int64, error) {
	var sum int64
	for _, l := range legs {
		sum += l.amount
	}
	if sum != 0 || len(legs) < 2 {
		return 0, fmt.Errorf("civility transfer %s: movements sum to %d", kind, sum)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO civility_transfers (kind, entry_id, operator, operator_user_id, reason, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		kind, store.NullID(entryID), actor.Recorded(), store.NullID(actor.UserID), reason, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("civility transfer %s: %w", kind, store.Normalize(err))
	}
	for _, l := range legs {
		res, err := tx.Exec(ctx, `UPDATE civility_accounts SET balance = balance + ? WHERE id = ?
			AND (min_balance IS NULL OR balance + ? >= min_balance) AND (max_balance IS NULL OR balance + ? <= max_balance)`,
			l.amount, l.account, l.amount, l.amount)
		if err != nil {
			return 0, fmt.Errorf("civility transfer %s: %w", kind, store.Normalize(err))
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if l.amount < 0 {
				return 0, store.Invalid("积分余额不足")
			}
			return 0, store.Invalid("积分将超过账户上限")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO civility_movements (transfer_id, account_id, amount, at) VALUES (?, ?, ?, ?)`, id, l.account, l.amount, at); err != nil {
			return 0, fmt.Errorf("civility movement: %w", store.Normalize(err))
		}
	}
	return id, nil
}

// account is the id of the account found by where (with arg), created by
// create on first use.
func account(ctx context.Context, tx *store.Tx, where string, arg any, create func() (int64, error)) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM civility_accounts WHERE `+where, arg).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(store.Normalize(err), store.ErrNotFound) {
		return 0, fmt.Errorf("civility account: %w", err)
	}
	id, err = create()
	return id, store.Normalize(err)
}

// issueAccount is the issuing pool's account, created on first use.
func issueAccount(ctx context.Context, tx *store.Tx, at int64) (int64, error) {
	return account(ctx, tx, `kind = ?`, "issue", func() (id int64, err error) {
		err = tx.QueryRow(ctx, `INSERT INTO civility_accounts (kind, created_at) VALUES ('issue', ?) RETURNING id`, at).Scan(&id)
		return id, err
	})
}

// personAccount is a person's points account, created on first use with
// the bounds [0, civility.max_balance].
func personAccount(ctx context.Context, tx *store.Tx, personID int64, at int64) (int64, error) {
	return account(ctx, tx, `person_id = ?`, personID, func() (id int64, err error) {
		max, err := settings.Int(ctx, tx, SettingMaxBalance, DefaultMaxBalance)
		if err != nil {
			return 0, err
		}
		err = tx.QueryRow(ctx, `INSERT INTO civility_accounts (kind, person_id, min_balance, max_balance, created_at) VALUES ('person', ?, 0, ?, ?) RETURNING id`,
			personID, max, at).Scan(&id)
		return id, err
	})
}

// storeAccount is a store's takings account.
func storeAccount(ctx context.Context, tx *store.Tx, storeID int64, at int64) (int64, error) {
	return account(ctx, tx, `store_id = ?`, storeID, func() (id int64, err error) {
		err = tx.QueryRow(ctx, `INSERT INTO civility_accounts (kind, store_id, min_balance, created_at) VALUES ('store', ?, 0, ?) RETURNING id`, storeID, at).Scan(&id)
		return id, err
	})
}

// earn credits a positive entry's points to the person, once (the unique
// index civility_transfers_earn_once refuses a second credit).
func (s *Service) earn(ctx context.Context, tx *store.Tx, e Entry, actor access.Actor, reason string, now time.Time) error {
	at := store.Millis(now)
	pool, err := issueAccount(ctx, tx, at)
	if err != nil {
		return err
	}
	acct, err := personAccount(ctx, tx, e.PersonID, at)
	if err != nil {
		return err
	}
	amount := int64(e.Points)
	_, err = transfer(ctx, tx, "earn", e.ID, actor, reason, at, leg{pool, -amount}, leg{acct, amount})
	return err
}

// creditOnConsent credits, when a person consents to scoring (a card issued
// with consent, or consent given later), the points of their positive
// entries that took effect without being credited: while they had not
// consented the records were kept and nothing was scored; once they consent
// their balance is what the same entries would have earned, each by its own
// transfer. It returns how many entries it credited.
func (s *Service) creditOnConsent(ctx context.Context, tx *store.Tx, actor access.Actor, personID int64, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT e.id FROM civility_entries e JOIN civility_items i ON i.id = e.item_id
		WHERE e.person_id = ? AND i.kind = ? AND i.legal_violation = 0 AND e.points > 0 AND e.status IN (?, ?)
		AND NOT EXISTS (SELECT 1 FROM civility_transfers t WHERE t.entry_id = e.id AND t.kind = 'earn') ORDER BY e.effective_at, e.id`,
		personID, Positive, StatusEffective, StatusExpired)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) { var id int64; return id, sc.Scan(&id) })
	if err != nil {
		return 0, fmt.Errorf("credit on consent of person %d: %w", personID, err)
	}
	for _, id := range ids {
		e, err := loadEntry(ctx, tx, id)
		if err != nil {
			return 0, err
		}
		if err := s.earn(ctx, tx, e, actor, e.Item.Code+" "+e.Item.Name+"（同意计分后补记）", now); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Movement is one line of an account's statement.
type Movement struct {
	TransferID int64  `json:"transfer_id"`
	Kind       string `json:"kind"`
	Amount     int64  `json:"amount"`
	Operator   string `json:"operator"`
	Reason     string `json:"reason"`
	At         int64  `json:"at"`
}

// LedgerProblem is an account whose balance is not the sum of its
// movements, or a transfer whose movements do not sum to zero.
type LedgerProblem struct {
	What string
	ID   int64
	Want int64
	Got  int64
}

// LedgerCheck verifies the ledger: every balance equals the sum of its
// account's movements and every transfer sums to zero. It returns the
// problems found (none on a sound ledger).
func (s *Service) LedgerCheck(ctx context.Context) ([]LedgerProblem, error) {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.balance, COALESCE((SELECT SUM(m.amount) FROM civility_movements m WHERE m.account_id = a.id), 0)
		FROM civility_accounts a ORDER BY a.id`)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (LedgerProblem, error) {
		p := LedgerProblem{What: "account"}
		return p, sc.Scan(&p.ID, &p.Got, &p.Want)
	})
	if err != nil {
		return nil, err
	}
	var bad []LedgerProblem
	for _, p := range out {
		if p.Got != p.Want {
			bad = append(bad, p)
		}
	}
	rows, err = s.db.Query(ctx, `SELECT transfer_id, SUM(amount) FROM civility_movements GROUP BY transfer_id HAVING SUM(amount) <> 0`)
	tr, err := store.Collect(rows, err, func(sc store.Scanner) (LedgerProblem, error) {
		p := LedgerProblem{What: "transfer"}
		return p, sc.Scan(&p.ID, &p.Got)
	})
	if err != nil {
		return nil, err
	}
	return append(bad, tr...), nil
}
