#!/bin/bash
# Measures, on this machine:
#   - the stripped amd64 binary size,
#   - idle RSS and CPU over a window while awaiting the user,
#   - database commits while awaiting the user (there should be none),
#   - the latency from approval to the committed token.
# Usage: scripts/measure.sh [idle-seconds]   (make bench runs it; default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-60}
port=${MEASURE_PORT:-18181}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

[ -x bin/pairingd ] || make build >/dev/null
echo "binary: bin/pairingd $(stat -c %s bin/pairingd) bytes (stripped, static tags, amd64)"

start_server "$port" "$work/server.log" --interval 1s --code-ttl 30m

start_daemon() {
	bin/pairingd run --state-dir "$work/state" --issuer "http://127.0.0.1:$port" --client-id measure \
		--display plain >"$work/out" 2>"$work/err" &
	daemon=$!
	pids+=("$daemon")
	for _ in $(seq 100); do grep -q '^Code: ' "$work/out" 2>/dev/null && break; sleep 0.1; done
}
rev() { { bin/pairingd status --json --state-dir "$work/state" || true; } | sed -n 's/.*"revision": \([0-9]*\).*/\1/p'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

start_daemon
sleep 2
hz=$(getconf CLK_TCK)
r0=$(rev); t0=$(ticks "$daemon")
sleep "$idle"
r1=$(rev); t1=$(ticks "$daemon")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$daemon/status")
echo "awaiting user for ${idle}s (1 s poll interval): RSS ${rss} kB (anonymous ${anon} kB), CPU $(( (t1 - t0) * 1000 / hz )) ms = $(awk -v t=$((t1 - t0)) -v h="$hz" -v s="$idle" 'BEGIN{printf "%.3f", 100*t/h/s}') %"
echo "database commits while awaiting: $((r1 - r0))"

# Approval to committed token: approve right after a poll (worst case is one
# interval), then watch the store until the state is paired.
lat=()
for _ in 1 2 3 4 5; do
	code=$(sed -n 's/^Code: //p' "$work/out" | tail -1)
	a=$(date +%s%N)
	curl -fsS -o /dev/null -d "user_code=$code" -d action=approve "http://127.0.0.1:$port/device"
	until bin/pairingd status --state-dir "$work/state" >/dev/null 2>&1; do sleep 0.01; done
	b=$(date +%s%N)
	lat+=($(( (b - a) / 1000000 )))
	bin/pairingd unpair --state-dir "$work/state" >/dev/null
	for _ in $(seq 100); do [ "$(sed -n 's/^Code: //p' "$work/out" | tail -1)" != "$code" ] && break; sleep 0.05; done
done
echo "approval to committed token (ms, 1 s interval, 5 runs): ${lat[*]}"
