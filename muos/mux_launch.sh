#!/bin/sh
# HELP: Pair this handheld with your account: scan the QR code with your phone and approve it there. B or MENU closes the app.
# ICON: pairing
# GRID: Pairing
#
# muOS application launcher for pairingd. The frontend (muX) owns the screen
# except while an application runs: it starts this script as
# "<app dir>/mux_launch.sh <app dir>", waits for it, and draws its menu
# again when the script returns. pairingd therefore runs in the foreground
# here with --app, drawing on the framebuffer; B or MENU (Esc on a
# keyboard) quits it, this script returns and muX takes the screen back.
# pairingd never draws while muX is in front.
#
# muOS shows the HELP and GRID lines above only where mux_lang.ini (next to
# this script, one entry per language) has none; the GRID line wins over
# its [grid] entry.
#
# What pairingd is given, from muOS's own settings when it has them:
#   --app                 quit on B, Esc or MENU
#   --rotate DEGREES      the panel's rotation (GET_VAR device screen/rotate;
#                         before 2025 /run/muos/device/screen/rotate)
#   PAIRINGD_INPUT        "304=A&305=B&307=X&306=Y&354=MENU": the key codes
#                         (decimal, EV_KEY) of the buttons and what they
#                         are, from the device configuration (GET_VAR
#                         device input/code/button/*), pairingd's [input]
#                         table; only the buttons muOS names, unset when it
#                         names none
#   PAIRINGD_LANGUAGE     muOS's language setting as a language code (en,
#                         de, fr, es, pt, it); unset for others and none
#
# Everything lives in the app's folder on the SD card (muOS updates replace
# /opt/muos):
#   pairingd         the static arm64 binary
#   pairingd.toml    the configuration: set issuer and client_id (made
#                    from pairingd.toml.example on the first launch, so an
#                    update of the app keeps it)
#   state/           the device identity and tokens (pairingd.db)
#   pairingd.log     the log of the last run, after a line saying what
#                    this script passed
#   mux_lang.ini     the menu's name and help text, per language
#   glyph/pairing.png  the menu icon
#
# MUOS_FUNC, MUOS_RUN_DIR and MUOS_TMP_DIR move muOS's files elsewhere, for
# the tests.

APP_DIR=${1:-$(dirname "$0")}
cd "$APP_DIR" || exit 1
APP_DIR=$(pwd)

MUOS_FUNC=${MUOS_FUNC:-/opt/muos/script/var/func.sh}
# /run/muos holds the device variables before 2025 and, now, the frontend's
# hand-over files; /tmp held those before 2026 (act_go, gov_go, con_go).
MUOS_RUN_DIR=${MUOS_RUN_DIR:-/run/muos}
MUOS_TMP_DIR=${MUOS_TMP_DIR:-/tmp}

# muOS's helpers: GET_VAR and SET_VAR, and since Jacaranda (2601) SETUP_APP.
# Absent when the app is tried on another machine.
ON_MUOS=0
if [ -r "$MUOS_FUNC" ]; then
	# shellcheck source=/dev/null
	. "$MUOS_FUNC"
	ON_MUOS=1
fi
# func.sh may move the working directory; the paths below are relative.
cd "$APP_DIR" || exit 1

have() {
	command -v "$1" >/dev/null 2>&1
}

# muos_var NAMESPACE KEY prints a muOS variable through GET_VAR, which reads
# /opt/muos/{device/config,config}/KEY now and /run/muos/NAMESPACE/KEY
# before 2025; nothing when there is no GET_VAR or no such variable.
muos_var() {
	if have GET_VAR; then
		GET_VAR "$1" "$2" 2>/dev/null
	fi
}

# device_var KEY: a device variable, through GET_VAR, else from the
# pre-2025 file.
device_var() {
	dv=$(muos_var device "$1")
	if [ -z "$dv" ] && [ -r "$MUOS_RUN_DIR/device/$1" ]; then
		dv=$(cat "$MUOS_RUN_DIR/device/$1")
	fi
	printf '%s' "$dv"
}

# setting_var KEY: a user setting, in namespace "config" now and "global"
# before.
setting_var() {
	sv=$(muos_var config "$1")
	if [ -z "$sv" ]; then
		sv=$(muos_var global "$1")
	fi
	printf '%s' "$sv"
}

# degrees VALUE: muOS's rotation (quarter turns, 0 to 3; the frontend now
# also takes degrees) as pairingd's --rotate.
degrees() {
	case $1 in
	1 | 90) echo 90 ;;
	2 | 180) echo 180 ;;
	3 | 270) echo 270 ;;
	*) echo 0 ;;
	esac
}

# The control scheme the frontend chose for this launch ("system", "retro"
# or "modern"): /run/muos/controller now, con_go before. Read before the
# setup below, which may consume it.
SCHEME=""
for scheme_file in "$MUOS_RUN_DIR/controller" "$MUOS_TMP_DIR/con_go"; do
	if [ -r "$scheme_file" ]; then
		SCHEME=$(cat "$scheme_file")
		break
	fi
done

# The setup muOS's own apps do before they start their program.
if have SETUP_APP; then
	# Jacaranda (2601) and later: one helper applies the CPU governor and
	# the control scheme chosen for the app (its options in Applications),
	# sets HOME and records the foreground process; muOS's own apps do
	# nothing else, the frontend returns to the Applications menu.
	APP_BIN=pairingd
	SETUP_APP "$APP_BIN" ""
	cd "$APP_DIR" || exit 1
elif [ "$ON_MUOS" = 1 ]; then
	# Before: back to the Applications menu afterwards, the app's governor
	# (the frontend leaves it in gov_go), the control scheme (con_go, which
	# SETUP_SDL_ENVIRONMENT reads), HOME and the foreground process.
	echo app >"$MUOS_TMP_DIR/act_go"
	GOVERNOR=$(cat "$MUOS_TMP_DIR/gov_go" 2>/dev/null)
	GOVERNOR_FILE=$(device_var cpu/governor)
	if [ -n "$GOVERNOR" ] && [ -n "$GOVERNOR_FILE" ] && [ -w "$GOVERNOR_FILE" ]; then
		printf '%s' "$GOVERNOR" >"$GOVERNOR_FILE"
	fi
	if have SETUP_SDL_ENVIRONMENT; then
		SETUP_SDL_ENVIRONMENT
	fi
	BOARD_HOME=$(device_var board/home)
	if [ -n "$BOARD_HOME" ]; then
		HOME=$BOARD_HOME
		export HOME
	fi
	if have SET_VAR; then
		SET_VAR "system" "foreground_process" "pairingd"
	fi
	# The menu icon: muX read application glyphs from the active theme
	# (it now reads glyph/ in the app's folder).
	for glyph_dir in /opt/muos/share/theme/active/glyph/muxapp \
		/opt/muos/default/MUOS/theme/active/glyph/muxapp; do
		if [ -d "$glyph_dir" ] && [ -f glyph/pairing.png ]; then
			cp -f glyph/pairing.png "$glyph_dir/pairing.png" 2>/dev/null || true
		fi
	done
fi

# The panel's rotation. muX draws unrotated on HDMI (hdmi_mode) and in
# console mode; otherwise it turns its picture by screen/rotate. The RG28XX
# is a portrait panel showing landscape: muOS has given it a quarter turn
# as screen/rotate or only as sdl/rotation, and func.sh sets its
# framebuffer portrait by the board's name, so the name settles it.
ROTATE=0
if [ -e "$MUOS_RUN_DIR/hdmi_mode" ] || [ "$(setting_var boot/device_mode)" = 1 ]; then
	ROTATE=0
else
	ROTATE=$(degrees "$(device_var screen/rotate)")
	if [ "$ROTATE" = 0 ]; then
		case $(device_var board/name) in
		rg28xx*) ROTATE=90 ;;
		esac
	fi
fi

# The codes the buttons send, as muOS's device configuration names them
# (input/code/button/*; input/button/* in 2024), for pairingd's [input]
# table. A button counts when its code is a number above 0 and its type,
# if given, is 1 (EV_KEY).
button_code() {
	for layout in input/code/button input/button; do
		bc=$(device_var "$layout/$1")
		case $bc in
		'' | *[!0-9]* | 0) continue ;;
		esac
		case $(device_var "input/type/button/$1") in
		'' | 1) printf '%s' "$bc" ;;
		esac
		return
	done
}

# The "modern" control scheme swaps A with B and X with Y (muOS's
# input/sdlmap tables); "retro" and "system" keep muX's own layout.
INPUT_MAP=""
for role in A B X Y MENU; do
	case $role in
	A) name=a ;;
	B) name=b ;;
	X) name=x ;;
	Y) name=y ;;
	*) name=menu_short ;;
	esac
	if [ "$SCHEME" = modern ]; then
		case $name in
		a) name=b ;;
		b) name=a ;;
		x) name=y ;;
		y) name=x ;;
		esac
	fi
	code=$(button_code "$name")
	# MENU: a tap sends menu_short (muX opens its help on it); where the
	# device names none, menu_long, the code muOS's MENU combos hold.
	if [ "$role" = MENU ] && [ -z "$code" ]; then
		code=$(button_code menu_long)
	fi
	if [ -n "$code" ]; then
		INPUT_MAP=${INPUT_MAP:+$INPUT_MAP&}$code=$role
	fi
done
if [ -n "$INPUT_MAP" ]; then
	PAIRINGD_INPUT=$INPUT_MAP
	export PAIRINGD_INPUT
fi

# muOS names its languages in English; pairingd takes their codes.
case $(setting_var settings/general/language) in
English) PAIRINGD_LANGUAGE=en ;;
German | Deutsch) PAIRINGD_LANGUAGE=de ;;
French | Français) PAIRINGD_LANGUAGE=fr ;;
Spanish | Español) PAIRINGD_LANGUAGE=es ;;
Portuguese* | Português*) PAIRINGD_LANGUAGE=pt ;;
Italian | Italiano) PAIRINGD_LANGUAGE=it ;;
*) PAIRINGD_LANGUAGE= ;;
esac
if [ -n "$PAIRINGD_LANGUAGE" ]; then
	export PAIRINGD_LANGUAGE
fi

if [ ! -f pairingd.toml ] && [ -f pairingd.toml.example ]; then
	cp pairingd.toml.example pairingd.toml
fi
mkdir -p state
# The local API's socket: FAT and exFAT cards cannot hold one, so it lives
# in /run (a tmpfs) unless pairingd.toml sets socket. Other programs:
#   curl --unix-socket /run/pairingd/pairingd.sock http://pairingd/v1/token
if ! grep -q '^[[:space:]]*socket[[:space:]]*=' pairingd.toml 2>/dev/null; then
	PAIRINGD_SOCKET=/run/pairingd/pairingd.sock
	export PAIRINGD_SOCKET
fi
printf 'mux_launch.sh: --rotate %s, PAIRINGD_INPUT=%s, PAIRINGD_LANGUAGE=%s\n' \
	"$ROTATE" "${PAIRINGD_INPUT:-}" "${PAIRINGD_LANGUAGE:-}" >"$APP_DIR/pairingd.log"
# pairingd keeps state/ at 0700 and pairingd.db at 0600; FAT and exFAT
# cards have no Unix permissions, so it may log that it tightened them.
# shellcheck disable=SC2086 # PAIRINGD_ARGS is a word list
./pairingd run --config "$APP_DIR/pairingd.toml" --state-dir "$APP_DIR/state" \
	--display fb --rotate "$ROTATE" --app $PAIRINGD_ARGS >>"$APP_DIR/pairingd.log" 2>&1
status=$?

# pairingd has left the screen; muX draws it again once this returns.
if have SET_DEFAULT_GOVERNOR; then
	SET_DEFAULT_GOVERNOR
fi
if ! have SETUP_APP && [ "$ON_MUOS" = 1 ]; then
	rm -f "$MUOS_TMP_DIR/gov_go" "$MUOS_TMP_DIR/con_go"
	if have SET_VAR; then
		SET_VAR "system" "foreground_process" ""
	fi
fi
exit "$status"
