package casework

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/url"
	"slices"
	"testing"

	"grassroots/internal/store"
)

// TestActionFromForm: the one set of action form names (those of Action's
// JSON), the old case page's names still read, and a bad number refused.
func TestActionFromForm(t *testing.T) {
	t.Parallel()
	f := url.Values{"note": {"说明"}, "unit": {"350722D003"}, "units": {"350722D002, 350722D003", "350722001000"},
		"people": {"7", "8"}, "assignment_id": {"12"}, "days": {"3"}, "resolved": {"0"}, "satisfaction": {"basic"},
		"rating": {"4"}, "lng": {"118.5412"}, "lat": {"27.9187"}, "version": {"5"}, "field_basis": {"《行政处罚法》"}}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for field, name := range map[string]string{"file_evidence": "a.pdf", "file": "b.png"} {
		w, _ := mw.CreateFormFile(field, name)
		_, _ = w.Write([]byte("data"))
	}
	_ = mw.Close()
	mf, err := multipart.NewReader(&b, mw.Boundary()).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	f.Set("stage", "after") // the old page's stage of its "file" field
	a, err := ActionFromForm("transfer", f, mf.File)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "transfer" || a.Note != "说明" || a.UnitCode != "350722D003" || a.AssignmentID != 12 || a.Days != 3 ||
		a.Resolved == nil || *a.Resolved || a.Satisfaction != "basic" || a.Rating != 4 || a.Version != 5 ||
		a.Lng == nil || *a.Lng != 118.5412 || a.Fields["basis"] != "《行政处罚法》" {
		t.Errorf("action = %+v", a)
	}
	if !slices.Equal(a.UnitCodes, []string{"350722D002", "350722D003", "350722001000"}) || !slices.Equal(a.People, []int64{7, 8}) {
		t.Errorf("units %v people %v", a.UnitCodes, a.People)
	}
	var stages []string
	for _, at := range a.Attachments {
		stages = append(stages, at.Name+":"+at.Stage)
	}
	if !slices.Equal(stages, []string{"b.png:after", "a.pdf:evidence"}) {
		t.Errorf("attachments %v", stages)
	}
	if a, err := ActionFromForm("sign", url.Values{"assignment": {"9"}}, nil); err != nil || a.AssignmentID != 9 {
		t.Errorf("old name assignment: %+v %v", a, err)
	}
	for _, bad := range []url.Values{{"version": {"x"}}, {"assignment_id": {"a"}}, {"days": {"two"}}, {"rating": {"5★"}},
		{"resolved": {"yes"}}, {"people": {"x"}}, {"lng": {"118"}}} {
		if _, err := ActionFromForm("sign", bad, nil); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%v: err %v, want invalid", bad, err)
		}
	}
}
