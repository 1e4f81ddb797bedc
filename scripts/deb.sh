#!/bin/sh
# Builds the .deb packages with nfpm (packaging/nfpm.yaml) and checks them:
# dpkg-deb --info and --contents against what they must hold, and lintian
# (no errors allowed; warnings are printed).
#   dist/pairingd_VERSION_arm64.deb  Raspberry Pi OS 64-bit, Debian arm64
#   dist/pairingd_VERSION_armhf.deb  Raspberry Pi OS 32-bit (every Pi, from
#                                    the Zero: the static armv6 binary)
#   dist/pairingd_VERSION_amd64.deb  Debian/Ubuntu PCs
# Usage: NFPM="go run …/nfpm@vX" MANGEN="go run ./internal/manpage/cmd/mangen" \
#        scripts/deb.sh VERSION   (make deb)
# DEB_ARCHES="amd64" builds only the architectures it names.
set -eu
cd "$(dirname "$0")/.."
version=$1
: "${NFPM:?set NFPM to the nfpm command (make deb does)}"
: "${MANGEN:?set MANGEN to the man page generator command (make deb does)}"

# A Debian version starts with a digit and, without a Debian revision, has
# no hyphen: v0.3.1 -> 0.3.1, v0.3.1-4-gabc123 -> 0.3.1+4.gabc123, a bare
# commit abc123-dirty -> 0~abc123+dirty.
deb_version=${version#v}
case $deb_version in
[0-9]*) ;;
*) deb_version="0~$deb_version" ;;
esac
deb_version=$(printf '%s' "$deb_version" | sed 's/-/+/; s/-/./g')

epoch=${SOURCE_DATE_EPOCH:-0}
# The project's address, not a commit author's: builders of their own
# packages set DEB_MAINTAINER. An address at a name reserved for examples
# (RFC 2606) or on localhost reaches nobody, so it is refused.
maintainer=${DEB_MAINTAINER:-pairingd developers <pairingd@users.noreply.github.com>}
case $maintainer in
*@*example* | *@*.invalid* | *@localhost* | *@*.test\>*)
	echo "deb: maintainer '$maintainer' has a placeholder address: set DEB_MAINTAINER" >&2
	exit 1
	;;
esac

# built_using is the glibc source release that the static binary for the
# Debian architecture $1 links, for Built-Using (the LGPL asks that its
# source stay available): the native libc6-dev's source, or what the cross
# compiler's libc was built from.
built_using() {
	case $1 in
	amd64) pkg=libc6-dev:amd64 ;;
	arm64) pkg=libc6-dev-arm64-cross ;;
	armhf) pkg=libc6-dev-armel-cross ;; # the armv6 binary
	esac
	src=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' "$pkg" 2>/dev/null) || src=
	case $src in
	"glibc (= "*) ;;
	*) src=$(dpkg-query -W -f='${Built-Using}' "$pkg" 2>/dev/null | tr ',' '\n' | sed -n 's/^ *\(glibc (= [^)]*)\).*/\1/p') ;;
	esac
	if [ -z "$src" ]; then
		echo "deb: cannot tell which glibc $pkg is (is it installed?)" >&2
		return 1
	fi
	printf '%s' "$src"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The changelog of a native package, dated by the last commit.
date=$(date -u -R -d "@$epoch")
cat >"$work/changelog" <<CHANGELOG
pairingd ($deb_version) unstable; urgency=medium

  * Built from pairingd $version.

 -- $maintainer  $date
CHANGELOG
gzip -9n <"$work/changelog" >"$work/changelog.gz"
touch -d "@$epoch" "$work/changelog.gz"

# The man pages, from README.md as make man writes them, with the version
# and the commit's date on their title lines; gzipped and dated like the
# changelog, so that a rebuild gives the same bytes. nfpm takes their
# directory from the environment (packaging/nfpm.yaml).
mkdir "$work/man"
$MANGEN -readme README.md -out "$work/man" -version "$deb_version" -date "$(date -u -d "@$epoch" +%Y-%m-%d)"
for page in pairingd.8 pairingd.toml.5; do
	gzip -9n <"$work/man/$page" >"$work/man/$page.gz"
	touch -d "@$epoch" "$work/man/$page.gz"
done
export MAN_DIR="$work/man"


fail=0
for pair in arm64:arm64 armhf:armv6 amd64:amd64; do
	arch=${pair%%:*}
	# DEB_ARCHES (make deb DEB_ARCHES=amd64): only the architectures named.
	case " ${DEB_ARCHES:-arm64 armhf amd64} " in
	*" $arch "*) ;;
	*) continue ;;
	esac
	bin="dist/pairingd-linux-${pair#*:}"
	deb="dist/pairingd_${deb_version}_$arch.deb"
	rm -f "$deb"
	glibc=$(built_using "$arch")
	# nfpm expands variables in a few fields only: fill in the template.
	sed -e "/^#/d" -e "s|\${DEB_ARCH}|$arch|g" -e "s|\${DEB_BINARY}|$bin|g" -e "s|\${DEB_VERSION}|$deb_version|g" \
		-e "s|\${DEB_MAINTAINER}|$maintainer|g" -e "s|\${DEB_CHANGELOG}|$work/changelog.gz|g" \
		-e "s|\${DEB_BUILT_USING}|$glibc|g" \
		packaging/nfpm.yaml >"$work/nfpm-$arch.yaml"
	if grep -n -F 'DEB_' "$work/nfpm-$arch.yaml" >&2; then
		echo "deb: packaging/nfpm.yaml: a variable was left unfilled" >&2
		exit 1
	fi
	$NFPM package --config "$work/nfpm-$arch.yaml" --packager deb --target "$deb"

	echo "== $deb"
	dpkg-deb --info "$deb" >"$work/info"
	dpkg-deb --contents "$deb" >"$work/contents"
	cat "$work/info" "$work/contents"
	for want in "Package: pairingd" "Version: $deb_version" "Architecture: $arch" "Depends: adduser, ca-certificates" "Built-Using: $glibc" "Maintainer: $maintainer"; do
		grep -q "^ $want\$" "$work/info" || { echo "deb: $deb: no '$want' in dpkg-deb --info" >&2; fail=1; }
	done
	for want in "-rwxr-xr-x root/root .* ./usr/bin/pairingd" \
		"-rw-r--r-- root/root .* ./lib/systemd/system/pairingd.service" \
		"-rw-r--r-- root/root .* ./usr/lib/sysusers.d/pairingd.conf" \
		"-rw-r--r-- root/root .* ./etc/pairingd/pairingd.toml" \
		"-rw-r--r-- root/root .* ./usr/share/pairingd/console.conf" \
		"-rw-r--r-- root/root .* ./usr/share/doc/pairingd/copyright" \
		"-rw-r--r-- root/root .* ./usr/share/doc/pairingd/changelog.gz" \
		"-rw-r--r-- root/root .* ./usr/share/man/man8/pairingd.8.gz" \
		"-rw-r--r-- root/root .* ./usr/share/man/man5/pairingd.toml.5.gz" \
		"-rw-r--r-- root/root .* ./usr/share/lintian/overrides/pairingd"; do
		grep -q -- "^$want\$" "$work/contents" || { echo "deb: $deb: no '$want' in dpkg-deb --contents" >&2; fail=1; }
	done
	dpkg-deb --ctrl-tarfile "$deb" | tar -t >"$work/control"
	for want in ./conffiles ./postinst ./prerm ./postrm; do
		grep -qx -- "$want" "$work/control" || { echo "deb: $deb: no $want" >&2; fail=1; }
	done
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/pairingd/pairingd.toml ||
		{ echo "deb: $deb: pairingd.toml is not a conffile" >&2; fail=1; }
	# The packaged binary is the one in dist/.
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/pairingd | cmp -s - "$bin" ||
		{ echo "deb: $deb: /usr/bin/pairingd differs from $bin" >&2; fail=1; }

	if command -v lintian >/dev/null; then
		# The static binary's error is overridden in the package itself
		# (packaging/lintian-overrides says why); warnings are shown.
		lintian --tag-display-limit 0 --show-overrides "$deb" 2>&1 | grep -v '^running with root' >"$work/lintian" || true
		cat "$work/lintian"
		if grep -q '^E: ' "$work/lintian"; then
			echo "deb: $deb: lintian reports errors" >&2
			fail=1
		fi
	elif [ -n "${CI:-}" ]; then
		echo "deb: lintian is not installed (.ci/run installs it)" >&2
		fail=1
	else
		echo "deb: lintian not installed: skipping it (CI runs it)"
	fi
done
exit "$fail"
