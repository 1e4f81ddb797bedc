package input

import (
	"fmt"
	"math/bits"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kind is what a device is to us, a set: a handheld's built-in controls
// may be a gamepad and a keyboard at once.
type kind uint8

const (
	kindGamepad kind = 1 << iota
	kindKeyboard
	// kindTouch is a touch screen: a finger lifted is a tap.
	kindTouch
	// kindTouchByID is a multi-touch screen without BTN_TOUCH, whose taps
	// end with ABS_MT_TRACKING_ID -1. Always with kindTouch.
	kindTouchByID
)

// String lists the kinds for logs: "gamepad", "keyboard+touch screen".
func (k kind) String() string {
	var s []string
	if k&kindGamepad != 0 {
		s = append(s, "gamepad")
	}
	if k&kindKeyboard != 0 {
		s = append(s, "keyboard")
	}
	if k&kindTouch != 0 {
		s = append(s, "touch screen")
	}
	if len(s) == 0 {
		return "nothing we use"
	}
	return strings.Join(s, "+")
}

// bitset is a kernel capability bitmap as EVIOCGBIT fills it: an array of
// longs (Go's uint has a C long's size on Linux), bit n of the set in long
// n/bits.UintSize.
type bitset []uint

// newBitset has room for n bits.
func newBitset(n int) bitset {
	return make(bitset, (n+bits.UintSize-1)/bits.UintSize)
}

// has says whether bit n is set.
func (b bitset) has(n int) bool {
	i := n / bits.UintSize
	return i < len(b) && b[i]&(1<<(n%bits.UintSize)) != 0
}

// set sets bit n, which must fit.
func (b bitset) set(n int) {
	b[n/bits.UintSize] |= 1 << (n % bits.UintSize)
}

// anyIn says whether a bit in [lo, hi] is set.
func (b bitset) anyIn(lo, hi int) bool {
	for n := lo; n <= hi; n++ {
		if b.has(n) {
			return true
		}
	}
	return false
}

// caps is what a device says it has: its name and capability bitmaps.
type caps struct {
	name  string
	keys  bitset // EV_KEY codes, KEY_CNT bits
	abs   bitset // EV_ABS codes, ABS_CNT bits
	props bitset // INPUT_PROP_* bits
}

// classify says what a device is, from its capabilities; over is the
// caller's Map, whose codes make a joystick a gamepad:
//
//   - a gamepad has a button of the gamepad range (BTN_SOUTH ... BTN_THUMBR),
//     or a joystick button (BTN_TRIGGER ... BTN_DEAD) that over names;
//   - a keyboard has KEY_ENTER and every letter;
//   - a touch screen has ABS_MT_POSITION_X, or BTN_TOUCH with ABS_X, and is
//     not a pointer (INPUT_PROP_POINTER: touchpads and graphics tablets).
//
// Anything else (power buttons, lid switches, mice, accelerometers, a
// remote's few keys) is nothing.
func classify(c caps, over Map) kind {
	var k kind
	if c.keys.anyIn(btnSouth, btnThumbR) {
		k |= kindGamepad
	} else {
		for code := range over {
			if code >= btnJoystick && code <= btnDead && c.keys.has(int(code)) {
				k |= kindGamepad
				break
			}
		}
	}
	if c.keys.has(keyEnter) && hasLetters(c.keys) {
		k |= kindKeyboard
	}
	mt := c.abs.has(absMTPositionX)
	if !c.props.has(propPointer) && (mt || (c.keys.has(btnTouch) && c.abs.has(absX))) {
		k |= kindTouch
		if !c.keys.has(btnTouch) {
			k |= kindTouchByID
		}
	}
	return k
}

// hasLetters says whether keys holds KEY_A ... KEY_Z.
func hasLetters(keys bitset) bool {
	for _, row := range []struct {
		n     int
		first int
	}{{len(rowQ), keyQ}, {len(rowA), keyA}, {len(rowZ), keyZ}} {
		for i := range row.n {
			if !keys.has(row.first + i) {
				return false
			}
		}
	}
	return true
}

// The evdev ioctls of linux/input.h, in the asm-generic encoding of
// linux/ioctl.h that arm, arm64, x86 and riscv use (mips, powerpc and sparc
// encode the direction differently): direction in bits 30-31, the size in
// 16-29, the type ('E') in 8-15, the number in 0-7.
const (
	iocRead = 2 // _IOC_READ

	eviocgnameNr = 0x06 // EVIOCGNAME(len)
	eviocgpropNr = 0x09 // EVIOCGPROP(len)
	eviocgbitNr  = 0x20 // EVIOCGBIT(ev, len) is 0x20 + ev
)

// eviocRead is _IOC(_IOC_READ, 'E', nr, size).
func eviocRead(nr, size uintptr) uintptr {
	return iocRead<<30 | size<<16 | 'E'<<8 | nr
}

// probeDevice asks an evdev device for its name and capabilities.
func probeDevice(f *os.File) (caps, error) {
	c := caps{keys: newBitset(keyCnt), abs: newBitset(absCnt), props: newBitset(propCnt)}
	name := make([]byte, 256)
	sc, err := f.SyscallConn()
	if err != nil {
		return c, fmt.Errorf("probing %s: %w", f.Name(), err)
	}
	var ioErr error
	err = sc.Control(func(fd uintptr) {
		if ioErr = ioctl(fd, eviocRead(eviocgnameNr, uintptr(len(name))), unsafe.Pointer(&name[0])); ioErr != nil {
			ioErr = fmt.Errorf("reading the name of %s (EVIOCGNAME): %w", f.Name(), ioErr)
			return
		}
		for _, q := range []struct {
			nr   uintptr
			b    bitset
			what string
		}{
			{eviocgbitNr + evKey, c.keys, "keys (EVIOCGBIT EV_KEY)"},
			{eviocgbitNr + evAbs, c.abs, "axes (EVIOCGBIT EV_ABS)"},
			{eviocgpropNr, c.props, "properties (EVIOCGPROP)"},
		} {
			size := uintptr(len(q.b)) * unsafe.Sizeof(q.b[0])
			if err := ioctl(fd, eviocRead(q.nr, size), unsafe.Pointer(&q.b[0])); err != nil {
				if q.nr == eviocgpropNr {
					continue // before Linux 2.6.38: no properties
				}
				ioErr = fmt.Errorf("reading the %s of %s: %w", q.what, f.Name(), err)
				return
			}
		}
	})
	if err != nil {
		return c, fmt.Errorf("probing %s: %w", f.Name(), err)
	}
	if ioErr != nil {
		return c, ioErr
	}
	if i := strings.IndexByte(string(name), 0); i >= 0 {
		name = name[:i]
	}
	c.name = string(name)
	return c, nil
}

// ioctl is ioctl(2) with a pointer argument.
func ioctl(fd, req uintptr, p unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(p))
	if e != 0 {
		return e
	}
	return nil
}
