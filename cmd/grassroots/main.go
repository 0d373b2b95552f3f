// Command grassroots runs the county grassroots-governance platform: the web
// UI, the residents' portal and the JSON API in one binary, on SQLite by
// default or PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"

	"grassroots/internal/store"
)

// version is set by the build (-ldflags "-X main.version=...", make release);
// without it, from Go's build information (version.go).
var version = "dev"

// command is one subcommand.
type command struct {
	name, usage string
	run         func(ctx context.Context, cfg *config, args []string, out io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"user", "user add --username --password --name --unit CODE --role ROLE", runUser},
		{"token", "token create --user NAME: print a new API token once", runToken},
		{"apikey", "apikey create --name N [--user U]: print a new Open311 api_key once", runAPIKey},
		{"webhook", "webhook add --url URL --events E,...: register a webhook endpoint", runWebhook},
		{"import", "import units FILE.csv: load a county's divisions", runImport},
		{"backup", "backup --to FILE: consistent copy of a running SQLite database", runBackup},
		{"restore", "restore --from FILE: put a backup in place (server stopped)", runRestore},
		{"audit", "audit verify: check the audit trail's hash chain", runAudit},
		{"key", "key rotate|reseal|status: rotate the personal-data key without downtime", runKey},
		{"lists", "lists import|export|template KIND FILE.xlsx: the executable lists in Excel", runLists},
		{"setting", "setting set [--db ...] KEY VALUE | setting list: the engine's settings (time limits)", runSetting},
		{"version", "print the version", func(ctx context.Context, cfg *config, args []string, out io.Writer) error {
			fmt.Fprintln(out, "grassroots", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "grassroots:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, nil, args[1:], out)
			if errors.Is(err, flag.ErrHelp) { // --help printed the flags
				return nil
			}
			return err
		}
	}
	usage(errOut)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: grassroots COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nEvery flag has an environment equivalent (--db is GRASSROOTS_DB, --addr GRASSROOTS_ADDR, ...);\n`grassroots COMMAND --help` lists a command's flags, their variables and the environment-only secrets.")
}

// newLogger logs text on a terminal and JSON otherwise, unless told.
func newLogger(format string, w *os.File) *slog.Logger {
	if format == "" {
		format = "json"
		if isatty.IsTerminal(w.Fd()) {
			format = "text"
		}
	}
	// requestIDHandler adds the request id to a request's lines.
	if format == "json" {
		return slog.New(requestIDHandler{slog.NewJSONHandler(w, nil)})
	}
	return slog.New(requestIDHandler{slog.NewTextHandler(w, nil)})
}

// openDB opens and migrates the configured database, creating the folder of a
// SQLite file, and gives the process the audit key (useAuditKey).
func openDB(ctx context.Context, cfg *config) (*store.DB, error) {
	if !store.IsPostgres(cfg.DB) {
		if err := os.MkdirAll(filepath.Dir(cfg.DB), 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := useAuditKey(ctx, cfg, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func runMigrate(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	if err := parseFlags(newFlags("migrate", cfg), cfg, args); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, latest, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database %s at migration %d of %d\n", redactDSN(cfg.DB), applied, latest)
	return nil
}

// redactDSN hides a password in a postgres URL for printing.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.Index(dsn[i+3:], "@"); at >= 0 {
			cred := dsn[i+3 : i+3+at]
			if u, _, ok := strings.Cut(cred, ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[i+3+at:]
			}
		}
	}
	return dsn
}

var errUsage = errors.New("usage")
