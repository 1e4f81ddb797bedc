#!/bin/sh
# What Buildroot's golang-package infrastructure does with this package, on
# a copy of the tree (the repository keeps no vendor/ and its go.mod is not
# touched): `go mod vendor` offline from the module cache, then the build
# under Buildroot's environment (GOFLAGS=-mod=vendor GOPROXY=off
# GOTOOLCHAIN=local) and flags, for arm64, with the module path and
# cmd/pairingd as target; the result runs `version` under qemu-user.
# Usage: scripts/buildroot-build.sh VERSION      (make buildroot-build)
#        scripts/buildroot-build.sh --tree-only  (make vendor-tree: leaves
#        the vendored copy in build/vendor-tree for PAIRINGD_OVERRIDE_SRCDIR)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "$1" = "--tree-only" ]; then
	tree="$top/build/vendor-tree"
	rm -rf "$tree"
	mkdir -p "$tree"
	work=""
else
	version=$1
	work=$(mktemp -d)
	trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
	tree="$work/src"
	mkdir -p "$tree"
fi

# The source as Buildroot's local site method rsyncs it: tracked and
# untracked files, without build outputs and the BR2_EXTERNAL tree.
git ls-files -z --cached --others --exclude-standard |
	grep -zv -e '^bin/' -e '^dist/' -e '^build/' -e '^buildroot/' -e '^vendor/' |
	xargs -0 tar -cf - | tar -xf - -C "$tree"

(cd "$tree" && env GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go mod vendor)
echo "buildroot-build: vendor/ $(du -sh "$tree/vendor" | cut -f1)"
if [ -z "$work" ]; then
	echo "buildroot-build: vendored tree in $tree"
	exit 0
fi

# package/pkg-golang.mk's build command, with package/go/go.mk's
# environment for an aarch64 target (Buildroot's toolchain replaced by
# Debian's cross compiler). Buildroot links dynamically. The tags come from
# build.tags in the source, space-separated, as pairingd.mk's PAIRINGD_TAGS.
cd "$tree"
tags=$(grep -Eo '^[A-Za-z0-9_.]+' build.tags | paste -sd' ' -) || true
if [ -z "$tags" ]; then
	echo "buildroot-build: build.tags is missing from the source or lists no tags" >&2
	exit 1
fi
env GO111MODULE=on GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local \
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	CGO_CFLAGS="-O2 -g -include $tree/sqlite-options.h" \
	go build -v -ldflags "-s -w -X main.version=$version -extldflags '-fuse-ld=bfd'" \
	-modcacherw -tags "$tags" -trimpath -p 2 -buildvcs=false \
	-o "$work/bin/pairingd" github.com/pairingd/pairingd/cmd/pairingd 2>"$work/build.log" ||
	{ cat "$work/build.log" >&2; exit 1; }
out=$(qemu-aarch64-static -cpu cortex-a53 -L /usr/aarch64-linux-gnu "$work/bin/pairingd" version)
if [ "$out" != "pairingd $version" ]; then
	echo "buildroot-build: version printed '$out'" >&2
	exit 1
fi
echo "buildroot-build: ok: arm64 (dynamic, $(stat -c %s "$work/bin/pairingd") bytes, tags $tags) built from vendor/ offline; $out"
