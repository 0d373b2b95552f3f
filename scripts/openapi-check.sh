#!/usr/bin/env bash
# openapi-check.sh: check the served OpenAPI document as a client's tools see
# it (issue 22): `redocly lint` with the rules in openapi-check/redocly.yaml
# (every operation has an operationId and declares its 4XX answers, no unused
# component), then openapi-typescript's default output compiled by tsc
# against a case-creation call (openapi-check/call.ts).
#
# The tools come from npm into a scratch folder (WORK, a new temporary one by
# default), not the repository's package.json. Needs go, node and npm.
#
#   scripts/openapi-check.sh            # WORK=/tmp/oats to reuse an install
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"

(cd "$root" && go run ./scripts/openapidoc) > "$work/openapi.json"
cp "$root/scripts/openapi-check/redocly.yaml" "$root/scripts/openapi-check/call.ts" \
	"$root/scripts/openapi-check/tsconfig.json" "$work/"

cd "$work"
[ -f package.json ] || npm init -y > /dev/null
npm install --no-audit --no-fund --silent @redocly/cli@2 openapi-typescript@7 openapi-fetch@0.17 typescript@5

echo "== redocly lint"
npx --no-install redocly lint --config redocly.yaml openapi.json
echo "== openapi-typescript, then tsc --noEmit on call.ts"
npx --no-install openapi-typescript openapi.json -o schema.d.ts
npx --no-install tsc --noEmit -p .
echo "openapi-check: ok ($work)"
