package input

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pairingd/pairingd/display"
)

// The uinput ioctls of linux/uinput.h (asm-generic encoding).
const (
	uiDevCreate  = 0x5501     // UI_DEV_CREATE
	uiDevDestroy = 0x5502     // UI_DEV_DESTROY
	uiDevSetup   = 0x405c5503 // UI_DEV_SETUP, a struct uinput_setup
	uiSetEvBit   = 0x40045564 // UI_SET_EVBIT
	uiSetKeyBit  = 0x40045565 // UI_SET_KEYBIT
	uiGetSysname = 0x8040552c // UI_GET_SYSNAME(64)
)

// uinputSetup is struct uinput_setup: struct input_id, the name, and
// ff_effects_max.
type uinputSetup struct {
	bustype, vendor, product, version uint16
	name                              [80]byte
	ffEffectsMax                      uint32
}

// uinputPad is a virtual gamepad the kernel makes for us.
type uinputPad struct {
	t    *testing.T
	f    *os.File
	node string // its /dev/input/eventN
}

// newUinputPad makes a gamepad with the buttons A, B, X, Y named name, or
// skips the test when the kernel cannot.
func newUinputPad(t *testing.T, name string) *uinputPad {
	t.Helper()
	f, err := os.OpenFile("/dev/uinput", os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no uinput: %v", err)
	}
	fd := f.Fd()
	check := func(err error, what string) {
		t.Helper()
		if err != nil {
			f.Close()
			t.Fatalf("uinput %s: %v", what, err)
		}
	}
	// The int arguments go by value, as the third argument of ioctl(2).
	ctlInt := func(req, arg uintptr) error {
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, arg); e != 0 {
			return e
		}
		return nil
	}
	check(ctlInt(uiSetEvBit, evKey), "UI_SET_EVBIT EV_KEY")
	for _, b := range []uintptr{btnSouth, btnEast, btnNorth, btnWest} {
		check(ctlInt(uiSetKeyBit, b), "UI_SET_KEYBIT")
	}
	setup := uinputSetup{bustype: 0x06, vendor: 0x1209, product: 0x0001, version: 1} // BUS_VIRTUAL
	copy(setup.name[:], name)
	check(ioctl(fd, uiDevSetup, unsafe.Pointer(&setup)), "UI_DEV_SETUP")
	check(ctlInt(uiDevCreate, 0), "UI_DEV_CREATE")
	p := &uinputPad{t: t, f: f}
	t.Cleanup(p.destroy)

	var sysname [64]byte
	if err := ioctl(fd, uiGetSysname, unsafe.Pointer(&sysname[0])); err != nil {
		t.Fatalf("uinput UI_GET_SYSNAME: %v", err)
	}
	input := strings.TrimRight(string(sysname[:]), "\x00")
	var events []string
	deadline := time.Now().Add(5 * time.Second)
	for len(events) == 0 && time.Now().Before(deadline) {
		events, _ = filepath.Glob(filepath.Join("/sys/class/input", input, "event*"))
		time.Sleep(10 * time.Millisecond)
	}
	if len(events) == 0 {
		t.Fatalf("uinput made %s, which has no event node in sysfs", input)
	}
	p.node = filepath.Join(DefaultDir, filepath.Base(events[0]))
	for {
		if _, err := os.Stat(p.node); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Skipf("the kernel made %s but no %s appeared: /dev is not a devtmpfs", filepath.Base(events[0]), p.node)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// press presses and releases a button.
func (p *uinputPad) press(code uint16) {
	p.t.Helper()
	b := encodeEvents(eventSize, event{evKey, code, 1}, event{evSyn, synReport, 0}, event{evKey, code, 0}, event{evSyn, synReport, 0})
	if _, err := p.f.Write(b); err != nil {
		p.t.Fatalf("writing to uinput: %v", err)
	}
}

// destroy unplugs the pad.
func (p *uinputPad) destroy() {
	if p.f == nil {
		return
	}
	unix.Syscall(unix.SYS_IOCTL, p.f.Fd(), uiDevDestroy, 0)
	p.f.Close()
	p.f = nil
}

// TestUinputGamepad checks discovery by capabilities, reading and unplug
// on a real kernel: a virtual gamepad made by uinput. It needs root and
// /dev/uinput (modprobe uinput), and skips without them.
func TestUinputGamepad(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a kernel input device")
	}
	if os.Geteuid() != 0 {
		t.Skip("uinput needs root")
	}
	if _, err := os.Stat("/dev/uinput"); err != nil {
		t.Skipf("no uinput: %v", err)
	}
	const name = "pairingd test pad"
	r, err := Open(context.Background(), Options{Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()

	pad := newUinputPad(t, name)
	var got *device
	eventually(t, "the Reader to read "+pad.node, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = r.devs[pad.node]
		return got != nil
	})
	if got.name != name || got.kind != kindGamepad {
		t.Errorf("device %s is %q, a %v; want %q, a gamepad", pad.node, got.name, got.kind, name)
	}
	if s := r.Style(); s != display.StyleGamepad {
		t.Errorf("Style with the pad = %s, want gamepad", styleName(s))
	}
	pad.press(btnSouth)
	wantKey(t, r, display.KeyA)
	pad.press(btnNorth)
	wantKey(t, r, display.KeyX)

	pad.destroy()
	eventually(t, "the Reader to drop "+pad.node, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.devs[pad.node] == nil
	})
}

func TestUinputSetupSize(t *testing.T) {
	// sizeof(struct uinput_setup), which UI_DEV_SETUP's number encodes.
	if got, want := unsafe.Sizeof(uinputSetup{}), uintptr(uiDevSetup>>16&0x3fff); got != want {
		t.Errorf("uinputSetup is %d bytes, want %d", got, want)
	}
}
