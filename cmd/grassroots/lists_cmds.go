package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/demo"
)

// wireLists builds the catalogue of matters and the executable lists, and
// loads the demo lists when asked (once the county departments exist).
func wireLists(ctx context.Context, a *app) error {
	a.lists = catalog.NewService(a.db)
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
	usage := errors.New("usage: grassroots lists import KIND FILE.xlsx [--replace] [--reason TEXT] | lists export KIND FILE.xlsx | lists template KIND FILE.xlsx (KIND: power, territorial, access, empowerment)")
	if len(args) < 3 {
		return usage
	}
	verb, kind, file := args[0], args[1], args[2]
	list, err := catalog.ParseList(kind)
	if err != nil {
		return fmt.Errorf("%w\n%w", err, usage)
	}
	cfg := &config{}
	fs := newFlags("lists", cfg)
	replace := fs.Bool("replace", false, "remove the items the file does not hold")
	reason := fs.String("reason", "", "why the list changes (recorded in its version)")
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, cfg, args[3:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usage
		}
		return err
	}
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
	case "import":
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
	return usage
}
