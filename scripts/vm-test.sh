#!/bin/bash
# The VM test's guest (make vm-test): Debian's amd64 kernel and an
# initramfs with busybox, the static pairingd and devauthserver, the
# kernel modules the init script loads (bochs DRM, evdev, virtio input)
# and vmtest/init; then the Go test that boots it under
# qemu-system-x86_64 and reads the screen (go test -tags=...,vmtest
# ./vmtest, which the Makefile passes as the rest of the arguments).
#
# Usage: scripts/vm-test.sh PAIRINGD DEVAUTHSERVER [GO TEST COMMAND...]
#
# The kernel and busybox packages come with apt-get download (about
# 72 MB) into build/vm/cache and are kept there; VMTEST_KERNEL_DEB names
# another kernel package file. The initramfs is built anew every run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -lt 2 ]; then
	echo "usage: $0 PAIRINGD DEVAUTHSERVER [GO TEST COMMAND...]" >&2
	exit 2
fi
pairingd=$1 devauthserver=$2
shift 2

dir=$PWD/build/vm
cache=$dir/cache
mkdir -p "$cache"

for cmd in qemu-system-x86_64 cpio gzip xz dpkg; do
	if ! command -v "$cmd" >/dev/null; then
		echo "vm-test: $cmd is missing (apt-get install qemu-system-x86 cpio xz-utils)" >&2
		exit 1
	fi
done
for bin in "$pairingd" "$devauthserver"; do
	# The initramfs has no libc: a binary that names a program
	# interpreter (ld.so) would not start.
	if command -v readelf >/dev/null && readelf -l "$bin" | grep -q 'program interpreter'; then
		echo "vm-test: $bin is not static (the initramfs has no libc)" >&2
		exit 1
	fi
done

# download PACKAGE: the .deb of PACKAGE in the cache, fetched once.
download() {
	local deb
	deb=$(find "$cache" -maxdepth 1 -name "$1_*.deb" | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download -o APT::Sandbox::User=root "$1" >&2) || {
			echo "vm-test: apt-get download $1 failed (apt-get update first?)" >&2
			return 1
		}
		deb=$(find "$cache" -maxdepth 1 -name "$1_*.deb" | head -n 1)
	fi
	echo "$deb"
}

# The kernel linux-image-amd64 stands for now (linux-image-6.1.0-N-amd64).
if [ -n "${VMTEST_KERNEL_DEB:-}" ]; then
	kdeb=$VMTEST_KERNEL_DEB
else
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$kpkg" ]; then
		echo "vm-test: apt-cache knows no linux-image-amd64 (apt-get update first?)" >&2
		exit 1
	fi
	# An older kernel's package and tree, after a kernel update.
	find "$cache" -maxdepth 1 -name 'linux-image-*' ! -name "${kpkg}_*" -exec rm -rf {} +
	kdeb=$(download "$kpkg")
fi
bbdeb=$(download busybox-static)

# Unpacked once per package file; depmod (busybox's) writes modules.dep.
kdir=$cache/$(basename "$kdeb" .deb)
if [ ! -d "$kdir" ]; then
	rm -rf "$kdir.tmp"
	dpkg -x "$kdeb" "$kdir.tmp"
	kver=$(basename "$(find "$kdir.tmp/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
	bbtmp=$(mktemp -d)
	dpkg -x "$bbdeb" "$bbtmp"
	"$bbtmp/bin/busybox" depmod -b "$kdir.tmp" "$kver"
	rm -rf "$bbtmp"
	mv "$kdir.tmp" "$kdir"
fi
kver=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
moddir=lib/modules/$kver
kernel=$kdir/boot/vmlinuz-$kver

# The kernel uncompressed, which QEMU boots directly (PVH entry; Debian
# builds with CONFIG_PVH): decompressing the bzImage's xz under TCG takes
# 10-20 s of the boot. The vesafb test still needs the bzImage, whose
# real-mode setup sets the VESA mode (vga=). As the kernel's
# scripts/extract-vmlinux does: the xz stream from its magic on.
vmlinux=$kdir/vmlinux
if [ ! -s "$vmlinux" ]; then
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kernel" | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		# xz stops at the padding after the stream and says so.
		tail -c +$((off + 1)) "$kernel" | xz -dcq >"$vmlinux.tmp" 2>/dev/null || true
	fi
	if [ "$(head -c 4 "$vmlinux.tmp" 2>/dev/null)" = $'\x7fELF' ]; then
		mv "$vmlinux.tmp" "$vmlinux"
	else
		rm -f "$vmlinux.tmp"
		echo "vm-test: no xz-compressed vmlinux in $kernel: booting the bzImage (slower)" >&2
		vmlinux=
	fi
fi

# The initramfs tree.
root=$dir/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/etc" "$root/$moddir" "$root/root"
dpkg --fsys-tarfile "$bbdeb" | tar -xO ./bin/busybox >"$root/bin/busybox"
chmod 755 "$root/bin/busybox"
ln -s busybox "$root/bin/sh" # for /init's #!; /init installs the other applets
install -m 755 vmtest/init "$root/init"
install -m 755 "$pairingd" "$root/bin/pairingd"
install -m 755 "$devauthserver" "$root/bin/devauthserver"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
printf 'PRETTY_NAME="vm-test (busybox, Debian kernel %s)"\nID=vmtest\n' "$kver" >"$root/etc/os-release"

# The modules the init script loads, each with what modules.dep says it
# needs; the initramfs's modules.dep lists just those.
want=(kernel/drivers/gpu/drm/tiny/bochs.ko kernel/drivers/input/evdev.ko
	kernel/drivers/virtio/virtio_pci.ko kernel/drivers/virtio/virtio_input.ko)
: >"$root/$moddir/modules.dep"
files=()
for m in "${want[@]}"; do
	line=$(grep "^$m:" "$kdir/$moddir/modules.dep") || {
		echo "vm-test: $m is not in $kver's modules.dep" >&2
		exit 1
	}
	read -r -a deps <<<"${line#*:}"
	files+=("$m" "${deps[@]}")
done
mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort -u)
for f in "${files[@]}"; do
	mkdir -p "$root/$moddir/$(dirname "$f")"
	cp "$kdir/$moddir/$f" "$root/$moddir/$f"
	grep "^$f:" "$kdir/$moddir/modules.dep" >>"$root/$moddir/modules.dep"
done

initrd=$dir/initrd.gz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$initrd"
echo "vm-test: kernel $kver ($(basename "$kdeb")), initramfs $(du -k "$initrd" | cut -f1) KiB," \
	"modules: $(cd "$root/$moddir" && find . -name '*.ko' -printf '%f\n' | LC_ALL=C sort | paste -sd ' ' -)"

if [ "$#" -gt 0 ]; then
	VMTEST_KERNEL=$kernel VMTEST_VMLINUX=$vmlinux VMTEST_INITRD=$initrd VMTEST_DIR=$dir "$@"
fi
