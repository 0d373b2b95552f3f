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
	// verbs are the command's own subcommands (key rotate, key status), so
	// that the command-line test runs each one.
	verbs []string
	run   func(ctx context.Context, cfg *config, args []string, out io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server", nil, runServe},
		{"migrate", "apply database migrations and exit", nil, runMigrate},
		{"user", "user add --username --password --name --unit CODE --role ROLE", []string{"add"}, runUser},
		{"token", "token create --user NAME: print a new API token once", []string{"create"}, runToken},
		{"apikey", "apikey create --name N [--user U]: print a new Open311 api_key once", []string{"create", "list", "revoke"}, runAPIKey},
		{"webhook", "webhook add --url URL --events E,...: register a webhook endpoint", []string{"add", "list"}, runWebhook},
		{"import", "import units FILE.csv | grids FILE.geojson: load a county's divisions or grid boundaries", []string{"units", "grids"}, runImport},
		{"backup", "backup --to FILE: consistent copy of a running SQLite database", nil, runBackup},
		{"restore", "restore --from FILE: put a backup in place (server stopped)", nil, runRestore},
		{"audit", "audit verify: check the audit trail's hash chain", []string{"verify"}, runAudit},
		{"key", "key rotate|reseal|status: rotate the personal-data key without downtime", []string{"rotate", "reseal", "status"}, runKey},
		{"lists", "lists import|export|template KIND FILE.xlsx: the executable lists in Excel", []string{"import", "export", "template"}, runLists},
		{"dispatch", "dispatch train --from FILE.csv --out MODEL | eval --model MODEL --test FILE.csv [--json]", []string{"train", "eval"}, runDispatch},
		{"setting", "setting set [--db ...] KEY VALUE | setting list: the engine's settings (time limits)", []string{"set", "list"}, runSetting},
		{"version", "print the version (also --version)", nil, runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses, as for most Unix commands.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2 // the command line is wrong: nothing was done
)

// cli runs a command line and returns its exit status. A usage error is
// reported with the command's help; any other error on one line.
func cli(ctx context.Context, args []string, out, errOut io.Writer) int {
	err := run(ctx, args, out, errOut)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(errOut, "grassroots:", ue.msg)
		if ue.usage != nil {
			fmt.Fprintln(errOut)
			ue.usage(errOut)
		}
		return exitUsage
	default:
		fmt.Fprintln(errOut, "grassroots:", err)
		return exitFailure
	}
}

// run runs a command line. --help prints the help on out and is no error.
func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return &usageError{msg: "missing command", usage: usage}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(out)
		return nil
	case "help": // help COMMAND is COMMAND --help
		if len(args) == 1 {
			usage(out)
			return nil
		}
		if len(args) > 2 {
			return &usageError{msg: fmt.Sprintf("help: unexpected argument %q", args[2]), usage: usage}
		}
		return run(ctx, []string{args[1], "--help"}, out, errOut)
	case "-version", "--version":
		return runVersion(ctx, nil, args[1:], out)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, nil, args[1:], out)
			var help *helpRequest
			if errors.As(err, &help) {
				help.usage(out)
				return nil
			}
			return err
		}
	}
	if strings.HasPrefix(args[0], "-") {
		return &usageError{msg: fmt.Sprintf("unknown flag %s (flags come after the command)", args[0]), usage: usage}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: usage}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: grassroots COMMAND [arguments and flags, in any order]\n       grassroots --version\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nEvery flag has an environment equivalent (--db is GRASSROOTS_DB, --addr GRASSROOTS_ADDR, ...);\n"+
		"`grassroots COMMAND --help` (or `grassroots help COMMAND`) lists a command's flags, their variables and the environment-only secrets.\n"+
		"Exit status: 0 done, 1 failed, 2 a usage error (nothing was done).")
}

// helpRequest is --help: run prints the command's help on standard output
// and exits 0.
type helpRequest struct{ usage func(io.Writer) }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// usageError is a command line the command cannot take (an unknown flag, an
// argument missing or too many): cli prints it with the command's help on
// standard error and exits 2.
type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return errUsage }

// errUsage is every usageError (errors.Is).
var errUsage = errors.New("usage")

// usageErrorf is a usage error of the command of fs, with its help.
func usageErrorf(fs *flag.FlagSet, format string, args ...any) error {
	return &usageError{msg: fs.Name() + ": " + fmt.Sprintf(format, args...), usage: usageOf(fs)}
}

// usageOf prints the help of fs on a writer.
func usageOf(fs *flag.FlagSet) func(io.Writer) {
	return func(w io.Writer) {
		old := fs.Output()
		fs.SetOutput(w)
		fs.Usage()
		fs.SetOutput(old)
	}
}

// runVersion is `grassroots version`, also `grassroots --version`.
func runVersion(_ context.Context, _ *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: grassroots version (or grassroots --version)\n\nprints the version of this build")
	}
	pos, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos); err != nil {
		return err
	}
	fmt.Fprintln(out, "grassroots", version)
	return nil
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
