// Package vmtest boots a real Linux kernel under qemu-system-x86_64 with
// pairingd on its framebuffer, and reads the screen back from the host:
// `make vm-test`. scripts/vm-test.sh builds the initramfs (busybox, the
// static pairingd and devauthserver, the kernel's DRM and input modules,
// and the init script in this directory); the test behind the vmtest build
// tag (vm_test.go) starts the VM and drives it through QEMU's QMP socket:
// screendumps decoded as QR codes, key presses, and commands to the init
// script on a second serial port.
//
// The parts that need no VM (QMP, the PPM reader, starting QEMU) are in
// the package proper, so that make test builds, vets and checks them.
package vmtest
