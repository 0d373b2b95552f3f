package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"
)

// serveConsole is where serve prints what it tells a person (the address
// it listens on, what it loaded at first start): out itself on a terminal
// (or a test's buffer), else a writer that turns each line into a log
// record on out in the log's format. Under systemd or docker, standard
// output and the log end up in one journal, and a JSON log must stay JSON:
// no plain-text line mixed into it. (The address stays in the record's
// message, "… listening on http://…", for scripts that wait for it.)
func serveConsole(out io.Writer, logFormat string) io.Writer {
	f, ok := out.(*os.File)
	if !ok || isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()) {
		return out
	}
	return &consoleLog{log: newLogger(logFormat, f)}
}

// consoleLog writes each line written to it as an Info record.
type consoleLog struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (c *consoleLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimRight(string(c.buf[:i]), " \t\r"); strings.TrimSpace(line) != "" {
			c.log.Info(line)
		}
		c.buf = c.buf[i+1:]
	}
}

// The files serve leaves secrets in when its standard output is not a
// terminal, in the data folder: the first administrator's password, and
// the demo users' passwords (--demo).
const (
	secretFileName    = "first-admin-password.txt"
	demoUsersFileName = "demo-users.txt"
)

// showSecret tells the operator secret text (a first password): on the
// terminal when serve has one, else in the file name of the data folder,
// readable by its owner alone, never in the log. The log only says where
// the file is; what names the secret in that message.
func showSecret(a *app, out io.Writer, name, what, text string) error {
	if _, isLog := out.(*consoleLog); !isLog || a.cfg == nil || a.cfg.DataDir == "" {
		_, err := io.WriteString(out, text)
		return err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data folder for the %s: %w", what, err)
	}
	path := filepath.Join(a.cfg.DataDir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write the %s: %w", what, err)
	}
	// An older file keeps its mode through O_CREATE: make it private.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write the %s: %w", what, err)
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return fmt.Errorf("write the %s: %w", what, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the %s: %w", what, err)
	}
	a.log.Warn(what+" written to a file readable by this user only: sign in, change the password, delete the file",
		"file", path)
	return nil
}
