#!/bin/sh
# HELP: Pair this handheld with your account: scan the QR code with your phone and approve. Close the app with the muOS quit combo once it says Paired.
# ICON: pairing
# GRID: pairing
#
# muOS application launcher for pairingd. The frontend (muX) owns the screen
# except while an application runs; it starts this script as
# "<app dir>/mux_launch.sh <app dir>" and shows its menu again when the
# script returns. pairingd therefore runs in the foreground here, drawing on
# the framebuffer, and stops when muOS closes the app (SIGTERM from the
# quit combo). It never draws while muX is in front.
#
# Everything lives in the app's folder on the SD card (muOS updates replace
# /opt/muos):
#   pairingd         the static arm64 binary
#   pairingd.toml    the configuration: set issuer and client_id (made
#                    from pairingd.toml.example on the first launch, so an
#                    update of the app keeps it)
#   state/           the device identity and tokens (pairingd.db)
#   pairingd.log     the log of the last run
#   glyph/pairing.png  the menu icon, copied into the active theme

APP_DIR=${1:-$(dirname "$0")}
cd "$APP_DIR" || exit 1
APP_DIR=$(pwd)

# muOS's helpers (GET_VAR, SET_VAR); absent when tried on another machine.
MUOS_FUNC=${MUOS_FUNC:-/opt/muos/script/var/func.sh}
if [ -r "$MUOS_FUNC" ]; then
	# shellcheck source=/dev/null
	. "$MUOS_FUNC"
	echo app >/tmp/act_go
fi

# The menu icon: muX reads application glyphs from the active theme.
for glyph_dir in /opt/muos/share/theme/active/glyph/muxapp \
	/opt/muos/default/MUOS/theme/active/glyph/muxapp; do
	if [ -d "$glyph_dir" ] && [ -f glyph/pairing.png ]; then
		cp -f glyph/pairing.png "$glyph_dir/pairing.png" 2>/dev/null || true
	fi
done

# The panel's rotation in quarter turns: 1 on the RG28XX (a portrait panel
# showing landscape), 2 on the RG CubeXX.
ROTATE=0
ROTATE_FILE=${MUOS_ROTATE_FILE:-/run/muos/device/screen/rotate}
if [ -r "$ROTATE_FILE" ]; then
	case $(cat "$ROTATE_FILE") in
	1) ROTATE=90 ;;
	2) ROTATE=180 ;;
	3) ROTATE=270 ;;
	esac
fi

# The quit combo closes the "foreground process" by name.
if command -v SET_VAR >/dev/null 2>&1; then
	SET_VAR "system" "foreground_process" "pairingd"
fi
echo pairingd >/tmp/fg_proc 2>/dev/null || true

if [ ! -f pairingd.toml ] && [ -f pairingd.toml.example ]; then
	cp pairingd.toml.example pairingd.toml
fi
mkdir -p state
# pairingd keeps state/ at 0700 and pairingd.db at 0600; FAT and exFAT
# cards have no Unix permissions, so it may log that it tightened them.
# shellcheck disable=SC2086 # PAIRINGD_ARGS is a word list
./pairingd run --config "$APP_DIR/pairingd.toml" --state-dir "$APP_DIR/state" \
	--display fb --rotate "$ROTATE" $PAIRINGD_ARGS >"$APP_DIR/pairingd.log" 2>&1
status=$?

if command -v SET_VAR >/dev/null 2>&1; then
	SET_VAR "system" "foreground_process" ""
fi
exit "$status"
