package volunteer_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// TestDeedPhoto: a good deed's evidence photo is one JPEG, PNG or WebP by
// its content, kept in the case attachments' store and opened only for
// those who read the deed; on both engines.
func TestDeedPhoto(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		dir := t.TempDir()
		cases, err := casework.NewService(db, casework.Deps{AttachDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		community := fx.actor(7, "X", access.RoleCommunity)
		in := volunteer.DeedInput{Community: "UX", DoerPersonID: fx.member, Beneficiary: "3号楼居民", Problem: "修好楼道灯",
			PhotoName: "灯.png"}
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
			t.Fatal(err)
		}
		in.Photo = img.Bytes()
		if _, err := fx.v.RecordDeedInput(ctx, community, in); err == nil || isKind(err, store.ErrInvalid) {
			t.Fatalf("a photo with no store: %v, want an internal error", err)
		}
		fx.v.UsePhotos(cases)
		for name, data := range map[string][]byte{"a.gif": []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "a.pdf": []byte("%PDF-1.4\n"),
			"a.html": []byte("<html><script>alert(1)</script>")} {
			bad := in
			bad.PhotoName, bad.Photo = name, data
			if _, err := fx.v.RecordDeedInput(ctx, community, bad); !isKind(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if n := countDeeds(t, db); n != 0 {
			t.Fatalf("%d deeds after refusals", n)
		}
		d, err := fx.v.RecordDeedInput(ctx, community, in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Photo == "" || d.PhotoURL == "" {
			t.Fatalf("recorded %+v", d)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(d.Photo))); err != nil {
			t.Errorf("not in the attachments' store: %v", err)
		}
		rc, ct, size, err := fx.v.DeedPhoto(ctx, fx.actor(8, "S", access.RoleTownship), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if ct != "image/png" || size != int64(img.Len()) || !bytes.Equal(got, img.Bytes()) {
			t.Errorf("photo %s %d", ct, size)
		}
		if _, _, _, err := fx.v.DeedPhoto(ctx, fx.actor(9, "T", access.RoleTownship), d.ID); !isKind(err, store.ErrNotFound) {
			t.Errorf("another township opens the photo: %v", err)
		}
		plain := in
		plain.Photo = nil
		p, err := fx.v.RecordDeedInput(ctx, community, plain)
		if err != nil || p.PhotoURL != "" {
			t.Fatalf("without a photo: %+v %v", p, err)
		}
		if _, _, _, err := fx.v.DeedPhoto(ctx, community, p.ID); !isKind(err, store.ErrNotFound) {
			t.Errorf("the photo of a deed without one: %v", err)
		}
	})
}

func countDeeds(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM good_deeds`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
