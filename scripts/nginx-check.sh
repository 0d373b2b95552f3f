#!/usr/bin/env bash
# nginx-check.sh: try grassroots behind nginx as a new user would, with TLS
# terminated at nginx (docs/RUNNING.md, "Behind a reverse proxy").
#
# It builds the server, starts it on 127.0.0.1:$PORT with --trusted-proxy
# 127.0.0.1/32, starts a private nginx (the Debian package's binary, its own
# configuration and folders; the system nginx is not touched) on
# 127.0.0.1:8443 with a self-signed certificate, and checks with curl -k:
#   - the CSRF and session cookies carry Secure;
#   - failed logins from one client are throttled while another client
#     behind the same proxy is not (clients are simulated by sending
#     X-Forwarded-For to nginx, which appends its peer, 127.0.0.1: a second
#     trusted hop, skipped by the server);
#   - /metrics through nginx answers a loopback client only.
# Only loopback addresses carry traffic. Needs nginx, openssl, curl, go.
#
#   scripts/nginx-check.sh            # PORT=18080 NGINX_PORT=8443 by default
set -euo pipefail

PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-8443}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/grassroots-nginx.XXXXXX)
ADMIN_PASSWORD=nginx-check-password
SERVER_PID=

cleanup() {
	if [[ -f $WORK/nginx.pid ]]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
	if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	echo "logs and files kept in $WORK"
}
trap cleanup EXIT

fails=0
check() { # check NAME CONDITION-COMMAND...
	local name=$1; shift
	if "$@"; then echo "PASS  $name"; else echo "FAIL  $name"; fails=$((fails + 1)); fi
}

echo "== building the server"
(cd "$ROOT" && go build -o "$WORK/gr" ./cmd/grassroots)
"$WORK/gr" serve --help 2>&1 | grep -E -- '^ +-(trusted-proxy|tls-cert|tls-key|metrics-addr) ' | sed 's/^/   /' || true

echo "== self-signed certificate for 127.0.0.1"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

echo "== starting grassroots on 127.0.0.1:$PORT"
GRASSROOTS_ADMIN_PASSWORD=$ADMIN_PASSWORD GRASSROOTS_LOG_FORMAT=json "$WORK/gr" serve --demo \
	--db "$WORK/x.db" --addr "127.0.0.1:$PORT" --trusted-proxy 127.0.0.1/32 >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
	curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
	sleep 0.2
done

echo "== starting nginx on 127.0.0.1:$NGINX_PORT"
mkdir -p "$WORK/nginx-tmp"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events {}
http {
    access_log $WORK/nginx-access.log;
    client_body_temp_path $WORK/nginx-tmp/body;
    proxy_temp_path $WORK/nginx-tmp/proxy;
    fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
    scgi_temp_path $WORK/nginx-tmp/scgi;
    client_max_body_size 70m;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        location / {
            proxy_pass http://127.0.0.1:$PORT;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
EOF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
sleep 0.5

BASE=https://127.0.0.1:$NGINX_PORT
JAR=$WORK/jar
cookie_line() { grep -i "^set-cookie: $1=" "$2" | head -1; }

echo "== cookies through nginx (TLS at nginx, plain HTTP behind it)"
curl -ks -D "$WORK/h1" -o /dev/null -c "$JAR" "$BASE/login"
csrf=$(awk '$6 == "grassroots_csrf" {print $7}' "$JAR")
echo "   $(cookie_line grassroots_csrf "$WORK/h1" | tr -d '\r' | sed 's/=[^;]*;/=…;/')"
check "the CSRF cookie carries Secure" grep -qi "^set-cookie: grassroots_csrf=.*; secure" "$WORK/h1"
code=$(curl -ks -D "$WORK/h2" -o /dev/null -b "$JAR" -w '%{http_code}' \
	--data-urlencode "csrf=$csrf" --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD" "$BASE/login")
echo "   POST /login as admin: $code; $(cookie_line grassroots_session "$WORK/h2" | tr -d '\r' | sed 's/=[^;]*;/=…;/')"
check "signing in answers 303" test "$code" = 303
check "the session cookie carries Secure" grep -qi "^set-cookie: grassroots_session=.*; secure" "$WORK/h2"
direct=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/login" | grep -i '^set-cookie: grassroots_csrf' || true)
check "plain HTTP straight to the server: no Secure" bash -c "! grep -qi secure <<<'$direct'"

echo "== login throttle per real client"
login_as() { # login_as CLIENT PASSWORD -> status code
	curl -ks -o "$WORK/body" -b "$JAR" -H "X-Forwarded-For: $1" -w '%{http_code}' \
		--data-urlencode "csrf=$csrf" --data-urlencode username=admin --data-urlencode "password=$2" "$BASE/login"
}
codes=
for _ in 1 2 3 4 5; do codes="$codes $(login_as 203.0.113.7 wrong-password)"; done
echo "   five wrong passwords from 203.0.113.7:$codes"
code=$(login_as 203.0.113.7 "$ADMIN_PASSWORD")
msg=$(grep -o '登录失败次数过多[^<]*' "$WORK/body" | head -1 || true)
echo "   sixth attempt (right password) from 203.0.113.7: $code ($msg)"
check "203.0.113.7 is throttled (429)" test "$code" = 429
code=$(login_as 203.0.113.8 wrong-password)
echo "   wrong password from 203.0.113.8: $code"
check "203.0.113.8 is not throttled (401: its password was checked)" test "$code" = 401
code=$(login_as 203.0.113.8 "$ADMIN_PASSWORD")
echo "   right password from 203.0.113.8: $code"
check "the owner at another address signs in (303)" test "$code" = 303
grep -h '"msg":"login' "$WORK/server.log" | tail -3 | sed 's/^/   log: /'

echo "== /metrics through nginx"
code=$(curl -ks -o /dev/null -w '%{http_code}' "$BASE/metrics")
echo "   from a loopback client: $code"
check "a loopback client behind nginx may read /metrics" test "$code" = 200
code=$(curl -ks -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: 203.0.113.7" "$BASE/metrics")
echo "   as client 203.0.113.7: $code"
check "another client behind nginx may not (404)" test "$code" = 404

echo
if ((fails > 0)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
