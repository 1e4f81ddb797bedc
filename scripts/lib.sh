# shellcheck shell=bash
# What the test and measurement scripts share. Each sources it after its
# cd to the tree's root, and gets:
#   work            a scratch directory, removed at exit;
#   pids            processes stopped at exit (append: pids+=($!));
#   before_cleanup  run first at exit; a script may define its own;
#   start_server PORT LOG [ARGS...]
#                   the development server on 127.0.0.1:PORT, its log in
#                   LOG, returning once it answers (built when missing);
#   daemon_under_test
#                   prints the pairingd a measurement runs: $PAIRINGD (an
#                   older tree's build), else the static amd64 release
#                   build, made when out of date, as a device runs it.
work=$(mktemp -d)
pids=()
before_cleanup() { :; }
cleanup() {
	before_cleanup
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

start_server() {
	local port=$1 log=$2
	shift 2
	[ -x bin/devauthserver ] || make build >/dev/null
	bin/devauthserver --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$port/.well-known/oauth-authorization-server" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "$0: the development server did not answer on port $port" >&2
	return 1
}

daemon_under_test() {
	if [ -n "${PAIRINGD:-}" ]; then
		echo "$PAIRINGD"
		return
	fi
	make dist/pairingd-linux-amd64 >/dev/null
	echo dist/pairingd-linux-amd64
}
