package input

import (
	"maps"
	"strconv"
	"strings"

	"github.com/pairingd/pairingd/display"
)

// Event types and codes from linux/input-event-codes.h, by their kernel
// names in the comments.
const (
	evSyn = 0x00 // EV_SYN
	evKey = 0x01 // EV_KEY
	evAbs = 0x03 // EV_ABS

	synReport  = 0 // SYN_REPORT
	synDropped = 3 // SYN_DROPPED

	absX            = 0x00 // ABS_X
	absMTPositionX  = 0x35 // ABS_MT_POSITION_X
	absMTTrackingID = 0x39 // ABS_MT_TRACKING_ID

	keyEsc       = 1   // KEY_ESC
	keyBackspace = 14  // KEY_BACKSPACE
	keyQ         = 16  // KEY_Q
	keyR         = 19  // KEY_R
	keyU         = 22  // KEY_U
	keyI         = 23  // KEY_I
	keyEnter     = 28  // KEY_ENTER
	keyLeftCtrl  = 29  // KEY_LEFTCTRL
	keyA         = 30  // KEY_A
	keyH         = 35  // KEY_H
	keyLeftShift = 42  // KEY_LEFTSHIFT
	keyZ         = 44  // KEY_Z
	keySlash     = 53  // KEY_SLASH
	keyRShift    = 54  // KEY_RIGHTSHIFT
	keyLeftAlt   = 56  // KEY_LEFTALT
	keySpace     = 57  // KEY_SPACE
	keyCapsLock  = 58  // KEY_CAPSLOCK
	keyF1        = 59  // KEY_F1
	keyF11       = 87  // KEY_F11
	keyF12       = 88  // KEY_F12
	keyKPEnter   = 96  // KEY_KPENTER
	keyRightCtrl = 97  // KEY_RIGHTCTRL
	keyRightAlt  = 100 // KEY_RIGHTALT
	keyUp        = 103 // KEY_UP
	keyLeft      = 105 // KEY_LEFT
	keyRight     = 106 // KEY_RIGHT
	keyDown      = 108 // KEY_DOWN
	keyMute      = 113 // KEY_MUTE
	keyVolDown   = 114 // KEY_VOLUMEDOWN
	keyVolUp     = 115 // KEY_VOLUMEUP
	keyPower     = 116 // KEY_POWER
	keyLeftMeta  = 125 // KEY_LEFTMETA
	keyRightMeta = 126 // KEY_RIGHTMETA
	keyMenu      = 139 // KEY_MENU
	keySleep     = 142 // KEY_SLEEP
	keyWakeUp    = 143 // KEY_WAKEUP
	keyBack      = 158 // KEY_BACK
	keyBrightDn  = 224 // KEY_BRIGHTNESSDOWN
	keyBrightUp  = 225 // KEY_BRIGHTNESSUP

	btnJoystick = 0x120 // BTN_JOYSTICK, BTN_TRIGGER: first joystick button
	btnDead     = 0x12f // BTN_DEAD: last joystick button
	btnSouth    = 0x130 // BTN_SOUTH, BTN_A, BTN_GAMEPAD
	btnEast     = 0x131 // BTN_EAST, BTN_B
	btnC        = 0x132 // BTN_C
	btnNorth    = 0x133 // BTN_NORTH, BTN_X
	btnWest     = 0x134 // BTN_WEST, BTN_Y
	btnSelect   = 0x13a // BTN_SELECT
	btnStart    = 0x13b // BTN_START
	btnMode     = 0x13c // BTN_MODE
	btnThumbR   = 0x13e // BTN_THUMBR: last gamepad button
	btnDigi     = 0x140 // BTN_DIGI, BTN_TOOL_PEN: first digitiser code
	btnTouch    = 0x14a // BTN_TOUCH
	btnDigiLast = 0x14f // BTN_TOOL_QUADTAP: last digitiser code
	btnDpadUp   = 0x220 // BTN_DPAD_UP
	btnDpadLast = 0x223 // BTN_DPAD_RIGHT

	keyCnt  = 0x300 // KEY_CNT
	absCnt  = 0x40  // ABS_CNT
	propCnt = 0x20  // INPUT_PROP_CNT

	propPointer = 0x00 // INPUT_PROP_POINTER
)

// The letter keys in the order of their codes: KEY_Q is 16, KEY_A 30, KEY_Z
// 44, each row counting up from there.
const (
	rowQ = "QWERTYUIOP"
	rowA = "ASDFGHJKL"
	rowZ = "ZXCVBNM"
)

// Map says which key an evdev code (EV_KEY: KEY_* and BTN_*) is, for
// gamepads and keyboards alike. Options.Map is merged over the defaults:
// an entry replaces the default for its code, and display.KeyNone makes
// the code do nothing at all. A code in neither is display.KeyOther.
type Map map[uint16]display.Key

// defaultMap is the mapping before Options.Map, described in the package
// documentation.
func defaultMap() Map {
	m := Map{
		btnSouth: display.KeyA,
		btnEast:  display.KeyB,
		btnNorth: display.KeyX,
		btnWest:  display.KeyY,
		btnMode:  display.KeyMenu,
		btnStart: display.KeyMenu,
		keyMenu:  display.KeyMenu,

		keyEnter:     display.KeyA,
		keyKPEnter:   display.KeyA,
		keySpace:     display.KeyA,
		keyR:         display.KeyA,
		keyEsc:       display.KeyB,
		keyQ:         display.KeyB,
		keyBackspace: display.KeyB,
		keyBack:      display.KeyB,
		keyU:         display.KeyX,
		keyI:         display.KeyY,
		keySlash:     display.KeyY,
		keyH:         display.KeyY,
	}
	// Keys the system handles, and modifiers (Shift before '?'), are no
	// press of ours.
	for _, c := range []uint16{
		keyPower, keySleep, keyWakeUp, keyMute, keyVolDown, keyVolUp, keyBrightDn, keyBrightUp,
		keyLeftCtrl, keyRightCtrl, keyLeftShift, keyRShift, keyLeftAlt, keyRightAlt,
		keyLeftMeta, keyRightMeta, keyCapsLock,
	} {
		m[c] = display.KeyNone
	}
	// The D-pad: no navigation here.
	for c := uint16(btnDpadUp); c <= btnDpadLast; c++ {
		m[c] = display.KeyNone
	}
	return m
}

// merged is the defaults with over on top.
func merged(over Map) Map {
	m := defaultMap()
	maps.Copy(m, over)
	return m
}

// keyFor is the key an event of a device of kind k stands for, or
// display.KeyNone. Only presses count (value 1: not releases, not the
// auto-repeat's 2), except on touch screens, where a finger lifted is a
// tap (KeyA): BTN_TOUCH going to 0, or on a multi-touch screen without
// BTN_TOUCH, a contact ending (ABS_MT_TRACKING_ID -1). Sticks, hats and
// other axes are ignored, and so are the digitiser's tool codes.
func (m Map) keyFor(k kind, typ, code uint16, value int32) display.Key {
	switch typ {
	case evKey:
		if code == btnTouch && k&kindTouch != 0 {
			if value == 0 {
				return display.KeyA
			}
			return display.KeyNone
		}
		if value != 1 || (code >= btnDigi && code <= btnDigiLast) {
			return display.KeyNone
		}
		if key, ok := m[code]; ok {
			return key
		}
		return display.KeyOther
	case evAbs:
		if code == absMTTrackingID && value == -1 && k&kindTouchByID != 0 {
			return display.KeyA
		}
	}
	return display.KeyNone
}

// ParseKeyName reads a key's role name, as display.Key's String writes it
// and a configuration names it: "A", "B", "X", "Y", "MENU", "other" and
// "none" (KeyNone: the code does nothing), in any case.
func ParseKeyName(s string) (display.Key, bool) {
	for _, k := range []display.Key{display.KeyNone, display.KeyA, display.KeyB, display.KeyX, display.KeyY, display.KeyMenu, display.KeyOther} {
		if strings.EqualFold(s, k.String()) {
			return k, true
		}
	}
	return display.KeyNone, false
}

// ParseCode reads an EV_KEY code: a number (decimal as evtest prints it,
// or 0x-prefixed hexadecimal as the kernel's headers write it), or a name
// from linux/input-event-codes.h in upper case: the gamepad and joystick
// buttons (BTN_SOUTH, BTN_A, BTN_EAST, ... BTN_MODE, BTN_THUMBR,
// BTN_TRIGGER, ... BTN_BASE6), BTN_TOUCH, the letters (KEY_A ... KEY_Z),
// digits (KEY_0 ... KEY_9), KEY_F1 ... KEY_F12, and the keys the default
// map uses or leaves out (KEY_ENTER, KEY_ESC, KEY_MENU, KEY_POWER, ...).
func ParseCode(s string) (uint16, bool) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), n < keyCnt
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		n, err := strconv.ParseUint(h, 16, 16)
		return uint16(n), err == nil && n < keyCnt
	}
	if c, ok := namedCode(s); ok {
		return c, true
	}
	rest, ok := strings.CutPrefix(s, "KEY_")
	if !ok {
		return 0, false
	}
	if len(rest) == 1 {
		for _, row := range []struct {
			keys  string
			first uint16
		}{{rowQ, keyQ}, {rowA, keyA}, {rowZ, keyZ}} {
			if i := strings.Index(row.keys, rest); i >= 0 {
				return row.first + uint16(i), true
			}
		}
		if rest[0] >= '1' && rest[0] <= '9' {
			return uint16(rest[0]-'1') + 2, true // KEY_1 is 2
		}
		if rest == "0" {
			return 11, true // KEY_0
		}
	}
	if f, ok := strings.CutPrefix(rest, "F"); ok {
		n, err := strconv.Atoi(f)
		switch {
		case err != nil || n < 1 || n > 12:
		case n <= 10:
			return keyF1 + uint16(n) - 1, true
		case n == 11:
			return keyF11, true
		default:
			return keyF12, true
		}
	}
	return 0, false
}

// namedCode is ParseCode's table of names other than letters, digits and
// function keys.
func namedCode(s string) (uint16, bool) {
	switch s {
	case "BTN_SOUTH", "BTN_A", "BTN_GAMEPAD":
		return btnSouth, true
	case "BTN_EAST", "BTN_B":
		return btnEast, true
	case "BTN_C":
		return btnC, true
	case "BTN_NORTH", "BTN_X":
		return btnNorth, true
	case "BTN_WEST", "BTN_Y":
		return btnWest, true
	case "BTN_Z":
		return 0x135, true
	case "BTN_TL":
		return 0x136, true
	case "BTN_TR":
		return 0x137, true
	case "BTN_TL2":
		return 0x138, true
	case "BTN_TR2":
		return 0x139, true
	case "BTN_SELECT":
		return btnSelect, true
	case "BTN_START":
		return btnStart, true
	case "BTN_MODE":
		return btnMode, true
	case "BTN_THUMBL":
		return 0x13d, true
	case "BTN_THUMBR":
		return btnThumbR, true
	case "BTN_TRIGGER", "BTN_JOYSTICK":
		return btnJoystick, true
	case "BTN_THUMB":
		return 0x121, true
	case "BTN_THUMB2":
		return 0x122, true
	case "BTN_TOP":
		return 0x123, true
	case "BTN_TOP2":
		return 0x124, true
	case "BTN_PINKIE":
		return 0x125, true
	case "BTN_BASE":
		return 0x126, true
	case "BTN_BASE2", "BTN_BASE3", "BTN_BASE4", "BTN_BASE5", "BTN_BASE6":
		return 0x127 + uint16(s[8]-'2'), true
	case "BTN_TOUCH":
		return btnTouch, true
	case "KEY_ESC":
		return keyEsc, true
	case "KEY_BACKSPACE":
		return keyBackspace, true
	case "KEY_ENTER":
		return keyEnter, true
	case "KEY_KPENTER":
		return keyKPEnter, true
	case "KEY_SPACE":
		return keySpace, true
	case "KEY_SLASH":
		return keySlash, true
	case "KEY_UP":
		return keyUp, true
	case "KEY_DOWN":
		return keyDown, true
	case "KEY_LEFT":
		return keyLeft, true
	case "KEY_RIGHT":
		return keyRight, true
	case "KEY_MENU":
		return keyMenu, true
	case "KEY_BACK":
		return keyBack, true
	case "KEY_POWER":
		return keyPower, true
	case "KEY_VOLUMEUP":
		return keyVolUp, true
	case "KEY_VOLUMEDOWN":
		return keyVolDown, true
	case "KEY_MUTE":
		return keyMute, true
	case "KEY_HOMEPAGE":
		return 172, true
	case "KEY_OK":
		return 0x160, true
	case "KEY_SELECT":
		return 0x161, true
	case "KEY_GOTO":
		return 0x162, true
	}
	return 0, false
}
