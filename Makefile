# Dispatcher Service. The two commands that matter:
#   make run    install and start what is missing, migrate, seed, serve on :8080
#   make test   go vet, go test -race on real PostgreSQL and Redis, fuzzing, browser tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Go 1.27.3, fetched once from the module proxy: Go 1.26.8, the machine's,
# has fixed vulnerabilities in net/http, crypto/tls and html/template that
# govulncheck reports (go.mod still says 1.26.8, so the machine's Go builds too).
export GOTOOLCHAIN ?= go1.27.3
export GOFLAGS ?= -buildvcs=false
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)

DATABASE_URL ?= postgres://dispatcher:dispatcher@127.0.0.1:5432/dispatcher?sslmode=disable
REDIS_URL ?= redis://127.0.0.1:6379/0
export DATABASE_URL REDIS_URL
TEST_DATABASE_URL ?= postgres://dsptest:dsptest@127.0.0.1:5432/postgres?sslmode=disable
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export TEST_DATABASE_URL TEST_REDIS_URL
# How long each fuzz target runs in `make test`.
FUZZTIME ?= 4s

.PHONY: help run build test vet lint unit fuzz e2e bench chaos prompts-audio go services-run services-test clean

help:
	@echo "make run    - start PostgreSQL and Redis if needed, migrate, seed demo data, serve on http://localhost:8080"
	@echo "make test   - go vet + go test -race (real PostgreSQL and Redis) + short fuzzing + browser tests"
	@echo "make bench  - load and benchmark runs; make chaos - long fault runs"

go:
	@command -v go >/dev/null || test -x /usr/local/go/bin/go || { echo "==> installing Go"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null); }

services-run:
	@scripts/services.sh run
services-test:
	@scripts/services.sh test

build: go
	$(GO) build -o bin/dispatcher ./cmd/dispatcher

run: build services-run prompts-audio
	bin/dispatcher migrate
	bin/dispatcher seed --if-empty
	@printf '%s\n' "$${ADMIN_PASSWORD:-admin-demo-password}" | bin/dispatcher user add admin --role admin --if-missing
	@echo
	@url=$${PUBLIC_BASE_URL:-http://localhost:8080}; \
	echo "  Dispatcher Service on $$url"; \
	echo "  Console: $$url/console  (user admin, password $${ADMIN_PASSWORD:-admin-demo-password})"; \
	echo "  Public request form: $$url/request; phone simulator: $$url/console/simulator"
	@echo
	bin/dispatcher serve

vet: go
	$(GO) vet ./...

# staticcheck and govulncheck from the Go module proxy; govulncheck's database
# is built from the golang.org/x/vulndb module (scripts/lint.sh says why).
lint: go
	GO=$(GO) scripts/lint.sh

unit: go services-test
	$(GO) test -race -count=1 -timeout 20m ./...

# Each fuzz target for a short while: a crash fails the build.
fuzz: go
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

e2e: build services-test
	bash e2e/run.sh

test: vet lint unit fuzz e2e
	@echo "make test: all passed"

prompts-audio:
	@bash scripts/prompts-audio.sh || echo "==> Kazakh prompt audio not generated (see above); calls fall back to text"

bench: build services-test
	bash scripts/bench.sh

chaos: build services-test
	bash scripts/chaos.sh

clean:
	rm -rf bin var e2e/artifacts
