#!/bin/bash
# What pairingd costs at rest, each display beside the others in one run
# (make bench), so that the next change can be compared:
#   - wake-ups a second: context switches of all the daemon's threads
#     (/proc/PID/task/*/status), while awaiting the user and while paired;
#   - CPU (% of one core) and RSS;
#   - bytes written to the terminal a countdown tick (term in tmux,
#     tmux pipe-pane).
# Usage: scripts/rest.sh [seconds]   (default 30 a window)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
port=${REST_PORT:-18182}
work=$(mktemp -d)
pids=()
sock="$work/tmux.sock"
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
[ -x bin/pairingd ] || make build >/dev/null
command -v tmux >/dev/null || { echo "rest.sh: tmux is needed" >&2; exit 1; }

bin/devauthserver --listen "127.0.0.1:$port" --code-ttl 30m >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/device" >/dev/null 2>&1 && break; sleep 0.1; done

switches() {
	local t=0 f v
	for f in /proc/"$1"/task/*/status; do
		v=$(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$f" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# window PID: prints "wake-ups/s cpu% rss-kB" over $secs seconds.
window() {
	local s0 t0 s1 t1 hz
	hz=$(getconf CLK_TCK)
	s0=$(switches "$1"); t0=$(ticks "$1")
	sleep "$secs"
	s1=$(switches "$1"); t1=$(ticks "$1")
	awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v d="$secs" -v h="$hz" -v r="$(rss "$1")" \
		'BEGIN { printf "%6.2f %6.3f %7d\n", s / d, 100 * t / h / d, r }'
}
args=(--issuer "http://127.0.0.1:$port" --client-id rest)

# plain, awaiting; then paired.
bin/pairingd run --state-dir "$work/plain" --display plain "${args[@]}" >"$work/plain.out" 2>"$work/plain.err" &
plain=$!
pids+=("$plain")
# term in tmux, awaiting, with what reaches the terminal piped to a file.
tmux -S "$sock" new-session -d -s t -x 100 -y 40 "exec bin/pairingd run --state-dir $work/term --display term ${args[*]} 2>$work/term.err"
for _ in $(seq 100); do
	grep -q '^Code: ' "$work/plain.out" 2>/dev/null && tmux -S "$sock" capture-pane -p -t t | grep -q 'Code: ' && break
	sleep 0.1
done
term=$(tmux -S "$sock" list-panes -t t -F '#{pane_pid}')
sleep 2
tmux -S "$sock" pipe-pane -t t -o "cat >> $work/term.bytes"
printf '%-34s %8s %7s %8s %s\n' "display, state" "wake/s" "CPU %" "RSS kB" "bytes/tick"
w=$(window "$plain" & window "$term" >"$work/term.w"; wait)
tmux -S "$sock" pipe-pane -t t
bytes=$(stat -c %s "$work/term.bytes" 2>/dev/null || echo 0)
read -r a b c <<<"$w"
printf '%-34s %8s %7s %8s %s\n' "plain, awaiting (5 s interval)" "$a" "$b" "$c" "-"
read -r a b c <"$work/term.w"
printf '%-34s %8s %7s %8s %s\n' "term in tmux, awaiting" "$a" "$b" "$c" "$((bytes / secs))"

code=$(sed -n 's/^Code: //p' "$work/plain.out" | tail -1)
curl -fsS -o /dev/null -d "user_code=$code" -d action=approve "http://127.0.0.1:$port/device"
for _ in $(seq 100); do grep -q '^Paired' "$work/plain.out" && break; sleep 0.1; done
sleep 2
read -r a b c <<<"$(window "$plain")"
printf '%-34s %8s %7s %8s %s\n' "plain, paired and idle" "$a" "$b" "$c" "-"
