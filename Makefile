# Concierge — two commands: `make run` starts the product, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: run test bench lighthouse templ htmx build vet fmt services services-stop clean help

run: ## start Postgres + Redis (private, under .data/), migrate, seed the demo tenant and serve
	@bash deploy/run.sh

test: ## start the services and run every test against them
	@bash deploy/test.sh

bench: ## start the product on a fresh bench database and measure it (RPS, p50/p95/p99 per scenario; BENCH_ARGS: loadgen flags, knobs in deploy/bench.sh)
	@bash deploy/bench.sh $(BENCH_ARGS)

lighthouse: ## Lighthouse (mobile) on the demo store's home, a category and a product page, fresh database; fails below 95 (LH_MIN); reports in bench-results/lighthouse/
	@bash deploy/lighthouse.sh

templ: ## regenerate the templ components (storefront/ui, admin/ui: *_templ.go, committed; make test checks they are current)
	$(GO) tool templ generate -path storefront/ui
	$(GO) tool templ generate -path admin/ui

htmx: ## refresh the vendored htmx 2 (storefront/assets/htmx.min.js, admin/assets/htmx.min.js) and its SSE extension (admin/assets/htmx-ext-sse.min.js) from npm
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@2 >/dev/null && tar -xzf htmx.org-*.tgz && \
	  cp package/dist/htmx.min.js $(CURDIR)/storefront/assets/htmx.min.js && \
	  cp package/dist/htmx.min.js $(CURDIR)/admin/assets/htmx.min.js && rm -rf package && \
	  npm pack --silent htmx-ext-sse@2 >/dev/null && tar -xzf htmx-ext-sse-*.tgz && \
	  cp package/dist/sse.min.js $(CURDIR)/admin/assets/htmx-ext-sse.min.js && rm -rf $$tmp && \
	  echo "htmx: $$(grep -o 'version:"[^"]*"' $(CURDIR)/storefront/assets/htmx.min.js | head -1)"

build: ## build bin/concierge and bin/loadgen
	$(GO) build -o bin/concierge ./cmd/concierge
	$(GO) build -o bin/loadgen ./cmd/loadgen

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

services: ## start only Postgres and Redis; prints the export lines
	@bash deploy/services.sh start

services-stop: ## stop the private Postgres and Redis
	@bash deploy/services.sh stop

clean:
	rm -rf bin bench-results

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'
