#!/bin/sh
# Builds dist/Pairing-VERSION.muxapp, the muOS application: a zip whose root
# is the app folder, which muOS's Archive Manager extracts into
# MUOS/application/ on the SD card. Then checks it: the listing, the menu's
# label and help (the launcher's headers, mux_lang.ini), and the launcher
# run against a stub binary (arguments, state folder, config). The
# launcher's muOS cases are cmd/pairingd's TestMuxLaunch* tests.
# Usage: scripts/muxapp.sh VERSION   (make muxapp; needs dist/pairingd-linux-arm64)
set -eu
cd "$(dirname "$0")/.."
version=$1
out="dist/Pairing-$version.muxapp"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

app="$work/Pairing"
mkdir -p "$app/glyph"
install -m 0755 muos/mux_launch.sh "$app/mux_launch.sh"
install -m 0644 muos/mux_lang.ini "$app/mux_lang.ini"
install -m 0755 dist/pairingd-linux-arm64 "$app/pairingd"
install -m 0644 pairingd.example.toml "$app/pairingd.toml.example"
install -m 0644 muos/glyph/pairing.png "$app/glyph/pairing.png"
install -m 0644 muos/README.txt "$app/README.txt"
install -m 0644 LICENSE "$app/LICENSE"
printf '%s\n' "$version" >"$app/VERSION"

# Reproducible: fixed times (UTC, as zip stores local time), sorted names,
# no extra attributes.
find "$app" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
rm -f "$out"
(cd "$work" && find Pairing | LC_ALL=C sort | TZ=UTC zip -q -X -D -9 -@ "$OLDPWD/$out")
unzip -l "$out"

# The archive's layout.
want="Pairing/LICENSE Pairing/README.txt Pairing/VERSION Pairing/glyph/pairing.png Pairing/mux_lang.ini Pairing/mux_launch.sh Pairing/pairingd Pairing/pairingd.toml.example"
got=$(unzip -Z1 "$out" | LC_ALL=C sort | tr '\n' ' ')
if [ "$got" != "$want " ]; then
	echo "muxapp: unexpected contents: $got" >&2
	exit 1
fi
unzip -p "$out" Pairing/mux_launch.sh | grep -q '^# HELP: ' || { echo "muxapp: no # HELP: header" >&2; exit 1; }
unzip -p "$out" Pairing/mux_launch.sh | grep -q '^# ICON: pairing$' || { echo "muxapp: no # ICON: header" >&2; exit 1; }
unzip -p "$out" Pairing/mux_launch.sh | grep -q '^# GRID: Pairing$' || { echo "muxapp: no # GRID: Pairing header" >&2; exit 1; }
# muX reads [full], [grid] and [help] from mux_lang.ini, keyed by the
# language setting's name; English is its default.
for section in full grid help; do
	unzip -p "$out" Pairing/mux_lang.ini | sed -n "/^\[$section\]\$/,/^\[/p" | grep -q '^English=.' ||
		{ echo "muxapp: mux_lang.ini has no English entry in [$section]" >&2; exit 1; }
done
file_out=$(unzip -p "$out" Pairing/pairingd | head -c 20 | od -An -tx1 | tr -d ' \n')
case $file_out in
7f454c46020101*b700*) ;; # ELF64, little endian, EM_AARCH64
*) echo "muxapp: Pairing/pairingd is not an arm64 ELF ($file_out)" >&2; exit 1 ;;
esac

# The launcher, as muOS runs it ("<dir>/mux_launch.sh <dir>"), with a stub
# pairingd that records its arguments, on a panel rotated a quarter turn
# (muOS's variables before 2025, without func.sh).
check="$work/check"
mkdir -p "$check"
(cd "$check" && unzip -q "$OLDPWD/$out")
cat >"$check/Pairing/pairingd" <<'STUB'
#!/bin/sh
printf '%s\n' "$@" >"$(dirname "$0")/args"
STUB
chmod 0755 "$check/Pairing/pairingd"
mkdir -p "$check/run/device/screen" "$check/tmp"
echo 1 >"$check/run/device/screen/rotate"
MUOS_FUNC=/nonexistent MUOS_RUN_DIR="$check/run" MUOS_TMP_DIR="$check/tmp" \
	sh "$check/Pairing/mux_launch.sh" "$check/Pairing"
args=$(tr '\n' ' ' <"$check/Pairing/args")
want_args="run --config $check/Pairing/pairingd.toml --state-dir $check/Pairing/state --display fb --rotate 90 --app "
if [ "$args" != "$want_args" ]; then
	echo "muxapp: the launcher ran: $args" >&2
	echo "                   wanted: $want_args" >&2
	exit 1
fi
[ -d "$check/Pairing/state" ] || { echo "muxapp: no state folder" >&2; exit 1; }
cmp -s "$check/Pairing/pairingd.toml" "$check/Pairing/pairingd.toml.example" ||
	{ echo "muxapp: pairingd.toml was not made from the example" >&2; exit 1; }
echo "muxapp: $out ($(stat -c %s "$out") bytes) ok"
