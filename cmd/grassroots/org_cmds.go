package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/pii"
)

// seedOrg loads the shipped divisions, county departments and township
// templates into an empty database, and the demo data when cfg.Demo is set
// and none is loaded yet. It is idempotent across restarts.
func seedOrg(ctx context.Context, a *app, out io.Writer) error {
	empty, err := a.org.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		sum, err := a.org.LoadDivisions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, sum.String())
		a.log.InfoContext(ctx, "divisions loaded", "counties", sum.Counties, "townships", sum.Townships,
			"villages", sum.Villages, "departments", sum.Departments)
	}
	if a.cfg == nil || !a.cfg.Demo {
		return nil
	}
	has, err := demo.HasOrg(ctx, a.org)
	if err != nil || has {
		return err
	}
	allowed, err := demo.OrgAllowed(ctx, a.org)
	if err != nil {
		return err
	}
	if !allowed {
		fmt.Fprintln(out, "demo data skipped: the database already holds grids or people")
		a.log.WarnContext(ctx, "demo data skipped: the database already holds grids or people")
		return nil
	}
	c, err := demo.Org(ctx, a.org)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, c.String())
	a.log.InfoContext(ctx, "demo data loaded", "grids", c.Grids, "leaders", c.Leaders(), "party_groups", c.PartyGroups)
	return nil
}

// runImport is `grassroots import units FILE.csv`: loads a county's
// divisions (the columns of the shipped pucheng-divisions.csv). The whole
// file is checked first; on any bad row every bad row is listed with its line
// number and nothing is imported.
func runImport(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("import", cfg, "import units FILE.csv | import grids FILE.geojson [flags]")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	verb, files, err := subcommand(fs, pos, map[string][]string{"units": {"FILE.csv"}, "grids": {"FILE.geojson"}})
	if err != nil {
		return err
	}
	if verb == "grids" {
		return importGrids(ctx, cfg, files[0], out)
	}
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("import units: %w", err)
	}
	defer f.Close()
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// The import touches no personal data, so it needs no key.
	res, err := org.NewService(db, nil).Import(ctx, access.System, f, files[0])
	var ie *org.ImportError
	if errors.As(err, &ie) {
		fmt.Fprintf(out, "%s: %d处错误，未导入任何记录 (%d bad rows, nothing imported):\n", files[0], len(ie.Rows), len(ie.Rows))
		for _, r := range ie.Rows {
			fmt.Fprintln(out, "  "+r.String())
		}
		return fmt.Errorf("import units: %d bad rows in %s", len(ie.Rows), files[0])
	}
	if err != nil {
		return fmt.Errorf("import units: %w", err)
	}
	fmt.Fprintf(out, "imported %s: %d new, %d updated, %d unchanged\n", files[0], res.Inserted, res.Updated, res.Unchanged)
	return nil
}

// importGrids is `grassroots import grids FILE.geojson`: the grids'
// boundaries (a FeatureCollection, WGS-84, properties code, name, parent).
// The whole file is checked first; on any bad feature every bad feature is
// listed by number and code and nothing is imported.
func importGrids(ctx context.Context, cfg *config, file string, out io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import grids: %w", err)
	}
	defer f.Close()
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := org.NewService(db, nil).ImportGrids(ctx, access.System, f, file)
	var ge *org.GridImportError
	if errors.As(err, &ge) {
		fmt.Fprintf(out, "%s: %d个要素有误，未导入任何网格 (%d bad features, nothing imported):\n", file, len(ge.Features), len(ge.Features))
		for _, fe := range ge.Features {
			fmt.Fprintln(out, "  "+fe.String())
		}
		return fmt.Errorf("import grids: %d bad features in %s", len(ge.Features), file)
	}
	if err != nil {
		return fmt.Errorf("import grids: %w", err)
	}
	fmt.Fprintf(out, "imported %s: %d new grids, %d boundaries updated\n", file, res.Inserted, res.Updated)
	return nil
}

// wireOrg builds the personal-data sealer (GRASSROOTS_KEY, or the key file,
// created with a fresh key on first start) and the organisation service,
// which hands the sealer to other areas through Sealer().
func wireOrg(ctx context.Context, a *app) error {
	keyFile, key := "", ""
	if a.cfg != nil {
		keyFile, key = a.cfg.KeyFile, a.cfg.Key
	}
	if keyFile == "" && key == "" {
		return errors.New("no personal-data key: set GRASSROOTS_KEY or --key-file")
	}
	sealer, err := pii.FromKeyOrFile(key, keyFile)
	if err != nil {
		return err
	}
	a.org = org.NewService(a.db, sealer)
	return nil
}
