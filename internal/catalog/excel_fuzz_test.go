package catalog

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"grassroots/internal/store"
)

// FuzzParseFile feeds list spreadsheets (uploaded by staff) to the Excel
// reader: any bytes must give rows or an ErrInvalid with a message, never a
// panic. The seeds are real templates of every list and broken copies.
func FuzzParseFile(f *testing.F) {
	for _, list := range []ListKind{PowerList, TerritorialList, AccessList, EmpowermentList} {
		var b bytes.Buffer
		if err := Template(list, &b); err != nil {
			f.Fatal(err)
		}
		f.Add(string(list), b.Bytes())
		f.Add(string(list), b.Bytes()[:b.Len()/2])
	}
	f.Add("power", []byte("PK\x03\x04"))
	f.Add("power", []byte("事项编码,事项名称\nJC00603000,燃气\n"))
	f.Fuzz(func(t *testing.T, list string, data []byte) {
		rows, err := ParseFile(context.Background(), ListKind(list), bytes.NewReader(data))
		if err != nil {
			if _, ok := store.UserMessage(err); !ok && !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("ParseFile error without a message for the user: %v", err)
			}
			return
		}
		for _, r := range rows {
			_ = r.matter()
		}
	})
}
