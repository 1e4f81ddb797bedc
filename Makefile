# pairingd build, test and demo. One set of build flags for everything, so
# that the build cache (the SQLite C compile takes about a minute) is reused
# between build, test and bench.

GO      ?= go
TAGS    := sqlite_omit_load_extension,osusergo,netgo
GOFLAGS := -trimpath -tags=$(TAGS)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 1

# Where the demo's development server listens.
DEMO_LISTEN ?= 127.0.0.1:8080

.PHONY: all build test vet fmt-check shellcheck demo bench clean

all: build

build:
	$(GO) build $(GOFLAGS) -ldflags '$(LDFLAGS)' -o bin/pairingd ./cmd/pairingd
	$(GO) build $(GOFLAGS) -ldflags '$(LDFLAGS)' -o bin/devauthserver ./cmd/devauthserver

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(GOFLAGS) ./...

# Shell scripts that ship (the init script) or that CI runs.
SHELL_SCRIPTS := init/S80pairingd scripts/*.sh .ci/run

shellcheck:
	@if command -v shellcheck >/dev/null; then shellcheck $(SHELL_SCRIPTS); \
	elif [ -n "$$CI" ]; then echo "shellcheck is not installed (.ci/run installs it)"; exit 1; \
	else echo "shellcheck not installed: skipping the shell script check (CI runs it)"; fi

test: fmt-check vet shellcheck
	$(GO) test -race $(GOFLAGS) ./...

# The development authorization server on loopback, and the daemon showing
# its QR code in this terminal. Ctrl-C stops both.
demo: build
	DEMO_LISTEN=$(DEMO_LISTEN) scripts/demo.sh

bench: build
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem ./...
	scripts/measure.sh

clean:
	rm -rf bin dist
