# pairingd build, test and demo. One set of build flags for everything, so
# that the build cache (the SQLite C compile takes about a minute) is reused
# between build, test and bench.

GO      ?= go
# The build tags, and why each is there, are in build.tags: one file that
# the Buildroot package, scripts/buildroot-build.sh and the tests read too.
TAGS    := $(shell grep -Eo '^[A-Za-z0-9_.]+' build.tags | paste -sd, -)
ifeq ($(TAGS),)
$(error build.tags is missing or lists no tags)
endif
GOFLAGS := -trimpath -tags=$(TAGS)
# SQLite without the features pairingd does not use (sqlite-options.h says
# how and why), in every build: these flags and the release ones below.
SQLITE_CFLAGS := -include $(CURDIR)/sqlite-options.h
export CGO_CFLAGS := -O2 -g $(SQLITE_CFLAGS)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 1

# Where the demo's development server listens, and which server it plays:
# rfc8628, authelia, romm or dfc (make demo PROFILE=romm); empty is the
# default profile.
DEMO_LISTEN ?= 127.0.0.1:8080
PROFILE     ?=

.PHONY: all build test vet fmt-check shellcheck demo bench screens man clean \
	dist size-check qemu-test vm-test deb muxapp buildroot-check buildroot-build vendor-tree release-check sums \
	deb-boot-test

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
SHELL_SCRIPTS := init/S80pairingd scripts/*.sh .ci/run muos/mux_launch.sh packaging/deb/* vmtest/init

shellcheck:
	@if command -v shellcheck >/dev/null; then shellcheck $(SHELL_SCRIPTS); \
	elif [ -n "$$CI" ]; then echo "shellcheck is not installed (.ci/run installs it)"; exit 1; \
	else echo "shellcheck not installed: skipping the shell script check (CI runs it)"; fi

# staticcheck from the module proxy, not in our go.mod; v0.8.2 knows Go
# 1.26. tidy-check: go.mod and go.sum say exactly what the code imports.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
.PHONY: staticcheck tidy-check
staticcheck:
	$(STATICCHECK) -tags=$(TAGS) ./...

tidy-check:
	$(GO) mod tidy -diff

test: fmt-check vet shellcheck staticcheck tidy-check
	$(GO) test -race $(GOFLAGS) ./...

# Every fuzz target of every package for FUZZTIME each (scripts/fuzz.sh says
# how a failure is told from Go's own fuzzing deadline).
FUZZTIME ?= 60s
.PHONY: fuzz
fuzz:
	GO='$(GO)' GOFLAGS='$(GOFLAGS)' scripts/fuzz.sh $(FUZZTIME)

# SIGKILL the daemon KILLS times at random moments while it refreshes 2 s
# tokens that rotate, and count the grants lost (cmd/pairingd
# TestKillStorm). About 3 s a kill.
KILLS ?= 100
.PHONY: killstorm
killstorm:
	PAIRINGD_KILLSTORM=$(KILLS) $(GO) test $(GOFLAGS) -run '^TestKillStorm$$' -v -timeout 60m ./cmd/pairingd/

# The development authorization server on loopback, and the daemon showing
# its QR code in this terminal. Ctrl-C stops both.
demo: build
	DEMO_LISTEN=$(DEMO_LISTEN) PROFILE=$(PROFILE) scripts/demo.sh

# The man pages docs/man/pairingd.8 and pairingd.toml.5, from README.md
# (internal/manpage); a test fails when they are older than the README.
man:
	$(GO) run ./internal/manpage/cmd/mangen -readme README.md -out docs/man

# The README's pictures, drawn through the framebuffer code, in English
# whatever the locale.
screens: build
	@u="https://auth.example.com/device?user_code=WDJB-MJHT"; export PAIRINGD_LANGUAGE=en; \
	bin/pairingd render --png docs/screens/landscape-1280x720.png --size 1280x720 --uri "$$u" && \
	bin/pairingd render --png docs/screens/portrait-rg28xx-480x640-rot90.png --size 480x640 --rotate 90 --bpp 16 --uri "$$u" && \
	bin/pairingd render --png docs/screens/muos-720x720-rot180.png --size 720x720 --rotate 180 --uri "$$u" && \
	bin/pairingd render --png docs/screens/pi-portrait-600x1024.png --size 600x1024 --uri "$$u" && \
	bin/pairingd render --png docs/screens/paired-800x480.png --size 800x480 --state paired --uri "$$u"

bench: build
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem ./...
	@# The fleet simulation at full size: 10,000 devices on virtual time
	@# through power-on, a 5-minute outage and tokens ending together
	@# (about a minute and 400 MB).
	$(GO) test $(GOFLAGS) -count=1 -run '^TestFleetNotInLockStep$$' -v ./pairing -args -fleet-devices 10000 | grep -E '^ +fleet_test.go|^(ok|FAIL)'
	scripts/measure.sh
	@# At rest, each display beside the others: wake-ups, CPU, RSS, bytes a tick.
	scripts/rest.sh
	@# 100 real daemons started together: how evenly the server sees their polls.
	scripts/fleet.sh 100 60

clean:
	rm -rf bin dist build

# ---------------------------------------------------------------------------
# Releases: static binaries for the devices, .deb packages, the muOS app and
# the Buildroot package. See "Releases and devices" in README.md.
#
# Every binary is static (no glibc version to match on the device) and built
# with the same GOFLAGS as above; only the cross environment differs:
#   arm64  Raspberry Pi 3/4/5/Zero 2 W (64-bit OS), muOS handhelds
#   armv7  Raspberry Pi 2/3/4 with a 32-bit OS (Debian armhf compiler)
#   armv6  Raspberry Pi Zero/Zero W/1: the armel compiler with -march=armv6
#          -marm, since Debian's armhf crt and libc are Thumb-2 (SIGILL on an
#          ARM1176). Static, so it runs on any armhf or armel userland.
#   amd64  PCs and CI
DIST_ARCHES := arm64 armv7 armv6 amd64
DIST_BINS   := $(DIST_ARCHES:%=dist/pairingd-linux-%)
# Release builds are built for size: SQLite's C with -Os and unused sections
# dropped (-0.3 MB), and Go without inlining (-0.6 MB; the framebuffer's
# full redraw goes from 2.6 to 3.3 ms and a countdown tick from 38 to 50 µs
# at 1920x1080 on amd64, well inside their goals). The qemu tests use the
# same flags, so they share the build cache with make dist.
RELEASE_CFLAGS := -Os -g0 -ffunction-sections -fdata-sections $(SQLITE_CFLAGS)
RELEASE_GCFLAGS := -gcflags=all=-l
XENV_arm64  := GOARCH=arm64 CC=aarch64-linux-gnu-gcc CGO_CFLAGS='$(RELEASE_CFLAGS)'
XENV_armv7  := GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc CGO_CFLAGS='$(RELEASE_CFLAGS)'
XENV_armv6  := GOARCH=arm GOARM=6 CC=arm-linux-gnueabi-gcc \
	CGO_CFLAGS='$(RELEASE_CFLAGS) -march=armv6 -marm' CGO_LDFLAGS='-march=armv6 -marm'
XENV_amd64  := GOARCH=amd64 CC=gcc CGO_CFLAGS='$(RELEASE_CFLAGS)'
STATIC_LDFLAGS := -linkmode external -extldflags '-static -Wl,--gc-sections'
# Tests that re-execute the test binary as a child process: without
# binfmt_misc (which CI leaves alone) the kernel cannot run an arm child, so
# these run on the host only (make test).
QEMU_TEST_SKIP := ^(TestLockDaemonOtherProcess|TestCrashMidTransaction|TestCrashWhileWriting|TestRootLeavesFilesToOwner)$$
# qemu-user CPU models of the smallest device of each kind.
QEMU_arm64  := qemu-aarch64-static -cpu cortex-a53
QEMU_armv7  := qemu-arm-static -cpu cortex-a7
QEMU_armv6  := qemu-arm-static -cpu arm1176
# arm64 and armv7 must fit in 9 MiB (make size-check). It was 8 MiB until
# the local API and the on_change hook (about 200 KB: the socket server on
# net/http's request parser, os/exec), which the programs on a device need;
# 9 MiB stays well under the 10 MiB a static build with these dependencies
# is allowed, and a step that big is decided, not drifted into.
SIZE_BUDGET ?= 9437184
# Reproducible archives: every file gets the time of the last commit.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
# nfpm builds the .deb files; run from the module proxy, not in our go.mod.
# v2.45.2: the newest whose dependencies all come from the module proxy
# (2.46 and later need go.digitalxero.dev/go-msix, which it does not serve).
NFPM ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

dist: $(DIST_BINS)
	@$(MAKE) --no-print-directory sums

# Always relinks (VERSION may have changed); the build cache makes that 0.2 s.
dist/pairingd-linux-%: FORCE
	@mkdir -p dist
	env GOOS=linux $(XENV_$*) $(GO) build $(GOFLAGS) $(RELEASE_GCFLAGS) \
		-ldflags "$(LDFLAGS) $(STATIC_LDFLAGS)" -o $@ ./cmd/pairingd

# dist/SHA256SUMS covers every artifact in dist/ (binaries, .deb, .muxapp).
sums:
	@cd dist && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | \
		xargs sha256sum > SHA256SUMS && cat SHA256SUMS

size-check: $(DIST_BINS)
	scripts/size-check.sh $(SIZE_BUDGET) $(DIST_BINS)

# Each binary under qemu-user on the CPU of the smallest device (version and
# a full pairing against devauthserver on loopback), then the pairing and
# store tests on arm64 and armv6 (alignment, atomics, the SQLite build).
qemu-test: build $(DIST_BINS)
	QEMU_arm64='$(QEMU_arm64)' QEMU_armv7='$(QEMU_armv7)' QEMU_armv6='$(QEMU_armv6)' \
		scripts/qemu-test.sh $(VERSION)
	env GOOS=linux $(XENV_arm64) $(GO) test $(GOFLAGS) $(RELEASE_GCFLAGS) -ldflags "$(STATIC_LDFLAGS)" \
		-exec '$(QEMU_arm64)' -skip '$(QEMU_TEST_SKIP)' ./pairing/... ./store/...
	env GOOS=linux $(XENV_armv6) $(GO) test $(GOFLAGS) $(RELEASE_GCFLAGS) -ldflags "$(STATIC_LDFLAGS)" \
		-exec '$(QEMU_armv6)' -skip '$(QEMU_TEST_SKIP)' ./pairing/... ./store/...

# A real kernel: Debian's amd64 kernel under qemu-system-x86_64 (TCG, no
# KVM needed) with the bochs DRM framebuffer and a virtio keyboard, the
# static amd64 pairingd on /dev/fb0 against devauthserver on the guest's
# loopback; the host decodes the QR code from QEMU's screendumps, presses
# Enter and Esc, and approves through the guest (vmtest/). The kernel and
# busybox packages are fetched once into build/vm/cache (apt-get download).
VMTEST_TIMEOUT ?= 15m
vm-test: dist/pairingd-linux-amd64
	env GOOS=linux $(XENV_amd64) $(GO) build $(GOFLAGS) $(RELEASE_GCFLAGS) \
		-ldflags "$(LDFLAGS) $(STATIC_LDFLAGS)" -o build/vm/devauthserver ./cmd/devauthserver
	scripts/vm-test.sh dist/pairingd-linux-amd64 build/vm/devauthserver \
		$(GO) test $(GOFLAGS) -tags=$(TAGS),vmtest -count=1 -v -timeout $(VMTEST_TIMEOUT) ./vmtest

# Debian and Raspberry Pi OS: arm64, armhf (the armv6 binary, so that one
# package serves every Pi from the Zero on) and amd64. DEB_ARCHES picks
# some of them (Debian's names): make deb DEB_ARCHES=amd64 needs no cross
# compiler.
DEB_ARCHES ?= arm64 armhf amd64
DEB_BIN_arm64 := arm64
DEB_BIN_armhf := armv6
DEB_BIN_amd64 := amd64
deb: $(foreach a,$(DEB_ARCHES),dist/pairingd-linux-$(DEB_BIN_$(a)))
	DEB_ARCHES='$(DEB_ARCHES)' NFPM='$(NFPM)' MANGEN='$(GO) run ./internal/manpage/cmd/mangen' scripts/deb.sh $(VERSION)
	@$(MAKE) --no-print-directory sums

# The amd64 .deb installed into a fresh Debian bookworm (debootstrap, kept
# in build/deb-boot/cache; every run starts from a new copy) and booted
# with systemd as PID 1 (systemd-nspawn -b, as root): the unit without a
# console, the login prompt, the unconfigured state, a pairing against
# devauthserver inside the guest, a restart, apt purge (scripts/
# deb-boot-test.sh). It tests the .deb of this VERSION when dist/ has it
# (make release-check made it), else builds just that one.
# DEB_VERSION is what scripts/deb.sh makes of VERSION.
DEB_VERSION = $(shell printf '%s' '$(VERSION)' | sed -e 's/^v//' -e '/^[0-9]/!s/^/0~/' -e 's/-/+/' -e 's/-/./g')
deb-boot-test:
	@deb='dist/pairingd_$(DEB_VERSION)_amd64.deb'; \
	if [ ! -f "$$deb" ]; then $(MAKE) --no-print-directory VERSION='$(VERSION)' deb DEB_ARCHES=amd64 || exit 1; fi
	env GOOS=linux $(XENV_amd64) $(GO) build $(GOFLAGS) $(RELEASE_GCFLAGS) \
		-ldflags "$(LDFLAGS) $(STATIC_LDFLAGS)" -o build/deb-boot/devauthserver ./cmd/devauthserver
	scripts/deb-boot-test.sh 'dist/pairingd_$(DEB_VERSION)_amd64.deb' build/deb-boot/devauthserver

# muOS: dist/Pairing-<version>.muxapp (a zip of Pairing/ with the arm64 binary).
muxapp: dist/pairingd-linux-arm64
	scripts/muxapp.sh $(VERSION)
	@$(MAKE) --no-print-directory sums

# Buildroot: check-package when BUILDROOT_DIR names a Buildroot tree, else our
# own lint of the same rules; shellcheck of the init script either way.
buildroot-check:
	scripts/buildroot-check.sh

# What Buildroot's golang-package does, on a vendored copy of the tree:
# GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local and its build flags.
buildroot-build:
	scripts/buildroot-build.sh $(VERSION)

# A copy of the tree with vendor/ (build/vendor-tree), for Buildroot's
# PAIRINGD_OVERRIDE_SRCDIR; the repository itself stays without vendor/.
vendor-tree:
	scripts/buildroot-build.sh --tree-only

# Everything CI checks for a release, from an empty dist/; the size budget
# last, so that a binary over it does not hide the other results.
release-check:
	rm -rf dist
	$(MAKE) --no-print-directory VERSION=$(VERSION) dist qemu-test deb muxapp buildroot-check buildroot-build
	$(MAKE) --no-print-directory VERSION=$(VERSION) size-check
	@ls -l dist

FORCE:
