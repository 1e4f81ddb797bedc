#!/bin/bash
# Every fuzz target of every package, one after the other, for FUZZTIME
# each (make fuzz). The targets are found with go test -list, so new ones
# join in by themselves; a failing input lands in the package's
# testdata/fuzz/<target>, and fails the run at once.
#
# Go before 1.27 can report its own -fuzztime deadline as a failure of the
# target ("context deadline exceeded") when a worker is still inside a slow
# input as time runs out; the SQLite targets run under a hundred inputs a
# second, so on two loaded cores this happens. Such a failure writes no
# input. A target that failed without writing one is run once more, and
# fails the run only if it fails again.
#
# Usage: scripts/fuzz.sh [FUZZTIME]   (GO and GOFLAGS from the environment)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-60s}
go=${GO:-go}
read -r -a flags <<<"${GOFLAGS:-}"
# GOFLAGS reaches go as arguments, not through its environment variable,
# which would apply them to every go command of the tests as well.
unset GOFLAGS

# inputs DIR: the failing inputs a target has written so far, one a line.
inputs() {
	if [ -d "$1" ]; then find "$1" -type f | sort; fi
}

"$go" test "${flags[@]}" -list '^Fuzz' ./... |
	awk '/^Fuzz/ { names = names " " $1; next } /^ok/ { if (names != "") print $2 names; names = "" }' |
	while read -r pkg names; do
		dir=$("$go" list "${flags[@]}" -f '{{.Dir}}' "$pkg")
		for name in $names; do
			corpus=$dir/testdata/fuzz/$name
			for try in 1 2; do
				echo "== $pkg $name"
				before=$(inputs "$corpus")
				if "$go" test "${flags[@]}" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"; then
					break
				fi
				new=$(comm -13 <(echo "$before") <(inputs "$corpus"))
				if [ -n "$new" ]; then
					echo "$name: a failing input was written: $new" >&2
					exit 1
				fi
				if [ "$try" = 2 ]; then
					echo "$name failed twice without a failing input" >&2
					exit 1
				fi
				echo "$name failed without writing a failing input (Go's fuzzing deadline, before Go 1.27): once more" >&2
			done
		done
	done
