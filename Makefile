# grassroots — run `make help` for the targets.
GO       ?= go
BIN      := bin/grassroots
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
BENCH_CASES ?= 100000

.PHONY: help run build assets test test-go e2e lint bench bench-go clean release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

assets: node_modules/.package-lock.json ## install front-end libraries from npm into the embedded assets
	node scripts/vendor.mjs

build: assets ## build bin/grassroots
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/grassroots

# The platforms of a release (GOOS/GOARCH); `make release RELEASE_PLATFORMS=linux/amd64` builds one.
RELEASE_PLATFORMS ?= linux/amd64 linux/arm64 linux/loong64 windows/amd64

release: assets ## stripped static binaries for linux/amd64, arm64, loong64 and windows/amd64 in dist/, with SHA256SUMS (docs/DEPLOY.md)
	rm -rf dist && mkdir -p dist
	@for p in $(RELEASE_PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; \
		case $$os in windows) ext=.exe;; *) ext=;; esac; \
		out=dist/grassroots-$(VERSION)-$$os-$$arch$$ext; echo "$$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $$out ./cmd/grassroots || exit 1; \
	done
	cd dist && sha256sum grassroots-* > SHA256SUMS
	@ls -l dist

run: build ## run the server on data/grassroots.db with Pucheng demo data
	$(BIN) serve --demo

test: build lint ## the whole suite: gofmt, vet, staticcheck, Go tests on SQLite (and PostgreSQL when GRASSROOTS_TEST_POSTGRES is set), browser tests
	$(GO) test -count=1 ./...
	$(MAKE) e2e

e2e: build ## browser tests (playwright-core driving Debian's chromium)
	node --test --test-concurrency=1 e2e/

lint: ## gofmt, go vet and staticcheck (pinned in go.mod's tool block)
	@test -z "$$(gofmt -l cmd internal)" || (echo "gofmt would change:"; gofmt -l cmd internal; exit 1)
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench: build ## county-year benchmark, BENCH_CASES cases (default 100000; the full run is 1000000), SQLite + PostgreSQL when GRASSROOTS_TEST_POSTGRES is set (docs/PERFORMANCE.md)
	$(GO) run ./cmd/benchcounty --cases $(BENCH_CASES) --bin $(BIN) $(BENCH_FLAGS)

bench-go: ## the packages' Go micro-benchmarks, one iteration each
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean: ## remove build output
	rm -rf bin dist internal/web/static/vendor

# Every fuzz target of a parser of untrusted input, as package:Function.
FUZZTIME ?= 1m
FUZZ_TARGETS := internal/api:FuzzDecodeJSON internal/web:FuzzFormCSRF internal/open311:FuzzPostRequest \
	internal/org:FuzzParseDivisions internal/org:FuzzParseBoundary internal/catalog:FuzzParseFile \
	internal/pii:FuzzOpen internal/casework:FuzzTokens

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 1m; see docs/RELIABILITY.md)
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$pkg || exit 1; done
