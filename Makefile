# mirrorsignal — run `make help` for the targets.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
BINARIES  := signald signalctl mirror-agent
CONFIG    ?= contrib/examples/signald.toml
FUZZTIME  ?= 1m
SHORT_FUZZTIME ?= 5s
BENCHTIME ?= 3s
BENCHROUNDS ?= 5
BENCHOUT  ?= contrib/bench/results/latest.json
CHECKBENCH_SIZES ?= 200,2000
CHECKBENCH_MEMORY ?= 10000
CHECKBENCHOUT ?= contrib/bench/results/checker-latest.json
IDLEOUT   ?= contrib/bench/results/idle-latest.json
PROPSIMOUT ?= var/propsim
MLBENCHTIME ?= 10s
MLBENCHROUNDS ?= 3
MLBENCHOUT ?= contrib/bench/results/mirrorlist-latest.json
STATICCHECK_VERSION := v0.8.2
GREMLINS_VERSION := v0.6.0
MUTATE_PKGS ?=
GOBIN     := $(shell $(GO) env GOPATH)/bin

.PHONY: help build run demo test test-deps vet lint staticcheck unit fuzz fuzz-short bench bench-dns bench-checker bench-mirrorlist bench-idle bench-propagation bench-go propsim mutate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the binaries into bin/ with the version stamped
	@mkdir -p bin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(BINARIES))

run: build ## start signald on the example config (DNS 127.0.0.1:5353, HTTP 127.0.0.1:8080, state in ./var)
	./bin/signald -config $(CONFIG)

demo: ## a live mirror network on loopback: signald, a master, 3 tier-1 hosts, 10 mirrors (rsync daemons, HTTP servers, mirror-agent daemons); publishes and draws the propagation (Enter publishes again, Ctrl-C stops everything; figures in var/demo/calibration.json)
	@mkdir -p bin
	$(GO) build -o bin/demo ./contrib/demo
	./bin/demo -dir var/demo

test: test-deps vet staticcheck fuzz-short unit ## install test tools when root, then vet, staticcheck, race tests and a short fuzz pass

test-deps: ## install the Debian packages the tests drive (as root, when missing)
	@bash .ci/install-test-deps

vet: ## go vet, and gofmt on every tracked Go file
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }

staticcheck: ## staticcheck (installed through the Go module proxy when missing)
	@test -x $(GOBIN)/staticcheck || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

lint: vet staticcheck ## vet (with gofmt) and staticcheck

unit: ## go test -race ./... with a pass/fail/skip summary line
	@bash .ci/gotest

fuzz-short: ## run every fuzz target briefly (SHORT_FUZZTIME each, default 5s)
	@bash .ci/fuzz-all $(SHORT_FUZZTIME)

fuzz: ## run every fuzz target for FUZZTIME each (default 1m; e.g. make fuzz FUZZTIME=10m)
	@bash .ci/fuzz-all $(FUZZTIME)

bench: bench-dns bench-checker bench-mirrorlist bench-idle bench-propagation ## the benchmarks: bench-dns, bench-checker, bench-mirrorlist, bench-idle, bench-propagation, then one table of the ratios (contrib/bench/results/table.md and .json)
	$(GO) run ./contrib/bench/cmd/benchtable

bench-dns: build test-deps ## DNS qps and p99 of signald, NSD and Knot side by side with dnsperf, medians of BENCHROUNDS=5 rounds of BENCHTIME=3s per mode and server (throughput, then latency at a fixed rate) (BENCHOUT=file.json)
	$(GO) build -o bin/dnsbench ./contrib/bench/cmd/dnsbench
	./bin/dnsbench -signald bin/signald -duration $(BENCHTIME) -rounds $(BENCHROUNDS) -out $(BENCHOUT)

bench-checker: test-deps ## the checker against mirmon: one full round of each over CHECKBENCH_SIZES=200,2000 local mirrors, and the checker's memory holding CHECKBENCH_MEMORY=10000 mirrors × 3 trees (as root: names go into /etc/hosts for the run) (CHECKBENCHOUT=file.json)
	@mkdir -p bin
	$(GO) build -o bin/checkbench ./contrib/bench/cmd/checkbench
	./bin/checkbench -sizes $(CHECKBENCH_SIZES) -memory-mirrors $(CHECKBENCH_MEMORY) -out $(CHECKBENCHOUT)

bench-mirrorlist: test-deps ## /mirrorlist req/s of signald's handler against nginx serving the same bytes (wrk -t1 -c64, MLBENCHTIME=10s, MLBENCHROUNDS=3 rounds, servers on CPU 0, wrk on CPU 1), with the handler's CPU profile (MLBENCHOUT=file.json)
	@mkdir -p bin
	$(GO) build -o bin/mirrorlistbench ./contrib/bench/cmd/mirrorlistbench
	./bin/mirrorlistbench -duration $(MLBENCHTIME) -rounds $(MLBENCHROUNDS) -out $(MLBENCHOUT)

bench-idle: ## bytes of one idle agent poll (signed signal TXT from signald) against a no-op rsync of a 50 000-file tree from a loopback rsync daemon (IDLEOUT=file.json)
	@mkdir -p bin
	$(GO) build -o bin/idlecost ./contrib/bench/idlecost
	./bin/idlecost -out $(IDLEOUT)

bench-propagation: ## one publish on the loopback network of make demo (signald, 3 tier-1 hosts, 10 mirrors with mirror-agent): publish to 50/80/100 % fresh, into contrib/bench/results/propagation-latest.json
	@mkdir -p bin
	$(GO) build -o bin/demo ./contrib/demo
	./bin/demo -dir var/bench-propagation -once contrib/bench/results/propagation-latest.json </dev/null

propsim: ## simulate propagation after a publish (cron, hourly, signal polling, advice, push) on 600 and 10 000 mirrors; markdown, JSON and SVG into PROPSIMOUT=var/propsim (PROPSIMFLAGS="-calibrate FILE" to fit measured figures)
	$(GO) run ./cmd/propsim -out $(PROPSIMOUT) $(PROPSIMFLAGS)

bench-go: ## Go micro-benchmarks (go test -bench . -benchmem ./...)
	$(GO) test -run '^$$' -bench . -benchmem ./...

mutate: ## mutation testing (gremlins) of the packages deciding sync or delete: efficacy and mutator coverage per package (MUTATE_PKGS="signal agent/lockfile" for some)
	@test -x $(GOBIN)/gremlins || GOFLAGS= $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	@GREMLINS=$(GOBIN)/gremlins bash .ci/mutate $(MUTATE_PKGS)

clean: ## remove build output (not the state in ./var)
	rm -rf bin
