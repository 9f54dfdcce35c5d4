# trailwatch: every target works on a fresh machine with Go (the module proxy supplies the rest).
GO ?= go
PKGS := ./...
SHELL := bash

.PHONY: build image test test-deps demo bench fuzz fmt lint tidy update-golden sim

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X github.com/trailwatch/trailwatch/internal/cli.version=$(VERSION)" -o bin/trailwatch ./cmd/trailwatch

# The container image, with no Docker daemon: a static linux/amd64 binary on an empty base (CA certificates, user
# 65532, no shell), written as bin/trailwatch-image.tar for `docker load`, `podman load` or `crane push`.
image:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w -X github.com/trailwatch/trailwatch/internal/cli.version=$(VERSION)" -o bin/trailwatch-linux-amd64 ./cmd/trailwatch
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} $(GO) run ./internal/tools/image -binary bin/trailwatch-linux-amd64 -o bin/trailwatch-image.tar -lambda-zip bin/trailwatch-lambda.zip -version $(VERSION) -revision $$(git rev-parse HEAD 2>/dev/null)

# The test command (README, .ci/run): vet, every test with the race detector (summarised: failures, a line per
# package, the skipped tests with their reasons, "N passed, N failed, N skipped"), then each fuzz target of an
# untrusted-input parser for 2,000 inputs. TRAILWATCH_NO_SKIPS=1 (set by .ci/run) fails the run on any skipped test.
# The fuzz budget is a count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a target with a bare
# "context deadline exceeded" when the deadline races a busy worker (golang/go#75804, fixed in Go 1.27; it failed
# FuzzLoad here on 2026-12-06 with no crasher written). A count has no deadline to race.
test:
	# Every vet analyzer runs as each package builds for its tests (-vet=all: go vet's whole set, where go test alone
	# runs a curated few; packages without tests of their own are vetted too), so vet and compiling share the two cores
	# and nothing is analysed twice (issue 22: a separate go vet ./... ran first, and go test then ran its few again).
	# The fuzz targets run beside the tests at the lowest CPU priority (nice 19): they take the core the tests leave
	# idle (the command package's tests run last and alone; issue 22), and give it back whenever the tests want it.
	@set -o pipefail; log=$$(mktemp /tmp/trailwatch-fuzz.XXXXXX); \
	nice -n 19 $(MAKE) --no-print-directory fuzz FUZZTIME=2000x > "$$log" 2>&1 & fuzz=$$!; \
	$(GO) test -race -vet=all -count=1 -json $(PKGS) | $(GO) run ./internal/tools/testsummary; tests=$$?; \
	if wait $$fuzz; then echo "fuzz: $$(grep -c '^fuzz ' "$$log") targets, 2,000 inputs each: no failure"; \
	else cat "$$log"; echo "fuzz: FAILED (above)"; tests=1; fi; rm -f "$$log"; exit $$tests

# What some tests use and a fresh machine may lack: Debian's chromium (the HTML report test) and the AWS CLI (the
# cross-checks that run printed commands). Best effort: a test that needs a missing tool skips with its reason, listed
# at the end of `make test` (and failing CI, which sets TRAILWATCH_NO_SKIPS=1).
test-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; command -v aws >/dev/null 2>&1 || missing="$$missing awscli"; \
	if [ -n "$$missing" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/tmp/trailwatch-apt.log 2>&1 || echo "not installed:$$missing (see /tmp/trailwatch-apt.log): the tests that need them will skip"; fi

FUZZTIME ?= 30s
# The watch and simulator targets live in packages of their own (handlefuzz, scenariofuzz): a fuzz binary instruments
# every package it links, and those packages' own tests link every AWS SDK client (a cold run rebuilt them all).
FUZZ_TARGETS := FuzzHandle:./internal/watch/handlefuzz FuzzParse:./internal/policy FuzzParse:./internal/filterpattern FuzzCovers:./internal/filterpattern FuzzParseScenario:./internal/awssim/scenariofuzz FuzzLoad:./internal/iac/terraform \
	FuzzLoad:./internal/iac/tfplan FuzzParse:./internal/iac/cfn FuzzParse:./internal/exceptions

demo:
	$(GO) run ./cmd/trailwatch demo

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t%%:*} in $${t#*:} for $(FUZZTIME)"; \
		out=$$($(GO) test -vet=off -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:} 2>&1) || { echo "$$out"; exit 1; }; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

tidy:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

update-golden:
	$(GO) test ./internal/cli/ -run Golden -update

sim:
	$(GO) run ./cmd/trailwatch sim serve --scenario examples/organization.yaml
