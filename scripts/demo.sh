#!/bin/sh
# Runs the local development authorization server and pairingd against it,
# with a throw-away state directory. Ctrl-C stops both.
set -eu
listen=${DEMO_LISTEN:-127.0.0.1:8080}
# PROFILE names the server to play; empty is both programs' default.
profile=${PROFILE:-}
state=$(mktemp -d "${TMPDIR:-/tmp}/pairingd-demo.XXXXXX")
log="$state/devauthserver.log"

bin/devauthserver --listen "$listen" ${profile:+--profile "$profile"} >"$log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	echo "Development server (${profile:-default profile}): http://$listen; its log: $log"
	echo "demo state kept in $state (bin/pairingd status --state-dir $state)"
}
trap cleanup EXIT INT TERM

# Wait until the server answers (at most 5 s).
i=0
# /device is the approval page every profile serves.
until curl -fsS "http://$listen/device" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 50 ] || ! kill -0 "$server" 2>/dev/null; then
		echo "devauthserver did not start:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done

# On a terminal the daemon takes the whole screen, which says where to
# approve (its "Go to" line is the server's approval page): anything
# printed here would be hidden behind it, so the notes come at the end.
display=term
if ! [ -t 1 ]; then
	display=plain
	echo "Development server (${profile:-default profile}): http://$listen (approve at http://$listen/device)"
	echo "State directory:    $state"
fi
bin/pairingd run --state-dir "$state" ${profile:+--profile "$profile"} --issuer "http://$listen" \
	--client-id pairingd-demo --display "$display" 2>"$state/pairingd.log"
