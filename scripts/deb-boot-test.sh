#!/bin/bash
# The amd64 .deb in a fresh Debian bookworm booted with systemd as PID 1
# (make deb-boot-test): debootstrap makes the base system once (kept in
# build/deb-boot/cache), every run starts from a new overlay on it (the
# base itself stays untouched), installs the package with apt-get install
# ./pairingd_*.deb (so that its Depends resolve), boots that with
# systemd-nspawn -b and checks, in the booted guest:
#   install   apt resolves the Depends (adduser, ca-certificates)
#   1 unconfigured  the unit (no TTYPath, no tty for stdin) is active
#             without /dev/tty1 and stays up, STATUS= "Not configured…",
#             pairingd status says so and exits 3 (--json: not_configured);
#             it sends nothing: no TCP or UDP socket, no IP packet sent or
#             tried in the guest's network namespace, no "Can't reach" in
#             its journal; the configuration file is 0640 root:pairingd
#   2 getty   the unit conflicts with no getty; the guest's login prompt
#             (console-getty.service) runs as without pairingd
#   3 paired  devauthserver in the guest on 127.0.0.1:8080, a
#             configuration, the pairing approved, then systemctl restart:
#             "Paired" is back within 3 s and pairingd status exits 0
#   api       the local API: /run/pairingd/pairingd.sock is 0660
#             pairingd:pairingd; a user put in the
#             group (usermod -aG pairingd) gets the token from pairingd
#             token without reading the database, a user outside it is
#             refused and told how to be let in
#   4 purge   apt-get purge removes the state, the configuration and the
#             unit; the system user stays (Debian policy)
# The guest has no network (--private-network): whatever pairingd sends
# can go to the guest's loopback only. Each check prints PASS or FAIL; on
# a failure the guest's journal of pairingd follows, and the script
# exits 1. Run as root; it runs itself in a private mount namespace.
#
# Usage: scripts/deb-boot-test.sh PAIRINGD.DEB DEVAUTHSERVER
# DEB_BOOT_MIRROR (default http://deb.debian.org/debian) and
# DEB_BOOT_SUITE (bookworm) choose the base system; a base older than
# DEB_BOOT_CACHE_DAYS (7) is made again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 2 ]; then
	echo "usage: $0 PAIRINGD.DEB DEVAUTHSERVER" >&2
	exit 2
fi
deb=$(realpath "$1") devauthserver=$(realpath "$2")
if [ "$(id -u)" -ne 0 ]; then
	echo "deb-boot-test: run as root (debootstrap and systemd-nspawn need it)" >&2
	exit 1
fi
for cmd in debootstrap systemd-nspawn nsenter unshare; do
	if ! command -v "$cmd" >/dev/null; then
		echo "deb-boot-test: $cmd is missing (apt-get install debootstrap systemd-container util-linux)" >&2
		exit 1
	fi
done

# A private mount namespace: nspawn's mounts, and the tmpfs for its
# bookkeeping in /run/systemd/nspawn (which it cannot clean up on a /run
# that is not a tmpfs), go away with this script.
if [ -z "${DEB_BOOT_UNSHARED:-}" ]; then
	exec unshare --mount --propagation private env DEB_BOOT_UNSHARED=1 "$0" "$@"
fi
mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755 deb-boot-test /run/systemd/nspawn

dir=$PWD/build/deb-boot
cache=$dir/cache
suite=${DEB_BOOT_SUITE:-bookworm}
mirror=${DEB_BOOT_MIRROR:-http://deb.debian.org/debian}
# The base: systemd as init, dbus for logind, busybox for wget, iproute2
# for ss. Not adduser or ca-certificates: the package's Depends bring them.
include=systemd,systemd-sysv,dbus,busybox,iproute2
base=$cache/$suite-amd64
stamp="$suite $mirror minbase $include"

t0=$(date +%s%N)
tphase=$t0
times=()
# phase NAME: the time since the previous phase, as NAME.
phase() {
	local now
	now=$(date +%s%N)
	times+=("$(printf '%-24s %6.1f s' "$1" "$(((now - tphase) / 1000000))e-3")")
	tphase=$now
}

fails=0
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# nspawn's options for the guest. Without a system bus (a host whose PID 1
# is not systemd) nspawn cannot ask for a scope: it stays in this
# process's cgroup (--keep-unit).
nspawn_opts=(--quiet --register=no)
if [ ! -S /run/dbus/system_bus_socket ] || [ ! -d /run/systemd/system ]; then
	nspawn_opts+=(--keep-unit)
fi

# The base system, made once: debootstrap, then apt's lists (for the
# Depends that the base lacks).
if [ -d "$base" ] && [ "$(cat "$base.stamp" 2>/dev/null)" = "$stamp" ] &&
	[ -z "$(find "$base.stamp" -mtime +"${DEB_BOOT_CACHE_DAYS:-7}")" ]; then
	echo "deb-boot-test: base $base (made $(date -u -r "$base.stamp" '+%F %R UTC'))"
else
	echo "deb-boot-test: debootstrap --variant=minbase --include=$include $suite $mirror"
	mkdir -p "$cache"
	rm -rf "$base" "$base.tmp" "$base.stamp"
	if ! debootstrap --variant=minbase --include="$include" "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -n 30 "$cache/debootstrap.log" >&2
		echo "deb-boot-test: debootstrap failed (log: $cache/debootstrap.log)" >&2
		exit 1
	fi
	systemd-nspawn "${nspawn_opts[@]}" -D "$base.tmp" --pipe sh -ec \
		'apt-get update -q >/dev/null; apt-get clean'
	mv "$base.tmp" "$base"
	echo "$stamp" >"$base.stamp"
fi
phase "base system"

# A fresh copy, with devauthserver for check 3: an overlay on the base
# with an empty upper layer (the base stays as debootstrap left it), or a
# copy where overlayfs is missing.
root=$dir/root
for d in "$root" "$dir/upper" "$dir/work"; do
	if mountpoint -q "$d"; then umount "$d"; fi
	rm -rf "$d"
done
mkdir -p "$root" "$dir/upper" "$dir/work"
if ! mount -t overlay deb-boot-test -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$root" 2>/dev/null; then
	echo "deb-boot-test: no overlayfs: copying the base"
	rmdir "$root"
	cp -a "$base" "$root"
fi
install -m 755 "$devauthserver" "$root/usr/local/bin/devauthserver"
cp "$deb" "$root/root/"
phase "fresh copy"

# The package, installed before the boot (postinst enables the unit; the
# boot starts it). The network is the host's here, for the Depends.
in_root() {
	systemd-nspawn "${nspawn_opts[@]}" -D "$root" --pipe env DEBIAN_FRONTEND=noninteractive "$@"
}
debname=$(basename "$deb")
if in_root apt-get install -y -q --no-install-recommends "/root/$debname" >"$dir/install.log" 2>&1 ||
	{ in_root apt-get update -q >>"$dir/install.log" 2>&1 &&
		in_root apt-get install -y -q --no-install-recommends "/root/$debname" >>"$dir/install.log" 2>&1; }; then
	pass "install: apt-get install ./$debname"
else
	cat "$dir/install.log"
	fail "install: apt-get install ./$debname"
	exit 1
fi
# shellcheck disable=SC2016 # dpkg-query's ${Field}, not the shell's
depends=$(in_root dpkg-query -W -f '${Depends}' pairingd || true)
for dep in adduser ca-certificates; do
	# shellcheck disable=SC2016
	if sed 's/ *(.*//; s/^ *//; s/ *$//' <<<"${depends//[,|]/$'\n'}" | grep -x "$dep" >/dev/null &&
		[ "$(in_root dpkg-query -W -f '${Status}' "$dep" 2>/dev/null)" = "install ok installed" ]; then
		pass "install: Depends $dep, installed by apt"
	else
		fail "install: Depends $dep, installed by apt (Depends: $depends)"
	fi
done
phase "install"

# The boot. The console is a pty that nobody reads (passive), as a
# device's screen nobody watches: the guest's getty has its /dev/console.
console=$dir/console.log
systemd-nspawn "${nspawn_opts[@]}" -D "$root" -M deb-boot-test -b --private-network \
	--console=passive >"$console" 2>&1 </dev/null &
nspawn_pid=$!
leader=
cleanup() {
	if [ -n "$leader" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		g systemctl poweroff >/dev/null 2>&1 || true
		for _ in $(seq 100); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
	fi
	if kill -0 "$nspawn_pid" 2>/dev/null; then
		kill "$nspawn_pid" 2>/dev/null || true
		sleep 2
		kill -9 "$nspawn_pid" 2>/dev/null || true
	fi
	wait "$nspawn_pid" 2>/dev/null || true
}
trap cleanup EXIT

# g COMMAND...: COMMAND in the booted guest (its namespaces, its root).
g() {
	nsenter --target "$leader" --mount --uts --ipc --net --pid -- \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# The guest's PID 1 is nspawn's child once it runs systemd (before that,
# nspawn's child may be its intermediate process, which then exits).
for _ in $(seq 100); do
	for stat in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid _ 2>/dev/null <"$stat" || continue
		if [ "$ppid" = "$nspawn_pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ]; then
			leader=$pid
			break
		fi
	done
	[ -n "$leader" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$leader" ]; then
	cat "$console"
	echo "deb-boot-test: systemd-nspawn did not start the guest" >&2
	exit 1
fi
for _ in $(seq 300); do
	[ -S "/proc/$leader/root/run/systemd/private" ] && break
	sleep 0.1
done
booted=$(g timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
if [ "$booted" = running ] || [ "$booted" = degraded ]; then
	pass "boot: systemd is PID 1 of the guest and the boot finished ($booted)"
	[ "$booted" = running ] || g systemctl --failed --no-legend
else
	cat "$console"
	g journalctl -b --no-pager -n 100 || true
	g systemctl --failed --no-legend || true
	fail "boot: the guest did not finish booting (is-system-running: $booted)"
	exit 1
fi
phase "boot"

# prop NAME: the unit's property NAME.
prop() { g systemctl show -p "$1" --value pairingd || true; }
# wait_status PREFIX SECONDS: until StatusText starts with PREFIX, for at
# most SECONDS.
wait_status() {
	local end=$(($(date +%s%N) + $2 * 1000000000))
	while :; do
		case $(prop StatusText) in
		"$1"*) return 0 ;;
		esac
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
# sockets PID: the TCP and UDP sockets (IPv4 and IPv6) the process holds.
sockets() {
	# shellcheck disable=SC2016 # the guest's shell expands these
	g sh -c '
		inodes=$(for f in /proc/$1/fd/*; do readlink "$f"; done 2>/dev/null |
			sed -n "s/^socket:\[\([0-9]*\)\]$/\1/p")
		[ -n "$inodes" ] || exit 0
		for t in tcp tcp6 udp udp6; do
			[ -r /proc/$1/net/$t ] || continue
			for i in $inodes; do
				awk -v t=$t -v i="$i" "NR > 1 && \$10 == i { print t, \$2, \$3 }" /proc/$1/net/$t
			done
		done' sh "$1"
}

# --- 1: the package as installed, nothing edited -------------------------
if g test -e /dev/tty1; then
	echo "note: the guest has a /dev/tty1"
fi
sleep 10
active=$(g systemctl is-active pairingd || true)
restarts=$(prop NRestarts)
if [ "$active" = active ] && [ "$restarts" = 0 ]; then
	pass "1 unconfigured: pairingd.service is active without /dev/tty1, NRestarts=0 after 10 s"
else
	fail "1 unconfigured: pairingd.service is $active, NRestarts=$restarts after 10 s (want active, 0)"
fi
tty=$(prop TTYPath) stdin=$(prop StandardInput)
if [ -z "$tty" ] && [ "$stdin" != tty ] && [ "$stdin" != tty-force ]; then
	pass "1 unconfigured: the unit names no TTYPath and no tty for StandardInput ($stdin)"
else
	fail "1 unconfigured: the unit has TTYPath=$tty, StandardInput=$stdin"
fi
status=$(prop StatusText)
case $status in
"Not configured"*) pass "1 unconfigured: STATUS= \"$status\"" ;;
*) fail "1 unconfigured: STATUS= \"$status\" (want \"Not configured…\")" ;;
esac
rc=0
out=$(g pairingd status 2>&1) || rc=$?
if [ "$rc" = 3 ] && grep -qi 'not configured' <<<"$out"; then
	pass "1 unconfigured: pairingd status says not configured, exit 3"
else
	fail "1 unconfigured: pairingd status (exit $rc, want 3 and \"not configured\"):"
	printf '%s\n' "$out" | sed 's/^/    /'
fi
out=$(g pairingd status --json 2>&1) || true
if grep -q '"state": *"not_configured"' <<<"$out"; then
	pass "1 unconfigured: pairingd status --json has \"state\":\"not_configured\""
else
	fail "1 unconfigured: pairingd status --json has no \"state\":\"not_configured\":"
	printf '%s\n' "$out" | sed 's/^/    /'
fi
pid=$(prop MainPID)
if [ "${pid:-0}" != 0 ]; then
	held=$(sockets "$pid" || true)
	if [ -z "$held" ]; then
		pass "1 unconfigured: the daemon (pid $pid) holds no TCP or UDP socket"
	else
		fail "1 unconfigured: the daemon (pid $pid) holds sockets (table, local, remote in hex):"
		printf '%s\n' "$held" | sed 's/^/    /'
	fi
else
	fail "1 unconfigured: no main process to look at for sockets"
fi
# The guest's network namespace is new: its IP counters started at 0 and
# count every packet sent or tried (to no route, as without a network),
# loopback too. Nothing else in the guest sends.
# shellcheck disable=SC2016 # awk's fields
sent=$(g awk '
	$1 ~ /^(Ip|Tcp|Udp):$/ && !($1 in names) { names[$1] = 1; for (i = 2; i <= NF; i++) name[$1, i] = $i; next }
	$1 ~ /^(Ip|Tcp|Udp):$/ { for (i = 2; i <= NF; i++) if (name[$1, i] ~ /^(OutRequests|OutNoRoutes|ActiveOpens|OutDatagrams|NoPorts)$/ && $i != 0) printf "%s%s=%s ", $1, name[$1, i], $i }
	$1 ~ /^(Ip6OutRequests|Ip6OutNoRoutes|Udp6OutDatagrams)$/ && $2 != 0 { printf "%s=%s ", $1, $2 }
	' /proc/net/snmp /proc/net/snmp6 || true)
if [ -z "$sent" ]; then
	pass "1 unconfigured: the guest sent no IP packet and tried none (/proc/net/snmp, snmp6)"
else
	fail "1 unconfigured: the guest sent or tried to send IP packets: $sent"
fi
# Read whole, then searched: grep -q would end the pipe early.
journal=$(g journalctl -b -u pairingd --no-pager -q || true)
if grep -qi "can't reach" <<<"$journal"; then
	fail "1 unconfigured: the daemon's journal says it tried to reach a server"
else
	pass "1 unconfigured: no \"Can't reach\" in the daemon's journal"
fi
perm=$(g stat -c '%a %U:%G' /etc/pairingd/pairingd.toml 2>&1 || true)
if [ "$perm" = "640 root:pairingd" ]; then
	pass "1 unconfigured: /etc/pairingd/pairingd.toml is 0640 root:pairingd"
else
	fail "1 unconfigured: /etc/pairingd/pairingd.toml is $perm (want 640 root:pairingd)"
fi
phase "1 unconfigured"

# --- 2: the login prompt ---------------------------------------------------
conflicts=$(prop Conflicts)
if grep -q 'getty' <<<"$conflicts"; then
	fail "2 getty: pairingd.service conflicts with a getty: Conflicts=$conflicts"
else
	pass "2 getty: pairingd.service conflicts with no getty (Conflicts=$conflicts)"
fi
getty=$(g systemctl is-active console-getty.service || true)
if [ "$getty" = active ]; then
	pass "2 getty: the guest's login prompt, console-getty.service, is active"
else
	fail "2 getty: console-getty.service is $getty (want active)"
fi
phase "2 getty"

# --- 3: configured, paired, restarted --------------------------------------
# Each step needs the one before: the first failure ends check 3.
check_paired() {
	local code rc out restarted ok=
	if ! g systemd-run -q --unit devauth /usr/local/bin/devauthserver --listen 127.0.0.1:8080; then
		fail "3 paired: systemd-run devauthserver in the guest"
		return
	fi
	for _ in $(seq 50); do
		if g busybox wget -q -O /dev/null http://127.0.0.1:8080/.well-known/oauth-authorization-server 2>/dev/null; then
			ok=1
			break
		fi
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		fail "3 paired: devauthserver does not answer on 127.0.0.1:8080 in the guest"
		return
	fi
	# shellcheck disable=SC2016 # the guest's shell expands these
	if ! g sh -ec '
		f=/etc/pairingd/pairingd.toml
		sed -i -e "/^#* *issuer *=/d" -e "/^#* *client_id *=/d" "$f"
		printf "%s\n" "issuer = \"http://127.0.0.1:8080\"" "client_id = \"deb-boot-test\"" | cat - "$f" >"$f.new"
		cat "$f.new" >"$f"
		rm -f "$f.new"'; then
		fail "3 paired: writing issuer and client_id into /etc/pairingd/pairingd.toml"
		return
	fi
	g timeout 60 systemctl restart pairingd || true
	if ! wait_status "Waiting for approval" 30; then
		fail "3 paired: no \"Waiting for approval\" within 30 s of the restart (STATUS= \"$(prop StatusText)\")"
		return
	fi
	pass "3 paired: configured, STATUS= \"$(prop StatusText)\""
	code=$(g pairingd status --json 2>/dev/null | sed -n 's/.*"user_code": *"\([^"]*\)".*/\1/p' | head -n 1 || true)
	if [ -z "$code" ]; then
		fail "3 paired: no user_code in pairingd status --json"
		return
	fi
	if ! g busybox wget -q -O /dev/null --post-data "user_code=$code&action=approve" http://127.0.0.1:8080/device; then
		fail "3 paired: approving $code at devauthserver (POST /device)"
		return
	fi
	pass "3 paired: user code $code approved at devauthserver"
	if ! wait_status "Paired" 30; then
		fail "3 paired: not \"Paired\" within 30 s of the approval (STATUS= \"$(prop StatusText)\")"
		return
	fi
	pass "3 paired: STATUS= \"$(prop StatusText)\""
	g timeout 60 systemctl restart pairingd || true
	restarted=$(date +%s%N)
	if wait_status "Paired" 3; then
		pass "3 paired: \"Paired\" again $((($(date +%s%N) - restarted) / 1000000)) ms after systemctl restart returned"
	else
		fail "3 paired: not \"Paired\" within 3 s of systemctl restart (STATUS= \"$(prop StatusText)\")"
	fi
	# The sandbox lets it watch what it watches: the state directory
	# (inotify), the network (netlink), the clock being set (timerfd).
	out=$(g journalctl -b -u pairingd --no-pager -q 2>/dev/null | grep -E 'not watching|cannot watch' || true)
	if [ -z "$out" ]; then
		pass "3 paired: under the unit's sandbox it watches the state, the network and the clock (no \"not watching\" in its journal)"
	else
		fail "3 paired: the sandbox refuses a watch:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	rc=0
	out=$(g pairingd status 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		pass "3 paired: pairingd status exits 0"
	else
		fail "3 paired: pairingd status exits $rc (want 0):"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}
check_paired
phase "3 paired"

# --- api: the local API, as a program's user meets it -----------------------
check_api() {
	local mode out
	mode=$(g stat -c '%a %U:%G %F' /run/pairingd/pairingd.sock 2>&1 || true)
	if [ "$mode" = "660 pairingd:pairingd socket" ]; then
		pass "api: /run/pairingd/pairingd.sock is $mode"
	else
		fail "api: /run/pairingd/pairingd.sock is \"$mode\" (want 660 pairingd:pairingd socket)"
		return
	fi
	if ! g sh -ec 'useradd -M romsync && usermod -aG pairingd romsync && useradd -M stranger'; then
		fail "api: useradd romsync, stranger"
		return
	fi
	out=$(g runuser -u romsync -- pairingd token 2>&1) || true
	if [ "${#out}" -ge 16 ] && ! printf '%s' "$out" | grep -q ' '; then
		pass "api: romsync (usermod -aG pairingd) gets a token from pairingd token (${#out} characters)"
	else
		fail "api: romsync in group pairingd: pairingd token said:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	out=$(g runuser -u stranger -- pairingd token 2>&1) || true
	if printf '%s' "$out" | grep -q 'usermod -aG'; then
		pass "api: stranger is refused: $(printf '%s' "$out" | head -c 160)…"
	else
		fail "api: stranger, outside the group: pairingd token said:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}
check_api
phase "api"

# --- 4: apt-get purge -------------------------------------------------------
if g env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pairingd >"$dir/purge.log" 2>&1; then
	pass "4 purge: apt-get purge -y pairingd"
else
	cat "$dir/purge.log"
	fail "4 purge: apt-get purge -y pairingd"
fi
for path in /var/lib/pairingd /var/lib/private/pairingd /etc/pairingd \
	/lib/systemd/system/pairingd.service /usr/lib/systemd/system/pairingd.service \
	/etc/systemd/system/multi-user.target.wants/pairingd.service /usr/bin/pairingd \
	/usr/lib/sysusers.d/pairingd.conf; do
	if g test -e "$path" || g test -L "$path"; then
		fail "4 purge: $path is still there"
	else
		pass "4 purge: $path is gone"
	fi
done
if g systemctl is-enabled pairingd >/dev/null 2>&1; then
	fail "4 purge: systemctl is-enabled pairingd succeeds ($(g systemctl is-enabled pairingd 2>&1))"
else
	pass "4 purge: systemctl is-enabled pairingd fails"
fi
# shellcheck disable=SC2016
if [ "$(g dpkg-query -W -f '${Status}' pairingd 2>/dev/null || true)" = "install ok installed" ]; then
	fail "4 purge: dpkg still lists pairingd as installed"
else
	pass "4 purge: dpkg no longer knows pairingd"
fi
if g getent passwd pairingd >/dev/null; then
	echo "note: the system user pairingd stays (Debian policy keeps system users)"
fi
phase "4 purge"

if [ "$fails" -gt 0 ]; then
	echo "== the guest's journal of pairingd.service and devauth.service"
	g journalctl -b -u pairingd -u devauth --no-pager -o short-monotonic || true
fi
cleanup
trap - EXIT
phase "shutdown"
echo "== times"
printf '  %s\n' "${times[@]}"
now=$(date +%s%N)
printf '  %-24s %6.1f s\n' total "$(((now - t0) / 1000000))e-3"
if [ "$fails" -gt 0 ]; then
	echo "deb-boot-test: $fails check(s) FAILED"
	exit 1
fi
echo "deb-boot-test: all checks passed"
