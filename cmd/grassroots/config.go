package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/audit"
	"grassroots/internal/clientaddr"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// config is every setting, built once per command from its flags and the
// GRASSROOTS_* environment (this file is the only place that reads the
// environment) and passed down. A zero field means the default: tests build
// configs by hand.
type config struct {
	DB        string
	Addr      string
	Demo      bool
	LogFormat string
	KeyFile   string
	// DataDir holds the attachments (--data-dir; default the key file's folder).
	DataDir string
	// DBReplica is a PostgreSQL streaming replica of DB for the reads that
	// tolerate staleness (serve --db-replica, replica_reads.go).
	DBReplica string
	// ReplicaMaxLag is how stale the replica may be, ReplicaCheck how often
	// it is checked.
	ReplicaMaxLag, ReplicaCheck time.Duration
	// AuditKeyFile holds the audit-trail key (--audit-key-file; default
	// beside KeyFile); AuditCheckpoints is the file the server appends the
	// audit trail's checkpoints to (--audit-checkpoints): audit_checkpoints.go.
	AuditKeyFile     string
	AuditCheckpoints string
	// AuditCheckpointInterval is how often the server appends a checkpoint
	// when the trail has grown (--audit-checkpoint-interval).
	AuditCheckpointInterval time.Duration
	// AuditChainInterval is how often the server links the audit entries
	// written unchained on PostgreSQL (--audit-chain-interval).
	AuditChainInterval time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// X-Real-IP and X-Forwarded-Proto are believed (serve --trusted-proxy).
	TrustedProxies []netip.Prefix
	// MetricsAddr serves /metrics on its own listener (serve --metrics-addr).
	MetricsAddr string
	// TLSCert and TLSKey make serve terminate TLS itself.
	TLSCert, TLSKey string
	// TilesDir is the county's own offline map tiles ({z}/{x}/{y}.png).
	TilesDir string
	// DebugAddr serves Go's profiler on this loopback address (--debug-addr).
	DebugAddr string
	// MaxWrites and WriteQueue are the admission limits (admission.go).
	MaxWrites  int
	WriteQueue time.Duration
	// SweepInterval is how often the deadline sweeper runs.
	SweepInterval time.Duration
	// WebhookInterval and WebhookLease are the outbox worker's
	// (integration_cmds.go).
	WebhookInterval, WebhookLease time.Duration
	// DailyHour is the hour (Asia/Shanghai) after which the daily summaries
	// are written (daily_job.go); nil means the default.
	DailyHour *int

	// The secrets come from the environment only, never from a flag (a
	// command line is visible to every user of the machine): Key is
	// GRASSROOTS_KEY, AuditKey GRASSROOTS_AUDIT_KEY, AdminPassword
	// GRASSROOTS_ADMIN_PASSWORD.
	Key, AuditKey, AdminPassword string

	// envErrs are the environment's values that could not be read; the
	// command stops with them (parseFlags).
	envErrs []error
	// envRead are the environment variables the command read without a
	// flag (lookupEnv): its help lists them (newFlags).
	envRead []string
}

// Environment variables read without a flag: secrets.
const (
	envKey           = pii.EnvKey   // GRASSROOTS_KEY
	envAuditKey      = audit.EnvKey // GRASSROOTS_AUDIT_KEY
	envAdminPassword = "GRASSROOTS_ADMIN_PASSWORD"
)

// envOnly describes the settings with no flag, for --help.
var envOnly = map[string]string{
	envKey:           "the personal-data key itself (base64 of 32 bytes, or versioned lines \"vN BASE64\"); wins over --key-file",
	envAuditKey:      "the audit-trail key itself (base64 of 32 bytes); wins over --audit-key-file",
	envAdminPassword: "the first administrator's password (default: random, printed once)",
}

// lookupEnv reads an environment variable that no flag names, and notes it
// so that the command's help lists it. Every read of the environment is
// this or stringFlag, which names its variable in the flag's help
// (TestEveryEnvironmentReadIsInTheHelp).
func (cfg *config) lookupEnv(key string) (string, bool) {
	if !slices.Contains(cfg.envRead, key) {
		cfg.envRead = append(cfg.envRead, key)
	}
	return os.LookupEnv(key)
}

// newFlags returns a flag set with the settings every database command
// shares, and reads the environment-only secrets. Each flag defaults to its
// GRASSROOTS_* environment variable; the flag wins. name is the command
// ("key"), forms its command lines for the help ("key rotate|reseal|status
// [flags]"; default "NAME [flags]").
func newFlags(name string, cfg *config, forms ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Nothing is printed while parsing: run prints the help on standard
	// output when asked for, or the error and the help on standard error.
	fs.SetOutput(io.Discard)
	if len(forms) == 0 {
		forms = []string{name + " [flags]"}
	}
	fs.Usage = func() {
		w := fs.Output()
		if len(forms) == 1 {
			fmt.Fprintf(w, "usage: grassroots %s\n", forms[0])
		} else {
			fmt.Fprintln(w, "usage:")
			for _, f := range forms {
				fmt.Fprintf(w, "  grassroots %s\n", f)
			}
		}
		fmt.Fprintln(w, "\nflags, before or after the arguments (a flag with a variable in brackets defaults to it; the flag wins):")
		fs.PrintDefaults()
		printEnvOnly(w, fs, cfg)
	}
	stringFlag(fs, &cfg.DB, "db", "GRASSROOTS_DB", "data/grassroots.db", "SQLite file path or postgres:// URL")
	stringFlag(fs, &cfg.LogFormat, "log-format", "GRASSROOTS_LOG_FORMAT", "", "log format: text or json (default: text on a terminal, json otherwise)")
	stringFlag(fs, &cfg.KeyFile, "key-file", "GRASSROOTS_KEY_FILE", "", "file holding the personal-data key (default: grassroots.key beside a SQLite database, data/grassroots.key for PostgreSQL)")
	stringFlag(fs, &cfg.AuditKeyFile, "audit-key-file", "GRASSROOTS_AUDIT_KEY_FILE", "", "file holding the audit-trail key (default: "+auditKeyName+" beside the personal-data key file)")
	stringFlag(fs, &cfg.DataDir, "data-dir", "GRASSROOTS_DATA_DIR", "", "folder of the attachments (attachments/) (default: the key file's folder)")
	cfg.Key, _ = cfg.lookupEnv(envKey)
	cfg.AuditKey, _ = cfg.lookupEnv(envAuditKey)
	cfg.AdminPassword, _ = cfg.lookupEnv(envAdminPassword)
	return fs
}

// addNote adds a paragraph at the end of the help of fs.
func addNote(fs *flag.FlagSet, note string) {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(fs.Output(), "\n"+note)
	}
}

// printEnvOnly lists the environment variables the command read that no
// flag's help names.
func printEnvOnly(w io.Writer, fs *flag.FlagSet, cfg *config) {
	var names []string
	for _, name := range cfg.envRead {
		named := false
		fs.VisitAll(func(f *flag.Flag) { named = named || strings.Contains(f.Usage, "("+name+")") })
		if !named {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(w, "\nenvironment only (secrets are never given as flags):")
	for _, name := range names {
		fmt.Fprintf(w, "  %s\n    \t%s\n", name, envOnly[name])
	}
}

// serveFlags is newFlags with the settings of serve.
func serveFlags(cfg *config) *flag.FlagSet {
	fs := newFlags("serve", cfg)
	stringFlag(fs, &cfg.Addr, "addr", "GRASSROOTS_ADDR", "localhost:8080", "address to listen on")
	stringFlag(fs, &cfg.DBReplica, "db-replica", "GRASSROOTS_DB_REPLICA", "", "postgres:// URL of a streaming replica of --db: lists, search, figures, the cockpit and Open311 GET read it while it is within --db-replica-max-lag; a user's own writes are read from the primary until the replica has them (default: none)")
	durationFlag(fs, cfg, &cfg.ReplicaMaxLag, "db-replica-max-lag", "GRASSROOTS_DB_REPLICA_MAX_LAG", defaultReplicaMaxLag,
		"how far the replica may be behind the primary and still take reads; further behind, or gone, reads go to the primary")
	durationFlag(fs, cfg, &cfg.ReplicaCheck, "db-replica-check", "GRASSROOTS_DB_REPLICA_CHECK", defaultReplicaCheck,
		"how often the server checks the replica's lag (two one-row queries)")
	boolFlag(fs, cfg, &cfg.Demo, "demo", "GRASSROOTS_DEMO", "load Pucheng demo data into an empty database")
	addAuditCheckpointsFlag(fs, cfg)
	durationFlag(fs, cfg, &cfg.AuditCheckpointInterval, "audit-checkpoint-interval", "GRASSROOTS_AUDIT_CHECKPOINT_INTERVAL", defaultAuditCheckpointInterval,
		"how often the server appends a checkpoint when the audit trail has grown (also at start and at shutdown)")
	durationFlag(fs, cfg, &cfg.AuditChainInterval, "audit-chain-interval", "GRASSROOTS_AUDIT_CHAIN_INTERVAL", defaultAuditChainInterval,
		"PostgreSQL: how often the server links the audit entries written since (one instance at a time; also at start and at shutdown)")
	fs.Func("trusted-proxy", "reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For, X-Real-IP and X-Forwarded-Proto are believed, such as 127.0.0.1/32 (GRASSROOTS_TRUSTED_PROXIES)",
		cfg.setTrustedProxies)
	if v, ok := cfg.lookupEnv("GRASSROOTS_TRUSTED_PROXIES"); ok {
		cfg.envErr("GRASSROOTS_TRUSTED_PROXIES", v, cfg.setTrustedProxies(v))
	}
	stringFlag(fs, &cfg.MetricsAddr, "metrics-addr", "GRASSROOTS_METRICS_ADDR", "", "serve /metrics on this address only (default: on the main address, to loopback and trusted-proxy peers only)")
	stringFlag(fs, &cfg.TLSCert, "tls-cert", "GRASSROOTS_TLS_CERT", "", "PEM certificate (chain) file: serve HTTPS with --tls-key")
	stringFlag(fs, &cfg.TLSKey, "tls-key", "GRASSROOTS_TLS_KEY", "", "PEM private key file of --tls-cert")
	stringFlag(fs, &cfg.TilesDir, "tiles-dir", "GRASSROOTS_TILES_DIR", "", "folder of the county's own offline map tiles, {z}/{x}/{y}.png (default: maps draw outlines and points only)")
	stringFlag(fs, &cfg.DebugAddr, "debug-addr", "GRASSROOTS_DEBUG_ADDR", "", "serve Go's profiler (/debug/pprof/) on this loopback address, such as 127.0.0.1:6060 (default: off)")
	intFlag(fs, cfg, &cfg.MaxWrites, "max-writes", "GRASSROOTS_MAX_WRITES", defaultMaxWrites, 1, 1<<20,
		"`writes` (POST, PUT, PATCH, DELETE) the server works on at once; more wait their turn")
	durationFlag(fs, cfg, &cfg.WriteQueue, "write-queue", "GRASSROOTS_WRITE_QUEUE", defaultWriteQueue,
		"how long a write waits for its turn before it is refused with 503")
	durationFlag(fs, cfg, &cfg.SweepInterval, "sweep-interval", "GRASSROOTS_SWEEP_INTERVAL", defaultSweepInterval,
		"how often the deadline sweeper looks for due timers")
	durationFlag(fs, cfg, &cfg.WebhookInterval, "webhook-interval", "GRASSROOTS_WEBHOOK_INTERVAL", webhookInterval,
		"how often the outbox worker looks for due webhook deliveries")
	durationFlag(fs, cfg, &cfg.WebhookLease, "webhook-lease", "GRASSROOTS_WEBHOOK_LEASE", webhookLease,
		"how long an instance's claim on a delivery holds before another instance may send it")
	hour := defaultDailyHour
	cfg.DailyHour = &hour
	intFlag(fs, cfg, cfg.DailyHour, "daily-hour", "GRASSROOTS_DAILY_HOUR", defaultDailyHour, 0, 23,
		"`hour` (Asia/Shanghai, 0-23) after which each day's feedback summaries are written")
	return fs
}

// parseFlags parses a command line of flags alone (an argument is a usage
// error) and fills the defaults that depend on other flags.
func parseFlags(fs *flag.FlagSet, cfg *config, args []string) error {
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	return wantArgs(fs, pos)
}

// parseArgs parses args, whose flags may come before, between or after the
// arguments, returns the arguments, and fills the defaults that depend on
// other flags. An environment variable whose value cannot be read stops the
// command, as a bad flag does.
func parseArgs(fs *flag.FlagSet, cfg *config, args []string) ([]string, error) {
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(cfg.envErrs...); err != nil {
		return nil, err
	}
	if cfg.KeyFile == "" {
		dir := "data"
		if !store.IsPostgres(cfg.DB) {
			dir = filepath.Dir(cfg.DB)
		}
		cfg.KeyFile = filepath.Join(dir, "grassroots.key")
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Dir(cfg.KeyFile)
	}
	return pos, nil
}

// parseCommandLine parses the flags among args and returns the other
// arguments. The flag package stops at the first argument that is not a
// flag, so it parses again after each one; "--" ends the flags. --help is
// a helpRequest, a bad flag a usageError.
func parseCommandLine(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequest{usage: usageOf(fs)}
		}
		if err != nil {
			return nil, usageErrorf(fs, "%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// wantArgs checks that pos holds exactly the arguments named.
func wantArgs(fs *flag.FlagSet, pos []string, names ...string) error {
	if len(pos) < len(names) {
		return usageErrorf(fs, "missing %s", strings.Join(names[len(pos):], " "))
	}
	if len(pos) > len(names) {
		return usageErrorf(fs, "unexpected argument %q", pos[len(names)])
	}
	return nil
}

// subcommand checks that pos is one of the command's subcommands (key
// rotate, key status: the keys of verbs) followed by the arguments it takes
// (the names in verbs), and returns the subcommand and its arguments.
func subcommand(fs *flag.FlagSet, pos []string, verbs map[string][]string) (string, []string, error) {
	want := strings.Join(slices.Sorted(maps.Keys(verbs)), ", ")
	if len(pos) == 0 {
		return "", nil, usageErrorf(fs, "missing subcommand (%s)", want)
	}
	names, ok := verbs[pos[0]]
	if !ok {
		return "", nil, usageErrorf(fs, "unknown subcommand %q (want %s)", pos[0], want)
	}
	if err := wantArgs(fs, pos[1:], names...); err != nil {
		return "", nil, err
	}
	return pos[0], pos[1:], nil
}

func (cfg *config) envErr(key, value string, err error) {
	if err != nil {
		cfg.envErrs = append(cfg.envErrs, fmt.Errorf("%s=%q: %w", key, value, err))
	}
}

func (cfg *config) setTrustedProxies(s string) error {
	p, err := clientaddr.ParseTrusted(s)
	if err != nil {
		return err
	}
	cfg.TrustedProxies = p
	return nil
}

// stringFlag defines --name, defaulting to the environment variable key.
func stringFlag(fs *flag.FlagSet, p *string, name, key, def, usage string) {
	if v, ok := os.LookupEnv(key); ok {
		def = v
	}
	fs.StringVar(p, name, def, usage+" ("+key+")")
}

// boolFlag defines --name, on when key is 1, true or yes.
func boolFlag(fs *flag.FlagSet, cfg *config, p *bool, name, key, usage string) {
	def := false
	if v, _ := cfg.lookupEnv(key); v != "" {
		switch strings.ToLower(v) {
		case "1", "true", "yes":
			def = true
		case "0", "false", "no":
		default:
			cfg.envErr(key, v, errors.New("want 1, true or yes (or 0, false, no)"))
		}
	}
	fs.BoolVar(p, name, def, usage+" ("+key+")")
}

// durationFlag defines --name: a positive Go duration ("15s", "1m") or a
// number of seconds, defaulting to key, else def.
func durationFlag(fs *flag.FlagSet, cfg *config, p *time.Duration, name, key string, def time.Duration, usage string) {
	*p = def
	v := (*durationValue)(p)
	if s, ok := cfg.lookupEnv(key); ok && s != "" {
		cfg.envErr(key, s, v.Set(s))
	}
	fs.Var(v, name, usage+"; a `duration` such as 15s or 2m, or seconds ("+key+")")
}

// intFlag defines --name, a whole number from lo to hi, defaulting to key,
// else def; usage names the value in backquotes, as flag.UnquoteUsage reads.
func intFlag(fs *flag.FlagSet, cfg *config, p *int, name, key string, def, lo, hi int, usage string) {
	*p = def
	v := &intValue{p: p, lo: lo, hi: hi}
	if s, ok := cfg.lookupEnv(key); ok && s != "" {
		cfg.envErr(key, s, v.Set(s))
	}
	fs.Var(v, name, usage+" ("+key+")")
}

// durationValue is a positive duration, also given as a number of seconds.
type durationValue time.Duration

func (d *durationValue) String() string {
	if d == nil {
		return ""
	}
	return time.Duration(*d).String()
}

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.ParseFloat(s, 64)
		if err2 != nil {
			return errors.New("want a duration such as 15s or 2m, or a number of seconds")
		}
		v = time.Duration(secs * float64(time.Second))
	}
	if v <= 0 {
		return errors.New("want a positive duration")
	}
	*d = durationValue(v)
	return nil
}

// intValue is a whole number from lo to hi.
type intValue struct {
	p      *int
	lo, hi int
}

func (v *intValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.lo || n > v.hi {
		return fmt.Errorf("want a whole number from %d to %d", v.lo, v.hi)
	}
	*v.p = n
	return nil
}

// The settings' values with their defaults, for configs built by hand
// (tests) or by commands without serve's flags.

func (cfg *config) sweepInterval() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.SweepInterval }, defaultSweepInterval)
}

func (cfg *config) writeQueue() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.WriteQueue }, defaultWriteQueue)
}

func (cfg *config) webhookInterval() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.WebhookInterval }, webhookInterval)
}

func (cfg *config) webhookLease() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.WebhookLease }, webhookLease)
}

func (cfg *config) auditCheckpointInterval() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.AuditCheckpointInterval }, defaultAuditCheckpointInterval)
}

func (cfg *config) auditChainInterval() time.Duration {
	return orDefault(cfg, func(c *config) time.Duration { return c.AuditChainInterval }, defaultAuditChainInterval)
}

func (cfg *config) maxWrites() int {
	return orDefault(cfg, func(c *config) int { return c.MaxWrites }, defaultMaxWrites)
}

func (cfg *config) dailyHour() int {
	if cfg == nil || cfg.DailyHour == nil {
		return defaultDailyHour
	}
	return *cfg.DailyHour
}

// orDefault is field(cfg), or def when cfg is nil or the field is not positive.
func orDefault[T int | time.Duration](cfg *config, field func(*config) T, def T) T {
	if cfg == nil {
		return def
	}
	if v := field(cfg); v > 0 {
		return v
	}
	return def
}
