#!/bin/bash
# Runs each binary of `make dist` on the CPU of the smallest device it is
# for, under qemu-user: `version`, then a full pairing against the
# development authorization server on loopback (code shown, approved with
# curl, "paired" in status, a token that /userinfo accepts, clean stop on
# SIGTERM). The armv6 binary also runs on a Cortex-A7, since the armhf .deb
# carries it to every 32-bit Pi.
# Usage: scripts/qemu-test.sh VERSION   (make qemu-test sets QEMU_arm64,
# QEMU_armv7 and QEMU_armv6 and builds bin/devauthserver and dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
port=${QEMU_TEST_PORT:-18282}
base="http://127.0.0.1:$port"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

runs=(
	"arm64|${QEMU_arm64:-qemu-aarch64-static -cpu cortex-a53}"
	"armv7|${QEMU_armv7:-qemu-arm-static -cpu cortex-a7}"
	"armv6|${QEMU_armv6:-qemu-arm-static -cpu arm1176}"
	"armv6|qemu-arm-static -cpu cortex-a7"
	"amd64|"
)

start_server "$port" "$work/server.log" --interval 1s

fail() {
	echo "qemu-test: $*" >&2
	for f in "$work"/*.out "$work"/*.err "$work/server.log"; do
		[ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; } >&2
	done
	exit 1
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

for run in "${runs[@]}"; do
	arch=${run%%|*}
	read -r -a emu <<<"${run#*|}"
	exe="dist/pairingd-linux-$arch"
	name="$arch${emu[2]:+-${emu[2]}}"
	[ -x "$exe" ] || fail "$exe missing (make dist)"
	start=$SECONDS

	out=$("${emu[@]}" "$exe" version) || fail "$name: version failed"
	[ "$out" = "pairingd $version" ] || fail "$name: version printed '$out', want 'pairingd $version'"

	state="$work/state-$name"
	pd=("${emu[@]}" "$exe")
	"${pd[@]}" run --state-dir "$state" --issuer "$base" --client-id "qemu-$name" \
		--display plain >"$work/$name.out" 2>"$work/$name.err" &
	daemon=$!
	pids+=("$daemon")
	wait_for 60 grep -q '^Code: ' "$work/$name.out" || fail "$name: no code shown"
	code=$(sed -n 's/^Code: //p' "$work/$name.out" | tail -1)
	curl -fsS -o /dev/null -d "user_code=$code" -d action=approve "$base/device" || fail "$name: approve failed"
	wait_for 60 "${pd[@]}" status --state-dir "$state" >/dev/null 2>&1 || fail "$name: not paired"
	token=$("${pd[@]}" token --state-dir "$state" --issuer "$base" --client-id "qemu-$name") || fail "$name: token failed"
	curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/userinfo" || fail "$name: /userinfo refused the token"
	kill -TERM "$daemon"
	rc=0
	wait "$daemon" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name: exit status $rc after SIGTERM"
	echo "qemu-test: $name ok: version, code $code approved, paired, token accepted, clean stop ($((SECONDS - start)) s)"
done
