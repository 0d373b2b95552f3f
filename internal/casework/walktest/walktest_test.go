package walktest

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"grassroots/internal/casework"
)

// TestTableIsWhole: every action of every built-in flow has a row and
// every flow an intake, and every row allows only members of the cast.
func TestTableIsWhole(t *testing.T) {
	for _, m := range Missing(Rows()) {
		t.Errorf("%s is not in the walk's table: add its row", m)
	}
	for _, r := range Rows() {
		for _, m := range append(slices.Clone(r.Allow), r.Open) {
			if _, ok := Posts[m]; !ok {
				t.Errorf("%s/%s names %q, who is not in the cast", r.Flow, r.Action, m)
			}
		}
	}
	for flow, allow := range Intakes() {
		for _, m := range allow {
			if _, ok := Posts[m]; !ok {
				t.Errorf("intake of %s names %q, who is not in the cast", flow, m)
			}
		}
	}
}

// TestFormRoundTrip: what Form and Multipart post is read back by
// casework.ActionFromForm as the action it was, for every action the table
// takes, set-up steps (with their photos) included.
func TestFormRoundTrip(t *testing.T) {
	var acts []casework.Action
	for _, r := range Rows() {
		b := r.Body
		b.AssignmentID, b.Version = 42, 7
		acts = append(acts, b)
		for _, s := range r.Setup {
			acts = append(acts, s.Act)
		}
	}
	lng, lat := 118.5412, 27.9187
	acts = append(acts, casework.Action{Name: "report_in", Note: "到场", People: []int64{3, 5}, Lng: &lng, Lat: &lat})
	for _, want := range acts {
		body, ctype, err := Multipart(Form(want), want)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Fatal(err)
		}
		got, err := casework.ActionFromForm(want.Name, r.PostForm, r.MultipartForm.File)
		if err != nil {
			t.Fatalf("%s: %v", want.Name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: posted %+v, read back %+v", want.Name, want, got)
		}
		if len(want.Attachments) == 0 {
			// Without files the URL-encoded form says the same.
			if got, err := casework.ActionFromForm(want.Name, Form(want), nil); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: posted %+v, read back %+v (%v)", want.Name, want, got, err)
			}
		}
	}
}
