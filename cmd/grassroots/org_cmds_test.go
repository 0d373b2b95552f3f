package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportUnitsCommand(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		header := "code,name,level,parent_code,urban_rural_code,unit_type,ur_code_year,match_2016,lng_gcj02,lat_gcj02\n"
		bad := filepath.Join(dir, "bad.csv")
		os.WriteFile(bad, []byte(header+
			"350000000000,福建省,province,,,省,,,,\n"+
			"350700000000,南平市,city,350000000000,,地级市,,,,\n"+
			"350721000000,顺昌县,county,350700000000,,县,,,,\n"+
			"35072110000X,双溪街道,township,350721000000,,街道,,,,\n"+
			"350721101000,,township,350721000000,,镇,,,,\n"), 0o600)
		var out bytes.Buffer
		// The key file in the test's folder: on PostgreSQL the default is
		// data/ below the working directory, here the package's own.
		key := filepath.Join(dir, "grassroots.key")
		err := runImport(ctx, nil, []string{"units", "--db", dsn, "--key-file", key, bad}, &out)
		if err == nil || !strings.Contains(out.String(), "第5行") || !strings.Contains(out.String(), "第6行") || !strings.Contains(out.String(), "缺少名称") {
			t.Fatalf("bad file: err %v, output:\n%s", err, out.String())
		}
		good := filepath.Join(dir, "good.csv")
		os.WriteFile(good, []byte(header+
			"350000000000,福建省,province,,,省,,,,\n"+
			"350700000000,南平市,city,350000000000,,地级市,,,,\n"+
			"350721000000,顺昌县,county,350700000000,,县,,,,\n"+
			"350721100000,双溪街道,township,350721000000,,街道,,,,\n"), 0o600)
		out.Reset()
		// Flags after the file name work too.
		if err := runImport(ctx, nil, []string{"units", good, "--db", dsn, "--key-file", key}, &out); err != nil {
			t.Fatalf("good file: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "4 new, 0 updated") {
			t.Errorf("output = %q", out.String())
		}
		if err := runImport(ctx, nil, []string{"regions", good}, &out); err == nil {
			t.Error("import of an unknown kind accepted")
		}
	})
}

func TestSeedOrg(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, _ := newTestApp(t, dsn, true)
		if a.org.Sealer() == nil {
			t.Fatal("the org service has no sealer")
		}
		var n int
		a.db.QueryRow(ctx, `SELECT COUNT(*) FROM people WHERE role IN ('building_leader', 'street_leader')`).Scan(&n)
		if n != 622 {
			t.Errorf("leaders after setup = %d, want 622", n)
		}
		// Setting up again (a restart) loads nothing twice and prints nothing.
		var out bytes.Buffer
		if err := seedOrg(ctx, a, &out); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("second seed printed %q", out.String())
		}
		var units int
		a.db.QueryRow(ctx, `SELECT COUNT(*) FROM units WHERE kind = 'county'`).Scan(&units)
		if units != 1 {
			t.Errorf("counties after a restart = %d", units)
		}
	})
}

func TestSeedOrgPrints(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "g.db")
	cfg := &config{}
	if err := parseFlags(newFlags("test", cfg), cfg, []string{"--db", dsn, "--key-file", filepath.Join(t.TempDir(), "k.key")}); err != nil {
		t.Fatal(err)
	}
	cfg.Demo = true
	db, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := newApp(ctx, cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := seedOrg(ctx, a, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"loaded 1 county, 19 township-level units, 308 villages and communities, 20 departments", "622 building/street leaders", "279 party groups"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("seed output lacks %q:\n%s", want, out.String())
		}
	}
	fi, err := os.Stat(cfg.KeyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file %s: %v %v", cfg.KeyFile, fi, err)
	}
}

// `import grids` refuses a file with one bad feature whole, naming it, and
// imports the good file.
func TestImportGridsCommand(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		dir := t.TempDir()
		key := filepath.Join(dir, "grassroots.key")
		units := filepath.Join(dir, "units.csv")
		os.WriteFile(units, []byte("code,name,level,parent_code,urban_rural_code,unit_type,ur_code_year,match_2016,lng_gcj02,lat_gcj02\n"+
			"350000000000,福建省,province,,,省,,,,\n"+
			"350700000000,南平市,city,350000000000,,地级市,,,,\n"+
			"350721000000,顺昌县,county,350700000000,,县,,,,\n"+
			"350721100000,双溪街道,township,350721000000,,街道,,,,\n"+
			"350721100001,东门社区居委会,village,350721100000,111,居委会,,,,\n"), 0o600)
		var out bytes.Buffer
		if err := runImport(ctx, nil, []string{"units", "--db", dsn, "--key-file", key, units}, &out); err != nil {
			t.Fatalf("units: %v\n%s", err, out.String())
		}
		feature := func(code, coords string) string {
			return `{"type":"Feature","properties":{"code":"` + code + `","name":"东门社区` + code[len(code)-3:] + `网格","parent":"350721100001"},
				"geometry":{"type":"Polygon","coordinates":[` + coords + `]}}`
		}
		square := `[[117.80,27.50],[117.81,27.50],[117.81,27.51],[117.80,27.51],[117.80,27.50]]`
		square2 := `[[117.82,27.50],[117.83,27.50],[117.83,27.51],[117.82,27.51],[117.82,27.50]]`
		write := func(name string, features ...string) string {
			p := filepath.Join(dir, name)
			os.WriteFile(p, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`), 0o600)
			return p
		}
		bad := write("bad.geojson", feature("350721100001G01", square), feature("350721100001G02", `[[117.9,27.5],[200,27.5],[117.9,27.6],[117.9,27.5]]`))
		out.Reset()
		err := runImport(ctx, nil, []string{"grids", "--db", dsn, "--key-file", key, bad}, &out)
		if err == nil || !strings.Contains(out.String(), "第2个要素（350721100001G02）") || !strings.Contains(out.String(), "未导入任何网格") {
			t.Fatalf("bad file: err %v, output:\n%s", err, out.String())
		}
		good := write("good.geojson", feature("350721100001G01", square), feature("350721100001G02", square2))
		out.Reset()
		if err := runImport(ctx, nil, []string{"grids", good, "--db", dsn, "--key-file", key}, &out); err != nil {
			t.Fatalf("good file: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "2 new grids, 0 boundaries updated") {
			t.Errorf("output = %q", out.String())
		}
	})
}
