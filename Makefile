# grassroots — run `make help` for the targets.
GO       ?= go
BIN      := bin/grassroots
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: help run build assets test test-go e2e lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

assets: node_modules/.package-lock.json ## install front-end libraries from npm into the embedded assets
	node scripts/vendor.mjs

build: assets ## build bin/grassroots
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/grassroots

run: build ## run the server on data/grassroots.db with Pucheng demo data
	$(BIN) serve --demo

test: build ## the whole suite: vet, Go tests on SQLite (and PostgreSQL when GRASSROOTS_TEST_POSTGRES is set), browser tests
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) e2e

e2e: build ## browser tests (playwright-core driving Debian's chromium)
	node --test --test-concurrency=1 e2e/

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l cmd internal)" || (gofmt -l cmd internal; exit 1)
	$(GO) vet ./...

bench: build ## benchmarks (see docs/PERFORMANCE.md)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean: ## remove build output
	rm -rf bin internal/web/static/vendor
