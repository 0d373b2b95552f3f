package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/store/storetest"
)

// TestServeReadReplica runs the real binary with --db-replica (its
// environment twin) on a real streaming replica of the test PostgreSQL
// (scripts/pg-replica.sh, storetest.NewReplica) and drives the API: with
// the replica's replay paused, a user's new case is in that user's list at
// once (by its token, and by the cookie the write's answer set, on a
// client with another token), while a user who wrote nothing reads the
// stale replica and does not see it; resumed, everyone sees it. Every wait
// is for a condition, bounded.
func TestServeReadReplica(t *testing.T) {
	start := time.Now()
	rep := storetest.NewReplica(t)
	t.Logf("replica ready after %s", time.Since(start).Round(time.Millisecond))
	d := newDeployment(t, rep.PrimaryURL)
	t.Logf("binary built after %s", time.Since(start).Round(time.Millisecond))
	in := d.start("GRASSROOTS_DB_REPLICA="+rep.URL, "GRASSROOTS_DB_REPLICA_MAX_LAG=1h", "GRASSROOTS_DB_REPLICA_CHECK=100ms")
	if _, err := d.cli("user", "add", "--username", "replica.dept", "--password", "replica-dept-password", "--name", "城管承办人",
		"--unit", "350722D003", "--role", "department"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	writer := newClient(d.token("admin"))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	dept := &client{http: &http.Client{Timeout: 10 * time.Second, Jar: jar}, token: d.token("replica.dept")}
	// cookieOnly has the dept client's cookies but a token of its own, so
	// only the cookie can tell the server about the write.
	cookieOnly := &client{http: &http.Client{Timeout: 10 * time.Second, Jar: jar}, token: d.token("replica.dept")}
	reader := newClient(d.token("replica.dept")) // writes nothing

	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("not reached in 90 s: %s\n%s", what, in.logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// status is the case's status in c's list, "" when it is not listed.
	status := func(c *client, no string) string {
		t.Helper()
		var body struct {
			Cases []struct{ No, Status string } `json:"cases"`
		}
		if _, err := c.do(ctx, "GET", in.url+"/api/v1/cases?limit=100", nil, &body); err != nil {
			t.Fatal(err)
		}
		for _, c := range body.Cases {
			if c.No == no {
				return c.Status
			}
		}
		return ""
	}
	metric := func(name string) float64 {
		t.Helper()
		res, err := http.Get(in.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
				v, _ := strconv.ParseFloat(rest, 64)
				return v
			}
		}
		return -1
	}
	newCase := func(title string) string {
		t.Helper()
		var ans caseAnswer
		body := map[string]any{"flow": "hotline", "request_type": "help", "title": title, "body": "只读副本测试",
			"source": "replicatest", "external_id": title, "place_unit": "350722001000", "dispatch": "350722D003"}
		if _, err := writer.do(ctx, "POST", in.url+"/api/v1/cases", body, &ans); err != nil {
			t.Fatal(err)
		}
		return ans.Case.No
	}

	waitUntil("the server uses the replica", func() bool { return metric("grassroots_db_replica_usable") == 1 })
	first := newCase("路灯不亮 副本一")
	waitUntil("the replica has the first case", func() bool { return status(reader, first) != "" })
	if metric(`grassroots_db_replica_reads_total{to="replica"}`) <= 0 {
		t.Fatal("no read went to the replica")
	}

	t.Logf("server reads the replica after %s", time.Since(start).Round(time.Millisecond))
	rep.Pause()
	no := newCase("路灯不亮 副本二")
	if status(writer, no) == "" {
		t.Fatalf("the writer does not see its case %s right after creating it", no)
	}
	if status(reader, no) != "" {
		t.Fatalf("a user who wrote nothing sees %s from a paused replica: the list did not read the replica", no)
	}
	// The department signs: its own next read and any read carrying the
	// answer's cookie see the new status.
	res, err := dept.do(ctx, "POST", in.url+"/api/v1/cases/"+url.PathEscape(no)+"/actions/sign", map[string]any{"note": "已签收"}, nil)
	if err != nil {
		t.Fatalf("sign: %d %v", res, err)
	}
	u, _ := url.Parse(in.url)
	if !strings.Contains(cookieString(jar.Cookies(u)), readAfterCookie+"=") {
		t.Fatalf("the write's answer set no %s cookie: %v", readAfterCookie, jar.Cookies(u))
	}
	signed := status(dept, no)
	if signed == "" || status(cookieOnly, no) != signed {
		t.Fatalf("after signing: dept sees %q, the cookie's client %q", signed, status(cookieOnly, no))
	}

	rep.Resume()
	waitUntil("a user who wrote nothing sees the case once the replica replays it", func() bool { return status(reader, no) == signed })

	t.Logf("read-your-writes checked after %s", time.Since(start).Round(time.Millisecond))
	// A replica that stops or falls behind its bound is TestReplicaRouting's
	// (internal/store): restarting one takes long on a busy machine.
}

func cookieString(cs []*http.Cookie) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String() + "; ")
	}
	return b.String()
}
