#!/bin/sh
# Prints the size of each binary and fails when an arm64 or armv7 binary is
# over the budget (bytes). The armv6 and amd64 sizes are printed only.
# Usage: scripts/size-check.sh BUDGET BINARY...
set -eu
budget=$1
shift
fail=0
printf '%-32s %10s %9s  %s\n' binary bytes MiB budget
for f in "$@"; do
	size=$(stat -c %s "$f")
	mib=$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }')
	case $f in
	*-arm64 | *-armv7)
		if [ "$size" -le "$budget" ]; then
			verdict="ok (<= $budget)"
		else
			verdict="OVER by $((size - budget)) bytes"
			fail=1
		fi
		;;
	*) verdict="-" ;;
	esac
	printf '%-32s %10s %9s  %s\n' "$f" "$size" "$mib" "$verdict"
done
if [ "$fail" -ne 0 ]; then
	echo "size-check: over the $budget-byte budget" >&2
	exit 1
fi
