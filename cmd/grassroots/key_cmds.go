package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/trust"
)

// runKey is `grassroots key rotate|reseal|status`.
//
//	rotate  adds a new key version to the key file, waits until running
//	        servers seal with it, then re-seals every sealed column in
//	        batches, without downtime: servers read both versions throughout.
//	reseal  only re-seals (after a new version was added to GRASSROOTS_KEY on
//	        every instance by hand).
//	status  shows the key versions and how many values each column still
//	        holds under an older version.
func runKey(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("key", cfg, "key rotate|reseal|status [flags]")
	addNote(fs, "rotate adds a key version to the key file, waits --wait for running servers to seal with it, and re-seals every sealed value;\n"+
		"reseal only re-seals (after a version was added to GRASSROOTS_KEY by hand); status shows the versions in use.")
	batch := fs.Int("batch", 500, "rows re-sealed per transaction")
	wait := fs.Duration("wait", pii.KeyReloadInterval+time.Second, "how long running servers need to notice the new key version (rotate)")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	cmd, _, err := subcommand(fs, pos, map[string][]string{"rotate": nil, "reseal": nil, "status": nil})
	if err != nil {
		return err
	}
	fromEnv := cfg.Key != ""
	if cmd == "rotate" {
		if fromEnv {
			return errors.New("key rotate: the key comes from GRASSROOTS_KEY, which this command cannot change: " +
				"add a line \"vN BASE64\" (grassroots key status shows the versions) to GRASSROOTS_KEY on every instance, restart them one by one, then run `grassroots key reseal`")
		}
		if _, err := os.Stat(cfg.KeyFile); err != nil {
			return fmt.Errorf("key rotate: key file %s: %w", cfg.KeyFile, err)
		}
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if cmd == "rotate" {
		v, err := pii.AddKeyVersion(cfg.KeyFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "added key version %s to %s; waiting %s for running servers to seal with it\n", v, cfg.KeyFile, *wait)
		select {
		case <-time.After(*wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sealer, err := pii.FromKeyOrFile(cfg.Key, cfg.KeyFile)
	if err != nil {
		return err
	}
	if cmd == "status" {
		return keyStatus(ctx, db, sealer, out)
	}
	return reseal(ctx, db, sealer, *batch, out)
}

// reseal re-seals until a pass finds nothing left to change (a server that
// had not yet noticed the new version may have sealed a value meanwhile),
// and records the rotation in the audit trail.
func reseal(ctx context.Context, db *store.DB, sealer *pii.Sealer, batch int, out io.Writer) error {
	total := map[string]int{}
	failed := map[string]int{}
	for pass := 1; ; pass++ {
		res, err := trust.Reseal(ctx, db, sealer, batch, func(col trust.SealedColumn, done int) {
			fmt.Fprintf(out, "  pass %d: %s %d re-sealed\n", pass, col, done)
		})
		if err != nil {
			return fmt.Errorf("key %s: %w", sealer.CurrentVersion(), err)
		}
		for k, v := range res.Resealed {
			total[k] += v
		}
		for k, v := range res.Failed {
			failed[k] = v // the last pass counts what is still unreadable
		}
		if res.Total() == 0 || pass >= 10 {
			break
		}
	}
	n := 0
	for _, v := range total {
		n += v
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "pii.key.reseal", Entity: "key", EntityID: sealer.CurrentVersion(),
			After: map[string]any{"resealed": total, "unreadable": failed}})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "every sealed value is now under key %s (%d re-sealed)\n", sealer.CurrentVersion(), n)
	bad := 0
	for col, v := range failed {
		if v > 0 {
			bad += v
			fmt.Fprintf(out, "  %s: %d values could not be opened with any key version and were left as they were\n", col, v)
		}
	}
	if bad > 0 {
		return fmt.Errorf("key reseal: %d values could not be opened", bad)
	}
	return nil
}

func keyStatus(ctx context.Context, db *store.DB, sealer *pii.Sealer, out io.Writer) error {
	left, err := trust.Remaining(ctx, db, sealer)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "current key version: %s\n", sealer.CurrentVersion())
	cols := make([]string, 0, len(left))
	for c := range left {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		fmt.Fprintf(out, "  %-32s %d values under an older version\n", c, left[c])
	}
	return nil
}
