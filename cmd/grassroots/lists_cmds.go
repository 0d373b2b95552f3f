package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/demo"
)

// wireLists builds the catalogue of matters and the executable lists, loads
// the shipped categories into an empty database, and loads the demo lists
// when asked (once the county departments exist).
func wireLists(ctx context.Context, a *app) error {
	a.lists = catalog.NewService(a.db)
	if err := a.lists.SeedCategories(ctx); err != nil {
		return fmt.Errorf("categories: %w", err)
	}
	return seedLists(ctx, a, io.Discard)
}

// seedLists loads the demo lists into empty lists when the server runs with
// --demo; it is called again after the divisions are loaded on a first start.
func seedLists(ctx context.Context, a *app, out io.Writer) error {
	if a.cfg == nil || !a.cfg.Demo || a.lists == nil || a.org == nil {
		return nil
	}
	loaded, err := demo.Lists(ctx, a.lists, a.org)
	if err != nil {
		return err
	}
	if loaded {
		fmt.Fprintln(out, "loaded demo lists (演示数据): matters, power, territorial, access and empowerment lists")
		a.log.Info("demo lists loaded")
	}
	return nil
}

// runLists is `grassroots lists import|export|template KIND FILE.xlsx`.
func runLists(ctx context.Context, _ *config, args []string, out io.Writer) error {
	kinds := make([]string, len(catalog.Lists))
	for i, l := range catalog.Lists {
		kinds[i] = string(l)
	}
	cfg := &config{}
	fs := newFlags("lists", cfg, "lists import KIND FILE.xlsx [--replace] [--reason TEXT] [flags]", "lists export KIND FILE.xlsx [flags]",
		"lists template KIND FILE.xlsx [flags]")
	addNote(fs, "KIND is one of "+strings.Join(kinds, ", ")+"; an import with any bad row writes nothing.")
	replace := fs.Bool("replace", false, "remove the items the file does not hold (import)")
	reason := fs.String("reason", "", "why the list changes, recorded in its version (import)")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	kindFile := []string{"KIND", "FILE.xlsx"}
	verb, rest, err := subcommand(fs, pos, map[string][]string{"import": kindFile, "export": kindFile, "template": kindFile})
	if err != nil {
		return err
	}
	list, err := catalog.ParseList(rest[0])
	if err != nil {
		return usageErrorf(fs, "unknown KIND %q (want %s)", rest[0], strings.Join(kinds, ", "))
	}
	file := rest[1]
	if verb == "template" {
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if err := catalog.Template(list, f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := catalog.NewService(db)
	actor := access.Actor{Name: "命令行", Username: "cli", System: true}
	switch verb {
	case "export":
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if err := svc.Export(ctx, actor, list, 0, catalog.Filter{}, f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(out, "exported the %s list to %s\n", list, file)
		return nil
	default: // import
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		rows, err := catalog.ParseFile(ctx, list, f)
		if err != nil {
			return err
		}
		res, err := svc.Import(ctx, actor, list, rows, catalog.ImportOptions{Replace: *replace, Reason: *reason})
		var ie *catalog.ImportError
		if errors.As(err, &ie) {
			for _, e := range ie.Errors {
				fmt.Fprintf(out, "第%d行：%s\n", e.Row, e.Message)
			}
			return ie
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "imported %d rows into the %s list: version %d, %d added, %d changed, %d removed, %d new matters\n",
			res.Rows, list, res.Version, res.Added, res.Changed, res.Removed, res.MattersCreated)
		return nil
	}
}
