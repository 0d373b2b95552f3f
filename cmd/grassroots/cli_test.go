package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cliResult is what a command line did.
type cliResult struct {
	code        int
	out, errOut string
}

// runCLI runs a command line in-process through the dispatcher main uses.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli(context.Background(), args, &out, &errOut)
	return cliResult{code, out.String(), errOut.String()}
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
}

// commandLines are every command and subcommand of the command table, as
// the words that name them ("serve", "key rotate").
func commandLines() [][]string {
	var lines [][]string
	for _, c := range commands() {
		if len(c.verbs) == 0 {
			lines = append(lines, []string{c.name})
		}
		for _, v := range c.verbs {
			lines = append(lines, []string{c.name, v})
		}
	}
	return lines
}

// TestEveryCommandLineConvention runs every command and subcommand of the
// command table with --help (exit 0, the help on standard output), with an
// unknown flag and with arguments too many (exit 2, a one-line error and
// the help on standard error, nothing done), and every command with
// subcommands without one or with an unknown one (exit 2).
func TestEveryCommandLineConvention(t *testing.T) {
	// A usage error must do nothing: not even create the database.
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	t.Setenv("GRASSROOTS_DB", db)
	t.Setenv("GRASSROOTS_KEY_FILE", filepath.Join(dir, "g.key"))

	usageError := func(t *testing.T, r cliResult, msg string) {
		t.Helper()
		first, rest, _ := strings.Cut(r.errOut, "\n")
		if r.code != exitUsage || r.out != "" || !strings.HasPrefix(first, "grassroots: ") || !strings.Contains(first, msg) ||
			!strings.Contains(rest, "usage:") {
			t.Errorf("want exit 2 with an error naming %q and the usage on stderr; got %s", msg, r)
		}
	}
	for _, line := range commandLines() {
		name := strings.Join(line, " ")
		t.Run(name, func(t *testing.T) {
			for _, help := range []string{"--help", "-h", "-help"} {
				r := runCLI(t, append(slices.Clone(line), help)...)
				if r.code != exitOK || !strings.HasPrefix(r.out, "usage:") || !strings.Contains(r.out, "grassroots "+line[0]) ||
					!strings.Contains(r.out, line[len(line)-1]) || r.errOut != "" {
					t.Errorf("%s %s: want exit 0 and the usage on stdout; got %s", name, help, r)
				}
			}
			// The flag is named in the error: the subcommand was accepted.
			usageError(t, runCLI(t, append(slices.Clone(line), "--no-such-flag")...), "no-such-flag")
			usageError(t, runCLI(t, append(slices.Clone(line), "a1", "a2", "a3", "a4", "a5")...), `unexpected argument`)
		})
	}
	for _, c := range commands() {
		if len(c.verbs) == 0 {
			continue
		}
		t.Run(c.name+" without subcommand", func(t *testing.T) {
			usageError(t, runCLI(t, c.name), "missing subcommand")
			// The command takes the subcommands of the table, no other.
			want := fmt.Sprintf(`unknown subcommand "no-such-subcommand" (want %s)`, strings.Join(slices.Sorted(slices.Values(c.verbs)), ", "))
			usageError(t, runCLI(t, c.name, "no-such-subcommand"), want)
			if r, want := runCLI(t, "help", c.name), runCLI(t, c.name, "--help"); r != want {
				t.Errorf("help %s and %s --help differ:\n%s\n%s", c.name, c.name, r, want)
			}
		})
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error or --help touched the database: %v", err)
	}
}

// TestTopLevelCommandLine: the help, the version and the usage errors of
// grassroots itself.
func TestTopLevelCommandLine(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runCLI(t, args...)
		if r.code != exitOK || !strings.Contains(r.out, "commands:") || !strings.Contains(r.out, "Exit status") || r.errOut != "" {
			t.Errorf("%v: %s", args, r)
		}
	}
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		r := runCLI(t, args...)
		if r.code != exitOK || r.out != "grassroots "+version+"\n" || r.errOut != "" {
			t.Errorf("%v: %s", args, r)
		}
	}
	for _, args := range [][]string{{}, {"nonsense"}, {"--nonsense"}, {"help", "key", "rotate"}, {"--version", "extra"}} {
		r := runCLI(t, args...)
		if r.code != exitUsage || r.out != "" || !strings.Contains(r.errOut, "usage:") {
			t.Errorf("%v: want exit 2 and the usage on stderr; got %s", args, r)
		}
	}
}

// TestFlagsAmongArguments: flags may come before, between and after the
// arguments of a command, on both engines.
func TestFlagsAmongArguments(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		key := filepath.Join(dir, "grassroots.key")
		file := filepath.Join(dir, "power.xlsx")
		for _, args := range [][]string{
			{"lists", "export", "--db", dsn, "power", file, "--key-file", key}, // issue 22
			{"lists", "--db", dsn, "export", "power", "--key-file", key, file},
			{"lists", "export", "power", file, "--db", dsn, "--key-file=" + key},
		} {
			os.Remove(file)
			if r := runCLI(t, args...); r.code != exitOK || !strings.Contains(r.out, "exported the power list") {
				t.Errorf("%v: %s", args, r)
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%v: %v", args, err)
			}
		}
		db := []string{"--db", dsn, "--key-file", key}
		if r := runCLI(t, "setting", "--db", dsn, "set", "case.sign_hours", "--key-file", key, "6"); r.code != exitOK {
			t.Errorf("setting set with flags between: %s", r)
		}
		if r := runCLI(t, append([]string{"setting", "list"}, db...)...); r.code != exitOK || !regexp.MustCompile(`case\.sign_hours\s+6`).MatchString(r.out) {
			t.Errorf("setting list: %s", r)
		}
		if r := runCLI(t, "migrate", "--db", dsn, "--key-file", key, "extra"); r.code != exitUsage {
			t.Errorf("migrate with an argument: %s", r)
		}
	})
}

// TestParseCommandLine: the arguments and flags parseCommandLine finds.
func TestParseCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		pos      []string
		db       string
		replace  bool
		wantHelp bool
	}{
		{args: nil, pos: nil},
		{args: []string{"a", "b"}, pos: []string{"a", "b"}},
		{args: []string{"--db", "x", "a", "b"}, pos: []string{"a", "b"}, db: "x"},
		{args: []string{"a", "--db", "x", "b"}, pos: []string{"a", "b"}, db: "x"},
		{args: []string{"a", "b", "-db=x", "--replace"}, pos: []string{"a", "b"}, db: "x", replace: true},
		{args: []string{"--replace", "a", "--", "--db", "-b"}, pos: []string{"a", "--db", "-b"}, replace: true},
		{args: []string{"a", "-", "--db", "x"}, pos: []string{"a", "-"}, db: "x"},
		{args: []string{"a", "--help", "b"}, wantHelp: true},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		db := fs.String("db", "", "")
		replace := fs.Bool("replace", false, "")
		fs.SetOutput(&bytes.Buffer{})
		pos, err := parseCommandLine(fs, tc.args)
		var help *helpRequest
		if tc.wantHelp != errors.As(err, &help) || (!tc.wantHelp && err != nil) {
			t.Errorf("%q: error %v", tc.args, err)
			continue
		}
		if !slices.Equal(pos, tc.pos) || *db != tc.db || *replace != tc.replace {
			t.Errorf("%q: arguments %q, --db %q, --replace %v; want %q, %q, %v", tc.args, pos, *db, *replace, tc.pos, tc.db, tc.replace)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	if _, err := parseCommandLine(fs, []string{"a", "--nope"}); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag after an argument: %v, want a usage error", err)
	}
}

// TestEveryEnvironmentReadIsInTheHelp: in config.go, the one file that
// reads the environment (TestEnvironmentReadInOnePlace), only lookupEnv,
// which notes the variable for the help, and stringFlag, which names it in
// the flag's help, read it; and a variable noted by lookupEnv is in the
// help. So every command's help lists what it reads.
func TestEveryEnvironmentReadIsInTheHelp(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "os" && slices.Contains([]string{"Getenv", "LookupEnv", "Environ"}, sel.Sel.Name) &&
				fn.Name.Name != "lookupEnv" && fn.Name.Name != "stringFlag" {
				t.Errorf("%s: os.%s in %s: read the environment with cfg.lookupEnv, so that the help lists the variable", fset.Position(sel.Pos()), sel.Sel.Name, fn.Name.Name)
			}
			return true
		})
	}

	cfg := &config{}
	fs := newFlags("test", cfg)
	stringFlag(fs, new(string), "flagged", "GRASSROOTS_TEST_FLAGGED", "", "a setting with a flag")
	cfg.lookupEnv("GRASSROOTS_TEST_UNFLAGGED")
	var help bytes.Buffer
	usageOf(fs)(&help)
	for _, name := range []string{"GRASSROOTS_DB", "GRASSROOTS_TEST_FLAGGED", "GRASSROOTS_TEST_UNFLAGGED", envKey, envAuditKey, envAdminPassword} {
		if n := len(regexp.MustCompile(`\b`+name+`\b`).FindAllString(help.String(), -1)); n != 1 {
			t.Errorf("%s is %d times in the help, want once:\n%s", name, n, help.String())
		}
	}

	// And each command's help names the variables all database commands read.
	for _, line := range commandLines() {
		if line[0] == "version" {
			continue
		}
		r := runCLI(t, append(slices.Clone(line), "--help")...)
		for _, name := range []string{"GRASSROOTS_DB", "GRASSROOTS_KEY_FILE", envKey, envAuditKey} {
			if !regexp.MustCompile(`\b` + name + `\b`).MatchString(r.out) {
				t.Errorf("%s --help does not list %s", strings.Join(line, " "), name)
			}
		}
	}
}

// TestExitStatus runs the built binary: 0 when done, 1 when the command
// failed, 2 for a usage error.
func TestExitStatus(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--version"}, exitOK},
		{[]string{"serve", "--help"}, exitOK},
		{[]string{"lists", "template", "power", filepath.Join(dir, "t.xlsx")}, exitOK},
		{[]string{"backup", "--db", filepath.Join(dir, "none.db"), "--to", filepath.Join(dir, "b.db")}, exitFailure},
		{[]string{"backup", "--db", "postgres://nowhere/x", "--to", filepath.Join(dir, "c.db")}, exitFailure},
		{[]string{"serve", "--no-such-flag"}, exitUsage},
		{[]string{"lists", "export", "power"}, exitUsage},
		{nil, exitUsage},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GRASSROOTS_DB="+filepath.Join(dir, "env.db"))
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("grassroots %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
		}
	}
}
