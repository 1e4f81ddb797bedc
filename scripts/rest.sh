#!/bin/bash
# What pairingd costs at rest, each display beside the others in one run
# (make bench), so that the next change can be compared:
#   - wake-ups a second: context switches of all the daemon's threads
#     (/proc/PID/task/*/status), while awaiting the user and while paired;
#   - CPU (% of one core), RSS and the anonymous part of it (what is not
#     the executable's pages, which the kernel may map whole);
#   - bytes written to the terminal a countdown tick (term in tmux,
#     tmux pipe-pane).
# Usage: scripts/rest.sh [seconds]   (default 30 a window)
# PAIRINGD=path measures another build of the daemon (an older tree's).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
port=${REST_PORT:-18182}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
sock="$work/tmux.sock"
before_cleanup() { tmux -S "$sock" kill-server 2>/dev/null || true; }
# The static release build, not make build's, which links glibc
# dynamically: 1.5 MB more RSS.
pd=$(daemon_under_test)
command -v tmux >/dev/null || { echo "rest.sh: tmux is needed" >&2; exit 1; }

start_server "$port" "$work/server.log" --code-ttl 30m

switches() {
	local t=0 f v
	for f in /proc/"$1"/task/*/status; do
		v=$(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$f" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}
# cpu PID: nanoseconds the daemon's threads have run (schedstat: exact,
# where /proc/PID/stat counts in ticks of 10 ms).
cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d\n", s}'; }
rss() { awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {print r "/" a}' "/proc/$1/status"; }
# polls PID: the requests PID has sent the server over its open
# connections (TCP data segments out, from ss): the daemon is not woken to
# ask it. "" without ss.
polls() {
	command -v ss >/dev/null || return 0
	ss -tinpH state established "( dport = :$port )" |
		awk -v pid="pid=$1," '/users:/ {mine = index($0, pid) > 0} mine && match($0, /data_segs_out:[0-9]+/) {n += substr($0, RSTART + 14, RLENGTH - 14)} END {print n + 0}'
}
# window PID: prints "wake-ups/s cpu% rss/anon-kB polls/s" over $secs
# seconds.
window() {
	local s0 t0 s1 t1 p0 p1
	p0=$(polls "$1")
	s0=$(switches "$1"); t0=$(cpu "$1")
	sleep "$secs"
	s1=$(switches "$1"); t1=$(cpu "$1")
	p1=$(polls "$1")
	awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v d="$secs" -v r="$(rss "$1")" -v p0="$p0" -v p1="$p1" \
		'BEGIN { printf "%6.2f %7.4f %s %s\n", s / d, 100 * t / 1e9 / d, r, (p0 == "" || p1 == "") ? "-" : sprintf("%.2f", (p1 - p0) / d) }'
}
row() { printf '%-34s %8s %7s %12s %8s %s\n' "$@"; }
args=(--issuer "http://127.0.0.1:$port" --client-id rest)

# The floor: the smallest Go client of the grant (golang.org/x/oauth2),
# polling the same server, built from scripts/restclient.
client=
if (cd scripts/restclient && CGO_ENABLED=0 go build -trimpath -o "$work/restclient" .) 2>"$work/client.build"; then
	"$work/restclient" -server "http://127.0.0.1:$port" >"$work/client.out" 2>&1 &
	client=$!
	pids+=("$client")
else
	echo "rest.sh: the x/oauth2 client did not build; no floor row" >&2
	cat "$work/client.build" >&2
fi
# plain, awaiting; then paired.
$pd run --state-dir "$work/plain" --display plain "${args[@]}" >"$work/plain.out" 2>"$work/plain.err" &
plain=$!
pids+=("$plain")
# term in tmux, awaiting, with what reaches the terminal piped to a file.
tmux -S "$sock" new-session -d -s t -x 100 -y 40 "exec $pd run --state-dir $work/term --display term ${args[*]} 2>$work/term.err"
for _ in $(seq 100); do
	grep -q '^Code: ' "$work/plain.out" 2>/dev/null && tmux -S "$sock" capture-pane -p -t t | grep -q 'Code: ' && break
	sleep 0.1
done
term=$(tmux -S "$sock" list-panes -t t -F '#{pane_pid}')
sleep 2
tmux -S "$sock" pipe-pane -t t -o "cat >> $work/term.bytes"
row "display, state" "wake/s" "CPU %" "RSS/anon kB" "polls/s" "bytes/tick"
ws=()
window "$plain" >"$work/plain.w" &
ws+=($!)
window "$term" >"$work/term.w" &
ws+=($!)
if [ -n "$client" ]; then
	window "$client" >"$work/client.w" &
	ws+=($!)
fi
wait "${ws[@]}"
tmux -S "$sock" pipe-pane -t t
bytes=$(stat -c %s "$work/term.bytes" 2>/dev/null || echo 0)
read -r pa pb pc pp <"$work/plain.w"
row "plain, awaiting (5 s interval)" "$pa" "$pb" "$pc" "$pp" "-"
read -r a b c p <"$work/term.w"
row "term in tmux, awaiting" "$a" "$b" "$c" "$p" "$((bytes / secs))"
if [ -n "$client" ]; then
	read -r ca cb cc cp <"$work/client.w"
	row "x/oauth2 client, awaiting (floor)" "$ca" "$cb" "$cc" "$cp" "-"
	# The goal while awaiting: at most 1 wake-up a second beyond what the
	# floor spends on as many polls.
	awk -v pa="$pa" -v pp="$pp" -v ca="$ca" -v cp="$cp" 'BEGIN {
		if (pp == "-" || cp == "-" || cp == 0) exit
		g = 1 + ca / cp * pp
		printf "awaiting, plain: %.2f wake-ups/s; goal 1 + the floor'"'"'s %.1f a poll x %.2f polls/s = %.2f: %s\n", pa, ca / cp, pp, g, (pa <= g) ? "met" : "NOT met"
	}'
fi

code=$(sed -n 's/^Code: //p' "$work/plain.out" | tail -1)
curl -fsS -o /dev/null -d "user_code=$code" -d action=approve "http://127.0.0.1:$port/device"
for _ in $(seq 100); do grep -q '^Paired' "$work/plain.out" && break; sleep 0.1; done
sleep 2
read -r a b c p <<<"$(window "$plain")"
row "plain, paired and idle" "$a" "$b" "$c" "$p" "-"
