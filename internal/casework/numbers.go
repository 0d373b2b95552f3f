package casework

import (
	"context"
	"fmt"
	"sync"
	"time"

	"grassroots/internal/store"
)

// numberBlock is how many case numbers an instance takes at once on
// PostgreSQL.
const numberBlock = 32

// numberer hands out the running part of case numbers (NNNNN in
// 350722-YYYYMMDD-NNNNN), one counter per county and day (case_counters).
//
// On SQLite the single writer numbers inside the intake's transaction: no
// gaps, and nothing waits but the writer itself. On PostgreSQL an intake
// that bumped the counter inside its own transaction would hold that row's
// lock until it commits, and every other intake of the day would queue
// behind it; so, before its transaction begins, an intake takes its number
// from a block the instance reserved in a short statement of its own. A
// block an instance does not use up (it stops, an intake is refused)
// leaves a gap; a number is never given twice, and the numbers of several
// instances interleave out of time order (docs/RELIABILITY.md).
type numberer struct {
	mu     sync.Mutex
	county string // the county's 6-digit code, read once
	key    string // county/day of the block
	next   int64
	last   int64
}

// caseNumber is a number taken before the intake's transaction (PostgreSQL)
// with the time the case is received; n is 0 when the transaction numbers
// the case itself (SQLite).
type caseNumber struct {
	now    time.Time
	county string
	n      int64
}

// before takes the number of a case received at now, on PostgreSQL; on
// SQLite it returns only now.
func (nb *numberer) before(ctx context.Context, db *store.DB, now time.Time) (caseNumber, error) {
	num := caseNumber{now: now}
	if db.Dialect != store.Postgres {
		return num, nil
	}
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if nb.county == "" {
		county, err := countyUnit(ctx, db)
		if err != nil {
			return num, err
		}
		nb.county = countyCode(county.Code)
	}
	day := now.In(shanghai).Format("20060102")
	key := nb.county + "/" + day
	if nb.key != key || nb.next > nb.last {
		var last int64
		err := db.QueryRow(ctx, `INSERT INTO case_counters (county_code, day, last) VALUES (?, ?, ?)
			ON CONFLICT (county_code, day) DO UPDATE SET last = case_counters.last + ? RETURNING last`, nb.county, day, numberBlock, numberBlock).Scan(&last)
		if err != nil {
			return num, fmt.Errorf("number case: reserve: %w", store.Normalize(err))
		}
		nb.key, nb.next, nb.last = key, last-numberBlock+1, last
	}
	num.county, num.n = nb.county, nb.next
	nb.next++
	return num, nil
}

// inTx numbers a case inside the intake's transaction unless a number was
// taken before it.
func (num caseNumber) inTx(ctx context.Context, tx *store.Tx, cc, day string) (int64, error) {
	if num.n != 0 && num.county == cc {
		return num.n, nil
	}
	var v int64
	err := tx.QueryRow(ctx, `INSERT INTO case_counters (county_code, day, last) VALUES (?, ?, 1)
		ON CONFLICT (county_code, day) DO UPDATE SET last = case_counters.last + 1 RETURNING last`, cc, day).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("number case: %w", store.Normalize(err))
	}
	return v, nil
}
