#!/bin/bash
# Real daemons started together against one server: the requests the
# server sees in 1 s bins (its debug log), peak and mean, after the first
# poll interval. make bench runs the simulation at 10,000 devices; this
# checks the real binary at a size one machine can run.
# Usage: scripts/fleet.sh [devices] [seconds]   (default 100, 60)
# PAIRINGD=path measures another build (an older tree's).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
secs=${2:-60}
port=${FLEET_PORT:-18183}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
pd=$(daemon_under_test)

start_server "$port" "$work/server.log" --code-ttl 30m --log-level debug
# No local API: a hundred sockets would only be noise (older builds have
# none).
off=()
if "$pd" run --help 2>&1 | grep -q -- -socket; then off=(--socket off); fi
for i in $(seq "$n"); do
	$pd run --state-dir "$work/d$i" --display plain "${off[@]}" \
		--issuer "http://127.0.0.1:$port" --client-id "fleet$i" >/dev/null 2>&1 &
	pids+=($!)
done
sleep "$secs"
# Seconds of the day of each request to the two endpoints, binned; the
# first interval (5 s) is the start, which the spread does not cover.
grep -E 'msg="(device authorization|device code poll)"' "$work/server.log" |
	sed -E 's/^time=[0-9-]+T([0-9]+):([0-9]+):([0-9]+)\..*/\1 \2 \3/' |
	awk -v n="$n" '{t = $1 * 3600 + $2 * 60 + $3; c[t]++; if (first == "" || t < first) first = t; if (t > last) last = t}
	END {
		for (t = first + 5; t < last; t++) { s += c[t]; k++; if (c[t] > peak) peak = c[t] }
		if (k == 0) { print "no requests"; exit 1 }
		printf "%d daemons: %d s after the first 5: peak %d, mean %.2f requests/s, peak/mean %.2f\n", n, k, peak, s / k, peak / (s / k)
	}'
