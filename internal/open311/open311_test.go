package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/open311"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// client is an Open311 GeoReport v2 client written from the specification:
// it knows the paths, the formats and the form fields, nothing of grassroots.
type client struct {
	t    *testing.T
	base string // http://host/open311/v2
}

type response struct {
	status int
	ctype  string
	body   []byte
}

func (c *client) get(path string, q url.Values) response {
	c.t.Helper()
	u := c.base + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	return read(c.t, resp)
}

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	resp, err := http.PostForm(c.base+"/"+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	return read(c.t, resp)
}

func read(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
}

// xmlNode is a generic XML element, to check shapes.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Content  string     `xml:",chardata"`
	Children []xmlNode  `xml:",any"`
}

func (n xmlNode) child(name string) (xmlNode, bool) {
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return xmlNode{}, false
}

func (n xmlNode) text(name string) string {
	c, _ := n.child(name)
	return strings.TrimSpace(c.Content)
}

// parseXML checks the content type and the root, that no namespace is
// used, and that every child of the root is item and has the fields.
func parseXML(t *testing.T, r response, root, item string, fields ...string) xmlNode {
	t.Helper()
	if r.ctype != "text/xml; charset=utf-8" {
		t.Errorf("XML content type %q", r.ctype)
	}
	if !strings.HasPrefix(string(r.body), "<?xml") {
		t.Errorf("XML lacks its declaration: %.60s", r.body)
	}
	var n xmlNode
	if err := xml.Unmarshal(r.body, &n); err != nil {
		t.Fatalf("XML does not parse: %v\n%s", err, r.body)
	}
	if n.XMLName.Local != root || n.XMLName.Space != "" || len(n.Attrs) > 0 {
		t.Fatalf("XML root %+v with attrs %v, want <%s> without a namespace", n.XMLName, n.Attrs, root)
	}
	for _, c := range n.Children {
		if item == "" {
			break
		}
		if c.XMLName.Local != item {
			t.Errorf("<%s> holds <%s>, want only <%s>", root, c.XMLName.Local, item)
		}
		for _, f := range fields {
			if _, ok := c.child(f); !ok {
				t.Errorf("<%s> lacks <%s>", item, f)
			}
		}
	}
	return n
}

// jsonOK checks status, content type and the schema, and decodes into v.
func jsonOK(t *testing.T, v *schemaValidator, r response, status int, schema string, into any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if r.ctype != "application/json; charset=utf-8" {
		t.Errorf("JSON content type %q", r.ctype)
	}
	if schema != "" {
		if err := v.Validate(schema, r.body); err != nil {
			t.Errorf("response does not validate against %s: %v\n%s", schema, err, r.body)
		}
	}
	if into != nil {
		if err := json.Unmarshal(r.body, into); err != nil {
			t.Fatalf("decode: %v\n%s", err, r.body)
		}
	}
}

// wantError checks an error in the specification's format, in both formats.
func wantError(t *testing.T, r response, code int, contains string) {
	t.Helper()
	if r.status != code {
		t.Fatalf("status %d, want %d: %s", r.status, code, r.body)
	}
	if strings.HasPrefix(r.ctype, "text/xml") {
		n := parseXML(t, r, "errors", "error", "code", "description")
		if len(n.Children) != 1 || n.Children[0].text("code") != itoa(code) {
			t.Errorf("XML error %s", r.body)
		}
		return
	}
	var errs []struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) != 1 || errs[0].Code != code || errs[0].Description == "" {
		t.Fatalf("error body %s (%v)", r.body, err)
	}
	if !strings.Contains(errs[0].Description, contains) {
		t.Errorf("error %q lacks %q", errs[0].Description, contains)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

const fieldsJSON = `[
 {"code":"cover_state","name":"井盖状态","datatype":"singlevaluelist","required":true,"values":[{"key":"missing","name":"缺失"},{"key":"broken","name":"破损"}]},
 {"code":"depth","name":"深度（米）","datatype":"number"},
 {"code":"hazards","name":"危险","datatype":"multivaluelist","values":[{"key":"traffic","name":"影响交通"},{"key":"children","name":"靠近学校"}]},
 {"code":"seen_at","name":"发现时间","datatype":"datetime"},
 {"code":"notice","name":"提示","datatype":"text","variable":false,"description":"请勿靠近井口"}
]`

type setup struct {
	*casetest.County
	c   *client
	key string
	h   *open311.Handler
}

func newSetup(t *testing.T, db *store.DB, postsPerMinute int) *setup {
	fx := casetest.New(t, db)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `UPDATE categories SET fields_json = ? WHERE code = 'B01001'`, fieldsJSON); err != nil {
		t.Fatal(err)
	}
	callTaker := fx.CallTaker()
	h := open311.New(open311.Deps{DB: db, Cases: fx.Cases, Log: fx.Log, PostsPerMinute: postsPerMinute,
		Now: func() time.Time { return fx.Now },
		ActorFor: func(ctx context.Context, id int64) (access.Actor, error) {
			if id != callTaker.UserID {
				return access.Actor{}, store.ErrNotFound
			}
			return callTaker, nil
		}})
	key, k, err := h.Keys().Create(ctx, access.System, "城市App", "")
	if err != nil || !strings.HasPrefix(key, open311.KeyPrefix) || k.Name != "城市App" {
		t.Fatalf("create key: %q %+v %v", key, k, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/open311/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &setup{County: fx, c: &client{t: t, base: srv.URL + "/open311/v2"}, key: key, h: h}
}

func (s *setup) form(extra map[string]string) url.Values {
	f := url.Values{"api_key": {s.key}, "service_code": {"B01001"}, "lat": {"27.92"}, "long": {"118.53"},
		"address_string": {"浦城县南浦街道解放路12号"}, "description": {"解放路12号门前供水井盖缺失，夜间很危险"},
		"first_name": {"伟"}, "last_name": {"王"}, "phone": {"13812345678"},
		"attribute[cover_state]": {"missing"}, "attribute[depth]": {"1.5"}, "attribute[hazards][]": {"traffic", "children"},
		"attribute[seen_at]": {"2026-11-26T08:00:00+08:00"}}
	for k, v := range extra {
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
	}
	return f
}

// TestGeoReport is the "done when" of the issue, on both engines: a client
// written from the specification lists services, posts a request with
// attributes, follows the token to the request id, lists requests by status
// and date and reads updates, in XML and JSON, and every JSON answer
// validates against the published schemas.
func TestGeoReport(t *testing.T) {
	v := newSchemaValidator(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSetup(t, db, 100)
		c := s.c
		ctx := context.Background()

		// Discovery.
		var disc open311.Discovery
		jsonOK(t, v, c.get("discovery.json", nil), 200, "", &disc)
		if len(disc.Endpoints) != 1 || !strings.HasSuffix(disc.Endpoints[0].URL, "/open311/v2") || !slices.Contains(disc.Endpoints[0].Formats, "text/xml") {
			t.Errorf("discovery %+v", disc)
		}
		parseXML(t, c.get("discovery.xml", nil), "discovery", "", "")

		// Services: leaf categories, the one with fields has metadata.
		var svcs []open311.Service
		jsonOK(t, v, c.get("services.json", nil), 200, "services.json", &svcs)
		i := slices.IndexFunc(svcs, func(s open311.Service) bool { return s.ServiceCode == "B01001" })
		if len(svcs) < 100 || i < 0 || !svcs[i].Metadata || svcs[i].ServiceName != "供水井盖" || svcs[i].Group == nil || *svcs[i].Group != "市政公用设施" {
			t.Fatalf("services: %d, B01001 at %d", len(svcs), i)
		}
		for _, sv := range svcs {
			if sv.ServiceCode == "B01" || sv.ServiceCode == "B" {
				t.Errorf("a category with children is offered: %s", sv.ServiceCode)
			}
		}
		xs := parseXML(t, c.get("services.xml", nil), "services", "service", "service_code", "service_name", "description", "metadata", "type", "keywords", "group")
		if len(xs.Children) != len(svcs) {
			t.Errorf("XML lists %d services, JSON %d", len(xs.Children), len(svcs))
		}

		// Service definition.
		var def open311.ServiceDefinition
		jsonOK(t, v, c.get("services/B01001.json", nil), 200, "service-definition.json", &def)
		var codes []string
		for _, a := range def.Attributes {
			codes = append(codes, a.Code+":"+a.Datatype)
		}
		if want := []string{"cover_state:singlevaluelist", "depth:number", "hazards:multivaluelist", "seen_at:datetime", "notice:text"}; !slices.Equal(codes, want) {
			t.Errorf("attributes %v, want %v", codes, want)
		}
		if !def.Attributes[0].Required || def.Attributes[4].Variable || len(def.Attributes[0].Values) != 2 {
			t.Errorf("attributes %+v", def.Attributes)
		}
		xd := parseXML(t, c.get("services/B01001.xml", nil), "service_definition", "", "")
		if xd.text("service_code") != "B01001" {
			t.Errorf("XML definition %s", c.get("services/B01001.xml", nil).body)
		}
		if attrs, _ := xd.child("attributes"); len(attrs.Children) != 5 || attrs.Children[0].XMLName.Local != "attribute" {
			t.Errorf("XML attributes %+v", attrs)
		}
		wantError(t, c.get("services/NOPE.json", nil), 404, "NOPE")
		wantError(t, c.get("services/NOPE.xml", nil), 404, "")

		// Post, in both formats.
		var posted []open311.PostResult
		jsonOK(t, v, c.post("requests.json", s.form(nil)), 201, "", &posted)
		if len(posted) != 1 || posted[0].ServiceRequestID == nil || posted[0].Token == nil {
			t.Fatalf("post result %+v", posted)
		}
		first := *posted[0].ServiceRequestID
		px := parseXML(t, c.post("requests.xml", s.form(map[string]string{"attribute[hazards][]": "", "description": "第二个井盖"})), "service_requests", "request", "service_request_id", "token")
		second := px.Children[0].text("service_request_id")
		if second == "" || second == first {
			t.Fatalf("second request id %q", second)
		}
		d, err := s.Cases.Get(ctx, access.System, first)
		if err != nil {
			t.Fatal(err)
		}
		if d.Case.Channel != "open311" || d.Case.Flow != "hotline" || d.Case.CategoryCode != "B01001" || d.Case.ReporterName != "王伟" ||
			!strings.Contains(d.Case.DataJSON, `"hazards":["traffic","children"]`) || !strings.Contains(d.Case.DataJSON, `"depth":"1.5"`) {
			t.Errorf("filed case %+v\n%s", d.Case, d.Case.DataJSON)
		}

		// Follow the token.
		var toks []open311.TokenResult
		jsonOK(t, v, c.get("tokens/"+*posted[0].Token+".json", nil), 200, "", &toks)
		if len(toks) != 1 || toks[0].ServiceRequestID == nil || *toks[0].ServiceRequestID != first {
			t.Errorf("token result %s", c.get("tokens/"+*posted[0].Token+".json", nil).body)
		}
		tx := parseXML(t, c.get("tokens/"+*posted[0].Token+".xml", nil), "service_requests", "request", "service_request_id", "token")
		if tx.Children[0].text("service_request_id") != first {
			t.Errorf("XML token %+v", tx)
		}
		wantError(t, c.get("tokens/nope.json", nil), 404, "")

		// Refusals.
		for _, bad := range []struct {
			name  string
			extra map[string]string
			code  int
			says  string
		}{
			{"no key", map[string]string{"api_key": ""}, 403, "api_key"},
			{"wrong key", map[string]string{"api_key": "o311_nope"}, 403, "api_key"},
			{"unknown service", map[string]string{"service_code": "ZZZ"}, 404, "ZZZ"},
			{"required attribute", map[string]string{"attribute[cover_state]": ""}, 400, "cover_state"},
			{"not in list", map[string]string{"attribute[cover_state]": "stolen"}, 400, "stolen"},
			{"not a number", map[string]string{"attribute[depth]": "deep"}, 400, "depth"},
			{"not a datetime", map[string]string{"attribute[seen_at]": "yesterday"}, 400, "seen_at"},
			{"unknown attribute", map[string]string{"attribute[color]": "red"}, 400, "color"},
			{"informational attribute", map[string]string{"attribute[notice]": "x"}, 400, "notice"},
			{"no location", map[string]string{"lat": "", "long": "", "address_string": ""}, 400, "location"},
			{"bad latitude", map[string]string{"lat": "95"}, 400, "lat"},
			{"bad phone", map[string]string{"phone": "12"}, 400, "电话"},
		} {
			t.Run(bad.name, func(t *testing.T) { wantError(t, c.post("requests.json", s.form(bad.extra)), bad.code, bad.says) })
		}
		wantError(t, c.post("requests.xml", s.form(map[string]string{"api_key": "o311_nope"})), 403, "")

		// Work the first request to its end.
		s.Resolve(first)

		// One request, by id.
		var one []open311.Request
		jsonOK(t, v, c.get("requests/"+first+".json", nil), 200, "requests.json", &one)
		r := one[0]
		if r.Status != "closed" || r.AgencyResponsible == nil || *r.AgencyResponsible != "县城市管理和综合执法局" || r.ExpectedDatetime == nil ||
			r.StatusNotes == nil || !strings.Contains(*r.StatusNotes, "closed") || r.ServiceCode != "B01001" || r.Lat == nil || *r.Lat != 27.92 {
			t.Errorf("request %+v", r)
		}
		if !strings.HasSuffix(r.RequestedDatetime, "+08:00") {
			t.Errorf("requested_datetime %q lacks the zone", r.RequestedDatetime)
		}
		xr := parseXML(t, c.get("requests/"+first+".xml", nil), "service_requests", "request", "service_request_id", "status", "status_notes",
			"service_name", "service_code", "description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
			"expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
		if xr.Children[0].text("status") != "closed" || xr.Children[0].text("lat") != "27.92" {
			t.Errorf("XML request %s", c.get("requests/"+first+".xml", nil).body)
		}
		wantError(t, c.get("requests/350722-20261126-99999.json", nil), 404, "")

		// Lists, by status and date.
		list := func(q url.Values) []string {
			t.Helper()
			var rs []open311.Request
			jsonOK(t, v, c.get("requests.json", q), 200, "requests.json", &rs)
			var ids []string
			for _, r := range rs {
				ids = append(ids, r.ServiceRequestID+":"+r.Status)
			}
			return ids
		}
		for _, l := range []struct {
			name string
			q    url.Values
			want []string
		}{
			{"default 90 days", nil, []string{second + ":open", first + ":closed"}},
			{"open", url.Values{"status": {"open"}}, []string{second + ":open"}},
			{"closed", url.Values{"status": {"closed"}}, []string{first + ":closed"}},
			{"both", url.Values{"status": {"open,closed"}}, []string{second + ":open", first + ":closed"}},
			{"by ids", url.Values{"service_request_id": {first + "," + second}, "status": {"open"}}, []string{second + ":open", first + ":closed"}},
			{"by code", url.Values{"service_code": {"B01002"}}, nil},
			{"this day", url.Values{"start_date": {"2026-11-26T00:00:00+08:00"}, "end_date": {"2026-11-27T00:00:00Z"}}, []string{second + ":open", first + ":closed"}},
			{"before", url.Values{"end_date": {"2026-11-25T00:00:00+08:00"}}, nil},
			{"start alone", url.Values{"start_date": {"2026-09-01"}}, []string{second + ":open", first + ":closed"}},
			{"start alone, too early", url.Values{"start_date": {"2026-08-01"}}, nil},
			{"paged", url.Values{"page_size": {"1"}, "page": {"2"}}, []string{first + ":closed"}},
		} {
			if got := list(l.q); !slices.Equal(got, l.want) {
				t.Errorf("%s: %v, want %v", l.name, got, l.want)
			}
		}
		xl := parseXML(t, c.get("requests.xml", url.Values{"status": {"closed"}}), "service_requests", "request", "service_request_id")
		if len(xl.Children) != 1 {
			t.Errorf("XML list by status: %d", len(xl.Children))
		}
		wantError(t, c.get("requests.json", url.Values{"start_date": {"2026-01-01"}, "end_date": {"2026-11-26"}}), 400, "90")
		wantError(t, c.get("requests.json", url.Values{"status": {"pending"}}), 400, "status")
		wantError(t, c.get("requests.json", url.Values{"start_date": {"someday"}}), 400, "start_date")
		wantError(t, c.get("requests.json", url.Values{"page_size": {"5000"}}), 400, "page_size")

		// Updates.
		var ups []open311.Update
		jsonOK(t, v, c.get("servicerequestupdates.json", url.Values{"service_request_id": {first}}), 200, "", &ups)
		if len(ups) < 3 || ups[0].Status != "closed" || ups[len(ups)-1].Status != "open" || ups[0].ServiceRequestID != first || ups[0].Description == "" {
			t.Errorf("updates %+v", ups)
		}
		var all []open311.Update
		jsonOK(t, v, c.get("servicerequestupdates.json", nil), 200, "", &all)
		if len(all) != len(ups)+1 {
			t.Errorf("updates feed has %d, want %d", len(all), len(ups)+1)
		}
		parseXML(t, c.get("servicerequestupdates.xml", nil), "service_request_updates", "request_update",
			"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url")

		// Other intake channels are not shown unless the setting says so.
		internal := s.Hotline(s.CallTaker(), "内部工单")
		wantError(t, c.get("requests/"+internal.No+".json", nil), 404, "")
		admin := s.Admin()
		err = db.InTx(ctx, func(tx *store.Tx) error { return settings.Set(ctx, tx, admin, open311.SettingExpose, "all") })
		if err != nil {
			t.Fatal(err)
		}
		jsonOK(t, v, c.get("requests/"+internal.No+".json", nil), 200, "requests.json", nil)

		// Unknown paths, formats and methods.
		wantError(t, c.get("requests.csv", nil), 400, "format")
		wantError(t, c.get("nothing.json", nil), 404, "")
		wantError(t, c.post("services.json", url.Values{}), 405, "")
	})
}

// TestPostRateLimit: a client that posts too fast gets 429.
func TestPostRateLimit(t *testing.T) {
	s := newSetup(t, storetest.SQLite(t), 2)
	for i, want := range []int{201, 201, 429} {
		r := s.c.post("requests.json", s.form(nil))
		if r.status != want {
			t.Fatalf("post %d: %d, want %d: %s", i+1, r.status, want, r.body)
		}
	}
	// A user-bound key files the request as its user.
	key, _, err := s.h.Keys().Create(context.Background(), access.System, "热线坐席", "u2")
	if err != nil {
		t.Fatal(err)
	}
	s.Now = s.Now.Add(time.Minute)
	var res []open311.PostResult
	if r := s.c.post("requests.json", s.form(map[string]string{"api_key": key})); r.status != 201 || json.Unmarshal(r.body, &res) != nil {
		t.Fatalf("post with user key: %d %s", r.status, r.body)
	}
	d, err := s.Cases.Get(context.Background(), access.System, *res[0].ServiceRequestID)
	if err != nil || d.Case.CreatedBy != 2 {
		t.Errorf("user key: created_by %d, %v", d.Case.CreatedBy, err)
	}
}
