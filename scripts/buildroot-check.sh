#!/bin/sh
# Checks the BR2_EXTERNAL tree in buildroot/.
#  - With BUILDROOT_DIR naming a Buildroot source tree: its
#    utils/check-package (needs python3-magic and flake8; Debian's
#    /usr/bin/python3 is preferred, since other pythons may lack magic).
#  - Always: shellcheck of the init script the package installs
#    (init/S80pairingd; the unit and the script come from the source tree,
#    the package keeps no copies), and a lint of our own for the rules of
#    check-package that matter here (so that CI, which cannot download
#    Buildroot, still checks them).
# Usage: [BUILDROOT_DIR=/path/to/buildroot] scripts/buildroot-check.sh [DIR]
set -eu
cd "$(dirname "$0")/.."
dir=${1:-buildroot}
pkg="$dir/package/pairingd"
fail=0
err() {
	echo "buildroot-check: $*" >&2
	fail=1
}

if [ -n "${BUILDROOT_DIR:-}" ]; then
	py=python3
	[ -x /usr/bin/python3 ] && py=/usr/bin/python3
	# shellcheck disable=SC2046 # file names without spaces
	"$py" "$BUILDROOT_DIR/utils/check-package" -b $(find "$dir" -type f ! -name '*.md' ! -path '*/fragments/*') ||
		err "utils/check-package found problems"
fi

if command -v shellcheck >/dev/null; then
	shellcheck init/S80pairingd || err "shellcheck: init/S80pairingd"
elif [ -n "${CI:-}" ]; then
	err "shellcheck is not installed"
fi

# Config.in parsed as Kconfig parses it (kconfiglib, Debian's
# python3-kconfiglib): a dependency loop is an error there, which neither
# check-package nor the lint below sees.
if /usr/bin/python3 -c 'import kconfiglib' 2>/dev/null; then
	/usr/bin/python3 scripts/kconfig-check.py "$pkg/Config.in" || err "$pkg/Config.in: Kconfig reports problems"
elif [ -n "${CI:-}" ]; then
	err "python3-kconfiglib is not installed (.ci/run installs it)"
else
	echo "buildroot-check: python3-kconfiglib not installed: skipping the Kconfig parse (CI runs it)"
fi

# What the package installs from the source tree must be there.
for f in build.tags systemd/pairingd.service init/S80pairingd pairingd.example.toml; do
	grep -q "\$(@D)/$f" "$pkg/pairingd.mk" || err "$pkg/pairingd.mk: no \$(@D)/$f"
	[ -f "$f" ] || err "$f: missing, and $pkg/pairingd.mk installs or reads it"
done

# Our lint. Files that are not documentation or fragments:
files=$(find "$dir" -type f ! -name '*.md' ! -path '*/fragments/*' | LC_ALL=C sort)
for f in $files; do
	# Executable bits: check-package wants none in a package directory
	# (the .mk installs with $(INSTALL) -m 0755).
	[ -x "$f" ] && err "$f: should not be executable"
	awk -v f="$f" '
		/[ \t]+$/ { printf "%s:%d: trailing whitespace\n", f, NR; bad = 1 }
		END { exit bad }' "$f" || fail=1
	[ -z "$(tail -c 1 "$f")" ] || err "$f: no newline at the end"
	case $f in
	*/Config.in)
		# Entries: attributes indented by one tab; help text by a tab and
		# two spaces and at most 62 characters after them.
		awk -v f="$f" '
			/^(config|menuconfig|comment|if|endif|menu|endmenu|choice|endchoice|source)( |$)/ { help = 0; next }
			/^$/ { next }
			/^\thelp$/ { help = 1; next }
			help && /^\t  / { if (length($0) - 3 > 62) { printf "%s:%d: help text wider than 62 characters\n", f, NR; bad = 1 }; next }
			help { printf "%s:%d: help text should be indented with a tab and two spaces\n", f, NR; bad = 1; next }
			/^\t[^ \t]/ { next }
			{ printf "%s:%d: should be indented with one tab\n", f, NR; bad = 1 }
			END { exit bad }' "$f" || fail=1
		;;
	*.mk)
		name=$(basename "$f" .mk)
		prefix=$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')
		[ "$f" = "$dir/external.mk" ] && continue
		awk -v f="$f" -v prefix="$prefix" -v name="$name" '
			NR == 1 && $0 != "################################################################################" { printf "%s:1: the header must start with a line of 80 #\n", f; bad = 1 }
			NR == 3 && $0 != "# " name { printf "%s:3: the header must name the package\n", f; bad = 1 }
			/^define / { indef = 1; next }
			/^endef/ { indef = 0; next }
			indef && /^ / { printf "%s:%d: expected indent with tabs\n", f, NR; bad = 1 }
			!indef && /^[A-Z0-9_]+ *(\+|\?|:)?=/ {
				v = $0; sub(/ *(\+|\?|:)?=.*/, "", v)
				if (index(v, prefix "_") != 1) { printf "%s:%d: possible typo, variable not properly prefixed: %s\n", f, NR, v; bad = 1 }
			}
			{ last = $0 }
			END {
				if (last != "$(eval $(golang-package))") { printf "%s: must end with $(eval $(golang-package))\n", f; bad = 1 }
				exit bad
			}' "$f" || fail=1
		;;
	*.hash)
		awk -v f="$f" '
			/^#/ || /^$/ { next }
			!/^(md5|sha1|sha224|sha256|sha384|sha512)  [0-9a-f]+  [^ ]+$/ { printf "%s:%d: expected: <type>  <hash>  <file>, separated by two spaces\n", f, NR; bad = 1 }
			END { exit bad }' "$f" || fail=1
		;;
	*/external.desc)
		grep -Eq '^name: [A-Za-z0-9_]+$' "$f" || err "$f: needs name: [A-Za-z0-9_]+"
		;;
	esac
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "buildroot-check: ok${BUILDROOT_DIR:+ (with $BUILDROOT_DIR/utils/check-package)}"
