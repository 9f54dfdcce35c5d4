# trailwatch: every target works on a fresh machine with Go (the module proxy supplies the rest).
GO ?= go
PKGS := ./...

.PHONY: build test demo bench fuzz fmt lint tidy update-golden sim

build:
	$(GO) build -o bin/trailwatch ./cmd/trailwatch

# The test command (README, .ci/run): vet, then every test with the race detector.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

demo:
	$(GO) run ./cmd/trailwatch demo

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse$$ -fuzztime 10s ./internal/policy
	$(GO) test -run '^$$' -fuzz FuzzParseScenario -fuzztime 10s ./internal/awssim

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

tidy:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

update-golden:
	$(GO) test ./internal/cli/ -run Golden -update

sim:
	$(GO) run ./cmd/trailwatch sim serve --scenario examples/organization.yaml
