package main

import (
	"net/http"
	"strings"

	"grassroots/internal/api"
	"grassroots/internal/casework"
	"grassroots/internal/i18n"
	"grassroots/internal/input"
	"grassroots/internal/open311"
	"grassroots/internal/web"
)

// guardInput puts input.Guard in front of every surface: a request whose
// path, query or form is not valid text (invalid UTF-8, a control
// character) is refused with 400 before any handler or the database sees
// it, on both engines alike, in the shape of its surface: the API's JSON
// error, Open311's error list (XML or JSON), the web's error page.
func guardInput(next http.Handler, ui *web.Server, apiSrv *api.Server, msgs *i18n.Catalog) http.Handler {
	maxBody := func(r *http.Request) int64 {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/"):
			// The API's only form body is an attachment upload.
			return casework.MaxAttachment + 1<<20
		case strings.HasPrefix(p, "/open311/"):
			return open311.MaxPostBody
		}
		return web.MaxFormBody
	}
	refuse := func(w http.ResponseWriter, r *http.Request, e *input.Error) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/"):
			apiSrv.RefuseInput(w, r, e)
		case strings.HasPrefix(p, "/open311/"):
			// Open311's messages are Chinese with English, as its own.
			open311.WriteRefusal(w, r, e.Status, e.Message(msgs, "zh")+" ("+e.Message(msgs, "en")+")")
		default:
			ui.RefuseInput(w, r, e)
		}
	}
	return input.Guard(next, maxBody, refuse)
}
