package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// The audit trail's key and checkpoints (internal/audit; docs/RELIABILITY.md
// "The audit trail").
const (
	// auditKeyName is the audit key's file beside the personal-data key.
	auditKeyName = "grassroots-audit.key"
	// auditCheckpointsName is the checkpoint file beside the key.
	auditCheckpointsName = "grassroots-audit-checkpoints.jsonl"
	// defaultAuditCheckpointInterval is how often the server looks whether
	// the audit trail's head has moved and, if so, appends a checkpoint.
	defaultAuditCheckpointInterval = time.Minute
	// defaultAuditChainInterval bounds how long an audit entry written on
	// PostgreSQL waits unchained (docs/RELIABILITY.md "The audit chain").
	defaultAuditChainInterval = time.Second
)

// auditKeyFile is --audit-key-file, or grassroots-audit.key beside the
// personal-data key file.
func auditKeyFile(cfg *config) string {
	if cfg.AuditKeyFile != "" {
		return cfg.AuditKeyFile
	}
	return filepath.Join(filepath.Dir(cfg.KeyFile), auditKeyName)
}

// addAuditCheckpointsFlag adds --audit-checkpoints to the flags of serve and
// audit verify.
func addAuditCheckpointsFlag(fs *flag.FlagSet, cfg *config) {
	stringFlag(fs, &cfg.AuditCheckpoints, "audit-checkpoints", "GRASSROOTS_AUDIT_CHECKPOINTS", "",
		"file the server appends signed checkpoints of the audit trail to, and audit verify checks the trail against; \"off\" for none (default: "+
			auditCheckpointsName+" beside the audit key file)")
}

// auditCheckpointsFile is --audit-checkpoints ("" when "off"), or the file
// beside the audit key file.
func auditCheckpointsFile(cfg *config) string {
	switch cfg.AuditCheckpoints {
	case "off":
		return ""
	case "":
		return filepath.Join(filepath.Dir(auditKeyFile(cfg)), auditCheckpointsName)
	}
	return cfg.AuditCheckpoints
}

// useAuditKey gives the process the audit key (GRASSROOTS_AUDIT_KEY, or the
// audit key file, created on first start as the personal-data key file is,
// but never for a trail already keyed), so that every command's audit
// entries are keyed, and checks it against the trail's newest entry: an
// instance started with another key must not write on. A configuration
// without any key file (tests that open a database directly) writes
// unkeyed entries.
func useAuditKey(ctx context.Context, cfg *config, db *store.DB) error {
	if cfg.AuditKey == "" && cfg.AuditKeyFile == "" && cfg.KeyFile == "" {
		return audit.SetKey(nil)
	}
	path := auditKeyFile(cfg)
	key, err := loadAuditKey(cfg, path, false)
	if errors.Is(err, fs.ErrNotExist) {
		keyed, kerr := audit.TrailKeyed(ctx, db)
		if kerr != nil {
			return kerr
		}
		if keyed {
			return fmt.Errorf("no audit key at %s, and the audit trail is keyed: copy the installation's audit key file there, or give it with --audit-key-file or %s", path, audit.EnvKey)
		}
		key, err = loadAuditKey(cfg, path, true)
	}
	if err != nil {
		return err
	}
	if err := audit.SetKey(key); err != nil {
		return err
	}
	return audit.CheckKey(ctx, db)
}

// loadAuditKey is the audit key of GRASSROOTS_AUDIT_KEY (cfg.AuditKey) when
// it is set, and otherwise of the file at path (audit.LoadKey).
func loadAuditKey(cfg *config, path string, create bool) ([]byte, error) {
	if cfg.AuditKey != "" {
		key, err := audit.ParseKey(cfg.AuditKey)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, envAuditKey)
		}
		return key, nil
	}
	return audit.LoadKey(path, create)
}

// auditChainJobs is the server's chainer on PostgreSQL (audit.Chain): at
// start (entries a command or a stopped instance left), every
// --audit-chain-interval, and once more at shutdown. Instances take turns by
// an advisory lock. On SQLite entries are chained as they are written.
func (a *app) auditChainJobs() []func(ctx context.Context) {
	if a.db.Dialect != store.Postgres {
		return nil
	}
	chain := func(ctx context.Context) error {
		_, err := audit.Chain(ctx, a.db)
		return err
	}
	run := a.every(a.cfg.auditChainInterval(), "audit chain", chain)
	return []func(ctx context.Context){func(ctx context.Context) {
		run(ctx)
		final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := chain(final); err != nil {
			a.log.Warn("audit chain", "err", err)
		}
	}}
}

// auditCheckpointJobs is the server's checkpoint writer: at start, every
// --audit-checkpoint-interval (a minute by default) when the
// trail's head has moved, and once more at shutdown.
func (a *app) auditCheckpointJobs() []func(ctx context.Context) {
	path := auditCheckpointsFile(a.cfg)
	if path == "" || !audit.HasKey() {
		a.log.Warn("audit checkpoints are off: a removed tail of the audit trail cannot be detected", "audit_checkpoints", a.cfg.AuditCheckpoints)
		return nil
	}
	interval := a.cfg.auditCheckpointInterval()
	c := &audit.Checkpointer{DB: a.db, Path: path}
	step := func(ctx context.Context) error {
		// A checkpoint anchors the chained head: link what waits first
		// (PostgreSQL; at shutdown, after the last requests' entries).
		if a.db.Dialect == store.Postgres {
			if _, err := audit.ChainAll(ctx, a.db); err != nil {
				return err
			}
		}
		_, err := c.Step(ctx)
		return err
	}
	run := a.every(interval, "audit checkpoint", step)
	return []func(ctx context.Context){func(ctx context.Context) {
		run(ctx)
		final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := step(final); err != nil {
			a.log.Warn("audit checkpoint", "err", err)
		}
	}}
}

// runAudit is `grassroots audit verify`: walks the audit trail's chain,
// checking each entry with the audit key, and checks it against the signed
// checkpoints the servers wrote. It reports the first entry that was edited,
// removed or inserted, a removed tail, or a rewritten chain, and then exits
// non-zero.
func runAudit(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fset := newFlags("audit", cfg, "audit verify [flags]")
	addAuditCheckpointsFlag(fset, cfg)
	pos, err := parseArgs(fset, cfg, args)
	if err != nil {
		return err
	}
	if _, _, err := subcommand(fset, pos, map[string][]string{"verify": nil}); err != nil {
		return err
	}
	// Not openDB: verifying must not create an audit key.
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	keyFile := auditKeyFile(cfg)
	key, err := loadAuditKey(cfg, keyFile, false)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(out, "no audit key at %s: only entries from before the audit key can be checked\n", keyFile)
		key = nil
	case err != nil:
		return err
	}
	if err := audit.SetKey(key); err != nil {
		return err
	}
	var cps []audit.Checkpoint
	if path := auditCheckpointsFile(cfg); path != "" {
		cps, err = audit.ReadCheckpoints(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && cfg.AuditCheckpoints == "":
			fmt.Fprintf(out, "no checkpoint file at %s: a removed tail or a rewritten trail cannot be detected\n", path)
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("audit verify: checkpoint file %s does not exist", path)
		case err != nil && key == nil:
			return fmt.Errorf("audit verify: the checkpoints in %s cannot be checked without the audit key %s", path, keyFile)
		case err != nil:
			return fmt.Errorf("audit trail NOT verified: %w", err)
		}
	}
	rep, err := audit.VerifyAgainst(ctx, db, cps)
	if err != nil {
		return fmt.Errorf("audit trail NOT intact after %d good entries: %w", rep.Entries, err)
	}
	fmt.Fprintf(out, "audit trail intact: %d entries verified (%d keyed with the audit key, %d from before it)", rep.Entries, rep.Keyed, rep.Entries-rep.Keyed)
	if rep.Newest != nil {
		fmt.Fprintf(out, ", checked against %d checkpoints (the newest: %s)", rep.Checkpoints, rep.Newest)
	}
	fmt.Fprintln(out)
	if rep.Unchained > 0 {
		fmt.Fprintf(out, "%d newer entries wait to be chained (the oldest written %s, %s ago); their content matches their keyed hash, and a running server links them within seconds\n",
			rep.Unchained, rep.OldestUnchained.UTC().Format(time.RFC3339), time.Since(rep.OldestUnchained).Round(time.Second))
	}
	return nil
}
