package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/dispatch"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
)

// runSetting sets or lists the engine's settings (time limits such as
// casework.limit.report_in.whistle.street.urgent = 15m). Changes are
// audited and read by running servers at their next action.
func runSetting(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("setting", cfg, "setting set KEY VALUE [flags]", "setting list [flags]")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	verb, rest, err := subcommand(fs, pos, map[string][]string{"set": {"KEY", "VALUE"}, "list": nil})
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "list" {
		all, err := settings.All(ctx, db)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		for _, s := range all {
			fmt.Fprintf(tw, "%s\t%s\n", s.Key, s.Value)
		}
		return tw.Flush()
	}
	key, value := rest[0], rest[1]
	if strings.HasPrefix(key, casework.SettingLimitPrefix) {
		if _, err := casework.ParseLimit(value); err != nil {
			return fmt.Errorf("setting set %s: %w", key, err)
		}
	}
	for _, check := range []func(string, string) error{dispatch.CheckSetting, taskforce.CheckSetting} {
		if err := check(key, value); err != nil {
			msg, _ := store.UserMessage(err)
			return fmt.Errorf("setting set %s: %s", key, msg)
		}
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return settings.Set(ctx, tx, access.System, key, value) })
	if err != nil {
		if msg, ok := store.UserMessage(err); ok {
			return fmt.Errorf("%s", msg)
		}
		return err
	}
	fmt.Fprintf(out, "%s = %s\n", key, value)
	return nil
}
