package open311

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// window is the span GET requests and updates may cover (the specification's
// 90 days).
const window = 90 * 24 * time.Hour

// maxPageSize is the most requests one page holds (the specification's
// 1000), and the default.
const maxPageSize = 1000

// exposed returns the SQL condition on cases c that GET may show.
func (h *Handler) exposed(ctx context.Context) (string, error) {
	v, err := settings.String(ctx, h.db, SettingExpose, "open311")
	if err != nil {
		return "", err
	}
	cond := `c.category_id IS NOT NULL AND c.flow IN ('hotline', 'grid_event')`
	if strings.TrimSpace(v) != "all" {
		cond += ` AND c.channel = 'open311'`
	}
	return cond, nil
}

// requestRow is what a request is built from.
type requestRow struct {
	id                      int64
	no, status, flow        string
	code, name, title, body string
	agency, address         string
	dataJSON, answer        string
	created, updated        int64
	due, closed             sql.NullInt64
	lng, lat                sql.NullFloat64
}

const requestColumns = `c.id, c.no, c.status, c.flow, cat.code, cat.name, c.title, c.body, COALESCE(l.name, ''), c.address, c.data_json, c.answer,
	c.created_at, c.updated_at, c.handle_due_at, c.closed_at, c.lng, c.lat`

const requestFrom = ` FROM cases c JOIN categories cat ON cat.id = c.category_id LEFT JOIN units l ON l.id = c.lead_unit_id`

func scanRequest(sc interface{ Scan(...any) error }) (requestRow, error) {
	var q requestRow
	err := sc.Scan(&q.id, &q.no, &q.status, &q.flow, &q.code, &q.name, &q.title, &q.body, &q.agency, &q.address, &q.dataJSON, &q.answer,
		&q.created, &q.updated, &q.due, &q.closed, &q.lng, &q.lat)
	return q, err
}

func isoTime(ms int64) string { return time.UnixMilli(ms).In(shanghai).Format(time.RFC3339) }

func isoPtr(n sql.NullInt64) *string {
	if !n.Valid || n.Int64 == 0 {
		return nil
	}
	s := isoTime(n.Int64)
	return &s
}

func floatPtr(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// openOrClosed maps a case to the specification's two statuses.
func openOrClosed(closed sql.NullInt64) string {
	if closed.Valid && closed.Int64 != 0 {
		return "closed"
	}
	return "open"
}

// toWire turns a row into a request: status open/closed with the detailed
// status in status_notes, the lead unit as agency_responsible and the
// handling deadline as expected_datetime.
func (h *Handler) toWire(q requestRow) Request {
	notes := q.status
	if h.cases != nil {
		if fl, ok := h.cases.Flow(q.flow); ok {
			if t := fl.PublicText(q.status); t != "" {
				notes = t + " (" + q.status + ")"
			}
		}
	}
	if q.answer != "" {
		notes += "；答复：" + q.answer
	}
	desc := q.body
	if desc == "" {
		desc = q.title
	}
	desc = truncate(desc, 4000)
	var extra struct {
		Open311 struct {
			AddressID string `json:"address_id"`
			MediaURL  string `json:"media_url"`
		} `json:"open311"`
	}
	if q.dataJSON != "" {
		_ = json.Unmarshal([]byte(q.dataJSON), &extra)
	}
	updated := isoTime(q.updated)
	if q.closed.Valid {
		updated = isoTime(q.closed.Int64)
	}
	name := q.name
	return Request{
		ServiceRequestID: q.no, Status: openOrClosed(q.closed), StatusNotes: &notes, ServiceName: &name, ServiceCode: q.code,
		Description: strPtr(desc), AgencyResponsible: strPtr(q.agency), RequestedDatetime: isoTime(q.created), UpdatedDatetime: &updated,
		ExpectedDatetime: isoPtr(q.due), Address: strPtr(q.address), AddressID: strPtr(extra.Open311.AddressID),
		Lat: floatPtr(q.lat), Long: floatPtr(q.lng), MediaURL: strPtr(extra.Open311.MediaURL),
	}
}

// span reads start_date and end_date with the specification's rules: at most
// 90 days apart; one alone extends 90 days from it; neither is the last 90
// days.
func (h *Handler) span(v url.Values) (from, to time.Time, err error) {
	parse := func(k string) (time.Time, error) {
		s := strings.TrimSpace(v.Get(k))
		if s == "" {
			return time.Time{}, nil
		}
		t, err := ParseTime(s)
		if err != nil {
			return t, store.Invalidf("%s 应为ISO 8601时间，如 2026-11-26T14:30:00+08:00 (%s is not a w3 datetime)", k, k)
		}
		return t, nil
	}
	if from, err = parse("start_date"); err != nil {
		return
	}
	if to, err = parse("end_date"); err != nil {
		return
	}
	switch {
	case from.IsZero() && to.IsZero():
		to = h.deps.Now()
		from = to.Add(-window)
	case from.IsZero():
		from = to.Add(-window)
	case to.IsZero():
		to = from.Add(window)
	}
	if to.Before(from) {
		return from, to, store.Invalid("end_date 早于 start_date (end_date is before start_date)")
	}
	if to.Sub(from) > window {
		return from, to, store.Invalid("start_date 与 end_date 相隔不能超过90天 (the range may not span more than 90 days)")
	}
	return from, to, nil
}

// paging reads the page and page_size extensions.
func paging(v url.Values) (page, size int, err error) {
	page, size = 1, maxPageSize
	if s := v.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 || page > 1000000 {
			return 0, 0, store.Invalid("page 应为正整数 (page must be a positive integer)")
		}
	}
	if s := v.Get("page_size"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 || size > maxPageSize {
			return 0, 0, store.Invalid("page_size 应为1至1000的整数 (page_size must be 1 to 1000)")
		}
	}
	return page, size, nil
}

// commaList splits a comma-delimited parameter (it may also be repeated).
func commaList(v url.Values, key string) []string {
	var out []string
	for _, part := range v[key] {
		for _, s := range strings.Split(part, ",") {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v := r.URL.Query()
	cond, err := h.exposed(ctx)
	if err != nil {
		return err
	}
	where, args := []string{cond}, []any{}
	page, size, err := paging(v)
	if err != nil {
		return err
	}
	if ids := commaList(v, "service_request_id"); len(ids) > 0 {
		// With ids given, the other parameters are ignored (the specification).
		if len(ids) > maxPageSize {
			return store.Invalid("service_request_id 最多1000个")
		}
		where = append(where, `c.no IN (`+placeholders(len(ids))+`)`)
		for _, id := range ids {
			args = append(args, id)
		}
	} else {
		from, to, err := h.span(v)
		if err != nil {
			return err
		}
		where, args = append(where, `c.created_at >= ? AND c.created_at <= ?`), append(args, store.Millis(from), store.Millis(to))
		if codes := commaList(v, "service_code"); len(codes) > 0 {
			where = append(where, `cat.code IN (`+placeholders(len(codes))+`)`)
			for _, c := range codes {
				args = append(args, c)
			}
		}
		if sts := commaList(v, "status"); len(sts) > 0 {
			open, closed := slices.Contains(sts, "open"), slices.Contains(sts, "closed")
			for _, s := range sts {
				if s != "open" && s != "closed" {
					return store.Invalid("status 应为 open 或 closed (status must be open or closed)")
				}
			}
			switch {
			case open && !closed:
				where = append(where, `c.closed_at IS NULL`)
			case closed && !open:
				where = append(where, `c.closed_at IS NOT NULL`)
			}
		}
	}
	rows, err := h.db.Reader(ctx).Query(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY c.created_at DESC, c.id DESC LIMIT `+strconv.Itoa(size)+` OFFSET `+strconv.Itoa((page-1)*size), args...)
	if err != nil {
		return fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		q, err := scanRequest(rows)
		if err != nil {
			return fmt.Errorf("list requests: %w", err)
		}
		out = append(out, h.toWire(q))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return writeFormat(w, f, http.StatusOK, out, requestsXML(out))
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, f format, id string) error {
	cond, err := h.exposed(r.Context())
	if err != nil {
		return err
	}
	q, err := scanRequest(h.db.QueryRow(r.Context(), `SELECT `+requestColumns+requestFrom+` WHERE `+cond+` AND c.no = ?`, id))
	if err != nil {
		if isNotFound(err) {
			return store.NotFoundf("找不到服务请求 %s (service_request_id not found)", id)
		}
		return fmt.Errorf("get request: %w", err)
	}
	out := []Request{h.toWire(q)}
	return writeFormat(w, f, http.StatusOK, out, requestsXML(out))
}

func (h *Handler) getToken(w http.ResponseWriter, r *http.Request, f format, token string) error {
	var no string
	err := h.db.QueryRow(r.Context(), `SELECT c.no FROM open311_tokens t JOIN cases c ON c.id = t.case_id WHERE t.token = ?`, token).Scan(&no)
	if err != nil {
		if isNotFound(err) {
			return store.NotFoundf("找不到令牌 %s (token not found)", token)
		}
		return fmt.Errorf("get token: %w", err)
	}
	out := []TokenResult{{ServiceRequestID: &no, Token: token}}
	return writeFormat(w, f, http.StatusOK, out, tokensXML(out))
}

func (h *Handler) listUpdates(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v := r.URL.Query()
	cond, err := h.exposed(ctx)
	if err != nil {
		return err
	}
	page, size, err := paging(v)
	if err != nil {
		return err
	}
	where, args := []string{cond, `e.public = 1`}, []any{}
	if ids := commaList(v, "service_request_id"); len(ids) > 0 {
		if len(ids) > maxPageSize {
			return store.Invalid("service_request_id 最多1000个")
		}
		where = append(where, `c.no IN (`+placeholders(len(ids))+`)`)
		for _, id := range ids {
			args = append(args, id)
		}
	} else {
		from, to, err := h.span(v)
		if err != nil {
			return err
		}
		where, args = append(where, `e.at >= ? AND e.at <= ?`), append(args, store.Millis(from), store.Millis(to))
	}
	rows, err := h.db.Reader(ctx).Query(ctx, `SELECT e.id, c.no, c.flow, e.to_status, e.at, e.public_text, c.closed_at FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY e.at DESC, e.id DESC LIMIT `+strconv.Itoa(size)+` OFFSET `+strconv.Itoa((page-1)*size), args...)
	if err != nil {
		return fmt.Errorf("list updates: %w", err)
	}
	defer rows.Close()
	out := []Update{}
	for rows.Next() {
		var id, at int64
		var no, flow, to, text string
		var closed sql.NullInt64
		if err := rows.Scan(&id, &no, &flow, &to, &at, &text, &closed); err != nil {
			return fmt.Errorf("list updates: %w", err)
		}
		// The status after the update: its event's status when it has one,
		// else whether the case had closed by then.
		status := "open"
		if fl, ok := h.flow(flow); ok && to != "" {
			if fl.Terminal(to) {
				status = "closed"
			}
		} else if closed.Valid && closed.Int64 != 0 && closed.Int64 <= at {
			status = "closed"
		}
		out = append(out, Update{UpdateID: strconv.FormatInt(id, 10), ServiceRequestID: no, Status: status, UpdatedDatetime: isoTime(at), Description: text})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return writeFormat(w, f, http.StatusOK, out, updatesXML(out))
}

// postRequest files a service request: a hotline case through the case
// engine's intake, channel open311.
func (h *Handler) postRequest(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	now := h.deps.Now()
	if !h.limiter.allow("ip:"+clientIP(r), now) {
		w.Header().Set("Retry-After", "60")
		return &statusError{code: http.StatusTooManyRequests, msg: "提交过于频繁，请稍后再试 (too many requests)"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPostBody)
	var p PostRequest
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxPostBody); err != nil {
			return store.Invalidf("无法读取表单 (cannot read the form): %v", err)
		}
		p, err = ParsePostValues(r.PostForm)
	} else {
		if err := r.ParseForm(); err != nil {
			return store.Invalidf("无法读取表单 (cannot read the form): %v", err)
		}
		p, err = ParsePostValues(r.PostForm)
	}
	if p.APIKey == "" {
		p.APIKey = r.URL.Query().Get("api_key")
	}
	key, kerr := h.keys.Check(ctx, p.APIKey)
	if kerr != nil {
		return kerr
	}
	if err != nil {
		return err
	}
	if !h.limiter.allow(fmt.Sprintf("key:%d", key.ID), now) {
		w.Header().Set("Retry-After", "60")
		return &statusError{code: http.StatusTooManyRequests, msg: "提交过于频繁，请稍后再试 (too many requests)"}
	}
	svc, fields, err := h.service(ctx, p.ServiceCode)
	if err != nil {
		return err
	}
	attrs, err := CheckAttributes(fields, p.Attributes)
	if err != nil {
		return err
	}
	actor := access.Actor{System: true, Name: "Open311 · " + key.Name}
	if key.UserID != 0 {
		if h.deps.ActorFor == nil {
			return fmt.Errorf("open311: key %d names a user but no ActorFor is wired", key.ID)
		}
		if actor, err = h.deps.ActorFor(ctx, key.UserID); err != nil {
			return store.Forbidden("api_key 所属用户不可用 (the key's user is not active)")
		}
	}
	data := map[string]any{"open311": map[string]any{"key": key.Name, "attributes": attrs, "address_id": p.AddressID,
		"media_url": p.MediaURL, "account_id": p.AccountID, "device_id": p.DeviceID}}
	dataJSON, err := json.Marshal(data)
	if err != nil {
		return err
	}
	title := svc.name
	if p.Description != "" {
		title = truncate(svc.name+"："+strings.Join(strings.Fields(p.Description), " "), 60)
	}
	in := casework.NewCase{Flow: "hotline", RequestType: p.RequestType, Category: svc.code, Title: title, Body: p.Description,
		Channel: "open311", Source: "open311", Address: p.AddressString, Lng: p.Long, Lat: p.Lat,
		ReporterName: strings.TrimSpace(p.LastName + p.FirstName), ReporterPhone: p.Phone, DataJSON: string(dataJSON)}
	c, _, err := h.cases.Create(ctx, actor, in)
	if err != nil {
		return err
	}
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	var tokenPtr *string
	if _, err := h.db.Exec(ctx, `INSERT INTO open311_tokens (token, case_id, key_id, created_at) VALUES (?, ?, ?, ?)`, token, c.ID, key.ID, store.Millis(now)); err != nil {
		h.log.WarnContext(ctx, "open311 token not stored", "case_no", c.No, "err", err)
	} else {
		tokenPtr = &token
	}
	h.log.InfoContext(ctx, "open311 request filed", "case_no", c.No, "service_code", svc.code, "key_id", key.ID)
	no := c.No
	notice := "已受理，工单编号 " + c.No
	out := []PostResult{{ServiceRequestID: &no, Token: tokenPtr, ServiceNotice: &notice, AccountID: strPtr(p.AccountID)}}
	w.Header().Set("Location", Prefix+"requests/"+c.No+"."+string(f))
	return writeFormat(w, f, http.StatusCreated, out, postResultsXML(out))
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func (h *Handler) flow(name string) (*casework.Flow, bool) {
	if h.cases == nil {
		return nil, false
	}
	return h.cases.Flow(name)
}
