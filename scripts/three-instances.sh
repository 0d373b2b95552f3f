#!/usr/bin/env bash
# three-instances.sh: three `grassroots serve` on one PostgreSQL behind nginx,
# on loopback, with one instance killed with kill -9 under load, and the
# counts checked (docs/DEPLOY.md "PostgreSQL with several instances").
#
# It builds the server, creates a fresh database on the PostgreSQL at
# $PG (default postgres://postgres@127.0.0.1:5432), starts three instances
# on 127.0.0.1:18081-18083 sharing one personal-data key and one audit key,
# a private nginx (the Debian package's binary with its own configuration;
# installed with apt-get when missing, without starting the system one) on
# 127.0.0.1:18090 balancing them round robin, and a webhook receiver on
# 127.0.0.1:18099 that records every delivery id. With REPLICA=1 the
# instances also read from the local streaming replica
# (scripts/pg-replica.sh up).
#
# The load: $WORKERS clients (default 4), each sending $CASES cases (default
# 60) through nginx with external ids, retried until acknowledged (a 502 from
# nginx or a refused connection is not an acknowledgement; the external id
# makes a retry safe), and signing every other acknowledged case as the
# department. Once a third of the cases are acknowledged, instance 2 is
# killed with SIGKILL. Then every open case's signing deadlines are made to
# pass, and the script waits until the sweepers and the outbox workers of the
# two survivors have done everything. Checked by counting:
#   - every acknowledged case is there, under the acknowledged number, once
#     per external id; every acknowledged sign is in the timeline once;
#   - every unsigned case has exactly one warning and one overdue mark, and
#     no timer is fired without its events;
#   - every webhook delivery is delivered, with exactly one successful
#     attempt, and the receiver got every delivery id (a second receipt is
#     allowed only for what the killed instance was sending when it died:
#     delivery is at least once, receivers dedupe on the id);
#   - the creator's next read (through nginx, to any instance, with the
#     cookie jar the write's answer filled) lists the new case;
#   - the daily summaries ran once (one jobs_runs row for today, one
#     summary per unit and day), and the figures' fold left nothing behind
#     and counts each case once (the folded sums equal the cases).
# Needs go, psql, curl, jq and python3 (installed with apt-get when missing).
# Exit status 0 when every check passes. KEEP=1 keeps the database.
#
#   scripts/three-instances.sh            # WORKERS=4 CASES=60
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG=${PG:-postgres://postgres@127.0.0.1:5432}
WORKERS=${WORKERS:-4}
CASES=${CASES:-60}
NGINX_PORT=${NGINX_PORT:-18090}
HOOK_PORT=${HOOK_PORT:-18099}
PORTS=(18081 18082 18083)
WORK=$(mktemp -d /tmp/grassroots-three.XXXXXX)
DBNAME=grassroots_three_$$
DSN="$PG/$DBNAME?sslmode=disable"
PIDS=()
HOOK_PID=

cleanup() {
	set +e
	[[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[[ -n $HOOK_PID ]] && kill "$HOOK_PID" 2>/dev/null
	wait 2>/dev/null
	if [[ ${KEEP:-} != 1 ]]; then psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DBNAME" >/dev/null 2>&1; fi
	echo "logs in $WORK"
}
trap cleanup EXIT

fails=0
check() { # check NAME CONDITION-COMMAND...
	local name=$1; shift
	if "$@"; then echo "PASS  $name"; else echo "FAIL  $name"; fails=$((fails + 1)); fi
}
sql() { psql -X -q -At "$DSN" -c "$1"; }
# wait_for SECONDS WHAT COMMAND...: poll a condition, bounded.
wait_for() {
	local secs=$1 what=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do "$@" && return 0; sleep 0.1; done
	echo "not reached in ${secs}s: $what" >&2
	return 1
}

for tool in jq python3 curl psql; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		case $tool in python3) pkg=python3-minimal ;; psql) pkg=postgresql-client ;; *) pkg=$tool ;; esac
		echo "installing $pkg"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
	fi
done
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [[ ! -x $NGINX ]]; then
	echo "installing nginx (Debian package; the system nginx is not started)"
	added_policy=
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
	[[ -n $added_policy ]] && rm -f /usr/sbin/policy-rc.d
	NGINX=/usr/sbin/nginx
fi

echo "building into $WORK"
(cd "$ROOT" && go build -o "$WORK/grassroots" ./cmd/grassroots)
psql -X -q "$PG/postgres" -c "CREATE DATABASE $DBNAME" >/dev/null

export GRASSROOTS_DB=$DSN
GRASSROOTS_KEY=$(head -c 32 /dev/urandom | base64)
GRASSROOTS_AUDIT_KEY=$(head -c 32 /dev/urandom | base64)
export GRASSROOTS_KEY GRASSROOTS_AUDIT_KEY
export GRASSROOTS_ADMIN_PASSWORD=three-instances-admin GRASSROOTS_LOG_FORMAT=json GRASSROOTS_DATA_DIR=$WORK/data
export GRASSROOTS_SWEEP_INTERVAL=500ms GRASSROOTS_WEBHOOK_INTERVAL=200ms GRASSROOTS_WEBHOOK_LEASE=3s GRASSROOTS_DAILY_HOUR=0
export GRASSROOTS_TRUSTED_PROXIES=127.0.0.1/32 GRASSROOTS_AUDIT_CHECKPOINTS=off
if [[ ${REPLICA:-} == 1 ]]; then
	rport=$("$ROOT/scripts/pg-replica.sh" up)
	export GRASSROOTS_DB_REPLICA="${DSN/:5432\//:$rport/}"
fi
mkdir -p "$WORK/data"

start() { # start N: instance N (0-based) in the background
	"$WORK/grassroots" serve --addr "127.0.0.1:${PORTS[$1]}" >"$WORK/serve$1.log" 2>&1 &
	PIDS[$1]=$!
}
ready() { curl -fs -o /dev/null "http://127.0.0.1:$1/readyz"; }
start 0
wait_for 120 "instance 1 ready" ready "${PORTS[0]}"
start 1
start 2
wait_for 120 "instance 2 ready" ready "${PORTS[1]}"
wait_for 120 "instance 3 ready" ready "${PORTS[2]}"
"$WORK/grassroots" user add --username three.dept --password three-dept-password --name 城管承办人 --unit 350722D003 --role department >/dev/null
ADMIN=$("$WORK/grassroots" token create --user admin 2>/dev/null | grep -o 'grt_[A-Za-z0-9_-]*' | head -1)
DEPT=$("$WORK/grassroots" token create --user three.dept 2>/dev/null | grep -o 'grt_[A-Za-z0-9_-]*' | head -1)

# The webhook receiver: records the delivery id of every request.
cat >"$WORK/receiver.py" <<'EOF'
import http.server, sys
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        log.write(self.headers.get("X-Grassroots-Delivery", "") + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$WORK/receiver.py" "$HOOK_PORT" "$WORK/received.txt" &
HOOK_PID=$!
"$WORK/grassroots" webhook add --url "http://127.0.0.1:$HOOK_PORT/" --events case.created,case.status_changed,case.answered,case.closed \
	--description "three instances" >/dev/null 2>&1

cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 256; }
http {
    log_format upstream '\$upstream_addr \$status';
    access_log $WORK/nginx-access.log upstream;
    client_body_temp_path $WORK/nginx-body;
    proxy_temp_path $WORK/nginx-proxy;
    fastcgi_temp_path $WORK/nginx-fastcgi;
    uwsgi_temp_path $WORK/nginx-uwsgi;
    scgi_temp_path $WORK/nginx-scgi;
    upstream grassroots {
        server 127.0.0.1:${PORTS[0]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:${PORTS[1]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:${PORTS[2]} max_fails=1 fail_timeout=2s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://grassroots;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Request-Id \$request_id;
            # A request is tried on the next instance when one cannot be
            # reached; a POST only if it never reached the instance (nginx
            # does not resend a non-idempotent request it has sent): after
            # a 502 the client retries it, with the same external id.
            proxy_next_upstream error timeout http_502;
        }
    }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
BASE="http://127.0.0.1:$NGINX_PORT"
wait_for 30 "nginx" curl -fs -o /dev/null "$BASE/readyz"

# worker W: CASES cases through nginx, each retried until acknowledged.
worker() {
	local w=$1 i ext code no
	for ((i = 0; i < CASES; i++)); do
		ext="t$w-$i"
		while :; do
			code=$(curl -s -o "$WORK/w$w.body" -w '%{http_code}' -m 10 -b "$WORK/w$w.jar" -c "$WORK/w$w.jar" -X POST "$BASE/api/v1/cases" \
				-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
				-d "{\"flow\":\"hotline\",\"request_type\":\"complaint\",\"title\":\"噪音扰民 $ext\",\"source\":\"threetest\",\"external_id\":\"$ext\",\"reporter_phone\":\"13800001111\",\"place_unit\":\"350722001000\",\"dispatch\":\"350722D003\"}" || true)
			if [[ $code == 2?? ]]; then
				no=$(jq -r .case.no "$WORK/w$w.body")
				echo "$ext $no" >>"$WORK/acked.txt"
				break
			fi
			echo "$ext $code" >>"$WORK/refused.txt"
			sleep 0.05
		done
		# The creator's next read (any instance; the cookie jar carries
		# the write's log position) lists the case at once.
		code=$(curl -s -o "$WORK/w$w.list" -w '%{http_code}' -m 10 -b "$WORK/w$w.jar" -c "$WORK/w$w.jar" \
			"$BASE/api/v1/cases?limit=50" -H "Authorization: Bearer $ADMIN" || true)
		if [[ $code == 200 ]]; then
			if jq -e --arg no "$no" 'any(.cases[]; .no == $no)' "$WORK/w$w.list" >/dev/null; then
				echo "$no" >>"$WORK/read-own.txt"
			else
				echo "$no" >>"$WORK/read-own-missed.txt"
			fi
		fi
		if ((i % 2 == 0)); then
			while :; do
				code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -X POST "$BASE/api/v1/cases/$no/actions/sign" \
					-H "Authorization: Bearer $DEPT" -H 'Content-Type: application/json' -d '{"note":"已签收"}' || true)
				if [[ $code == 2?? ]]; then echo "$no" >>"$WORK/signed.txt"; break; fi
				# 409: already signed (an earlier try was applied, its answer lost)
				if [[ $code == 4?? ]]; then echo "$no $code" >>"$WORK/sign-refused.txt"; break; fi
				sleep 0.05
			done
		fi
	done
}
: >"$WORK/acked.txt"
: >"$WORK/signed.txt"
: >"$WORK/read-own.txt"
: >"$WORK/read-own-missed.txt"
echo "load: $WORKERS workers x $CASES cases through nginx on $BASE"
wpids=()
for ((w = 0; w < WORKERS; w++)); do worker "$w" & wpids+=($!); done
total=$((WORKERS * CASES))
acked() { (($(wc -l <"$WORK/acked.txt") >= total / 3)); }
wait_for 600 "a third of the cases acknowledged" acked
echo "kill -9 instance 2 (pid ${PIDS[1]}) after $(wc -l <"$WORK/acked.txt") acknowledged cases"
kill -9 "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null || true
for p in "${wpids[@]}"; do wait "$p"; done
echo "load done: $(wc -l <"$WORK/acked.txt") acknowledged, $(cat "$WORK/refused.txt" 2>/dev/null | wc -l) answers that were not acknowledgements"

# Every open case's signing deadlines pass now; the survivors fire them.
sql "UPDATE timers SET due_at = $(($(date +%s) * 1000 - 1000)) WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due')" >/dev/null
done_all() {
	[[ $(sql "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due') AND due_at <= $(($(date +%s) * 1000))") == 0 ]] &&
		[[ $(sql "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'") == 0 ]] &&
		[[ $(sql "SELECT COUNT(*) FROM case_figures_changes") == 0 ]]
}
wait_for 300 "timers fired, deliveries delivered, figures folded" done_all || true

# The checks.
sql "SELECT external_id || ' ' || no FROM cases WHERE source = 'threetest' ORDER BY 1" >"$WORK/db-cases.txt"
sort "$WORK/acked.txt" >"$WORK/acked-sorted.txt"
check "every acknowledged case is there under its number ($(wc -l <"$WORK/acked.txt"))" \
	bash -c "[[ -z \$(comm -23 '$WORK/acked-sorted.txt' '$WORK/db-cases.txt') ]]"
check "one case per external id ($(wc -l <"$WORK/db-cases.txt") cases, $total sent)" \
	test "$(sql "SELECT COUNT(*) FROM (SELECT external_id FROM cases WHERE source = 'threetest' GROUP BY external_id HAVING COUNT(*) > 1) d")" = 0
check "every case sent is there" test "$(wc -l <"$WORK/db-cases.txt")" = "$total"
check "every acknowledged sign is in the timeline once ($(wc -l <"$WORK/signed.txt"))" \
	test "$(sql "SELECT COUNT(*) FROM cases c WHERE c.no IN ($(sed "s/.*/'&'/" "$WORK/signed.txt" | paste -sd, -)) AND (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'sign') <> 1")" = 0
unsigned="c.source = 'threetest' AND NOT EXISTS (SELECT 1 FROM case_events s WHERE s.case_id = c.id AND s.action = 'sign')"
check "every unsigned case: one warning and one overdue mark ($(sql "SELECT COUNT(*) FROM cases c WHERE $unsigned") cases)" \
	test "$(sql "SELECT COUNT(*) FROM cases c WHERE $unsigned AND ((SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'warn') <> 1 OR (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'overdue') <> 1)")" = 0
check "no timer fired without its events" \
	test "$(sql "SELECT COUNT(*) FROM timers t WHERE t.kind IN ('sign_warn', 'sign_due') AND t.fired_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.timer_id = t.id)")" = 0
check "every delivery delivered with exactly one successful attempt ($(sql "SELECT COUNT(*) FROM webhook_deliveries") deliveries)" \
	test "$(sql "SELECT COUNT(*) FROM webhook_deliveries d WHERE d.status <> 'delivered' OR (SELECT COUNT(*) FROM webhook_attempts a WHERE a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299) <> 1")" = 0
sql "SELECT uid FROM webhook_deliveries ORDER BY 1" >"$WORK/db-deliveries.txt"
sort -u "$WORK/received.txt" | grep . >"$WORK/received-ids.txt" || true
check "the receiver got every delivery, and nothing else" cmp -s "$WORK/db-deliveries.txt" "$WORK/received-ids.txt"
twice=$(sort "$WORK/received.txt" | uniq -d | wc -l)
check "deliveries received twice: $twice (at most what the killed instance held)" test "$twice" -le 20
check "the daily summaries ran, once ($(sql "SELECT COUNT(*) FROM jobs_runs WHERE job = 'daily_summaries'") days)" \
	test "$(sql "SELECT COUNT(*) FROM jobs_runs WHERE job = 'daily_summaries'")" -ge 1 -a \
	"$(sql "SELECT COUNT(*) FROM (SELECT job, period FROM jobs_runs GROUP BY job, period HAVING COUNT(*) > 1) d")" = 0
check "one daily summary per unit and day" \
	test "$(sql "SELECT COUNT(*) FROM (SELECT unit_id, day FROM daily_summaries GROUP BY unit_id, day HAVING COUNT(*) > 1) d")" = 0
check "the fold left no change behind" test "$(sql "SELECT COUNT(*) FROM case_figures_changes")" = 0
check "the folded sums count each case once" \
	test "$(sql "SELECT COALESCE(SUM(cases), 0) FROM case_figures_daily WHERE flow = 'hotline'")" = "$(sql "SELECT COUNT(*) FROM cases WHERE flow = 'hotline'")"
check "the creator's next read listed its case ($(wc -l <"$WORK/read-own.txt") reads)" test ! -s "$WORK/read-own-missed.txt"
for n in 0 2; do
	echo "instance $((n + 1)) replica reads: $(curl -fs "http://127.0.0.1:${PORTS[$n]}/metrics" | grep '^grassroots_db_replica_reads_total' | tr '\n' ' ')"
done
echo "timers fired by: $(sql "SELECT string_agg(DISTINCT fired_by, ', ') FROM timers WHERE fired_at IS NOT NULL")"
echo "answers by instance (nginx's upstreams tried, status):"
awk '{print $NF, $0}' "$WORK/nginx-access.log" | cut -d' ' -f2- | sort | uniq -c
if ((fails > 0)); then echo "$fails checks failed"; exit 1; fi
echo "all checks passed"
