package input

import (
	"testing"

	"github.com/pairingd/pairingd/display"
)

func TestKeyFor(t *testing.T) {
	const (
		pad   = kindGamepad
		kbd   = kindKeyboard
		touch = kindTouch
		mt    = kindTouch | kindTouchByID
	)
	m := merged(nil)
	for _, tc := range []struct {
		name  string
		k     kind
		typ   uint16
		code  uint16
		value int32
		want  display.Key
	}{
		{"south", pad, evKey, btnSouth, 1, display.KeyA},
		{"south released", pad, evKey, btnSouth, 0, display.KeyNone},
		{"east", pad, evKey, btnEast, 1, display.KeyB},
		{"north", pad, evKey, btnNorth, 1, display.KeyX},
		{"west", pad, evKey, btnWest, 1, display.KeyY},
		{"mode", pad, evKey, btnMode, 1, display.KeyMenu},
		{"start", pad, evKey, btnStart, 1, display.KeyMenu},
		{"select", pad, evKey, btnSelect, 1, display.KeyOther},
		{"shoulder", pad, evKey, 0x136, 1, display.KeyOther},
		{"d-pad button", pad, evKey, btnDpadUp, 1, display.KeyNone},
		{"hat", pad, evAbs, 0x10, -1, display.KeyNone},
		{"stick", pad, evAbs, absX, 32767, display.KeyNone},
		{"enter", kbd, evKey, keyEnter, 1, display.KeyA},
		{"enter repeat", kbd, evKey, keyEnter, 2, display.KeyNone},
		{"keypad enter", kbd, evKey, keyKPEnter, 1, display.KeyA},
		{"space", kbd, evKey, keySpace, 1, display.KeyA},
		{"r", kbd, evKey, keyR, 1, display.KeyA},
		{"esc", kbd, evKey, keyEsc, 1, display.KeyB},
		{"q", kbd, evKey, keyQ, 1, display.KeyB},
		{"backspace", kbd, evKey, keyBackspace, 1, display.KeyB},
		{"u", kbd, evKey, keyU, 1, display.KeyX},
		{"i", kbd, evKey, keyI, 1, display.KeyY},
		{"slash", kbd, evKey, keySlash, 1, display.KeyY},
		{"h", kbd, evKey, keyH, 1, display.KeyY},
		{"menu", kbd, evKey, keyMenu, 1, display.KeyMenu},
		{"letter", kbd, evKey, keyA, 1, display.KeyOther},
		{"arrow", kbd, evKey, keyUp, 1, display.KeyOther},
		{"shift", kbd, evKey, keyLeftShift, 1, display.KeyNone},
		{"volume", pad, evKey, keyVolUp, 1, display.KeyNone},
		{"power", kbd, evKey, keyPower, 1, display.KeyNone},
		{"scan code", kbd, 0x04, 4, 0x70004, display.KeyNone}, // EV_MSC MSC_SCAN
		{"touch down", touch, evKey, btnTouch, 1, display.KeyNone},
		{"touch up", touch, evKey, btnTouch, 0, display.KeyA},
		{"finger tool", touch, evKey, 0x145, 1, display.KeyNone}, // BTN_TOOL_FINGER
		{"contact ends, no BTN_TOUCH", mt, evAbs, absMTTrackingID, -1, display.KeyA},
		{"contact starts", mt, evAbs, absMTTrackingID, 7, display.KeyNone},
		{"contact ends, with BTN_TOUCH", touch, evAbs, absMTTrackingID, -1, display.KeyNone},
		{"BTN_TOUCH on no touch screen", pad, evKey, btnTouch, 1, display.KeyNone},
	} {
		if got := m.keyFor(tc.k, tc.typ, tc.code, tc.value); got != tc.want {
			t.Errorf("%s: keyFor(%v, %d, %#x, %d) = %v, want %v", tc.name, tc.k, tc.typ, tc.code, tc.value, got, tc.want)
		}
	}
}

func TestMerged(t *testing.T) {
	// A config remapping a Nintendo-style pad: the east button is A, the
	// south one B, and START does nothing.
	m := merged(Map{btnEast: display.KeyA, btnSouth: display.KeyB, btnStart: display.KeyNone, 0x136: display.KeyY})
	for _, tc := range []struct {
		code uint16
		want display.Key
	}{
		{btnEast, display.KeyA},
		{btnSouth, display.KeyB},
		{btnStart, display.KeyNone},
		{0x136, display.KeyY},
		{btnNorth, display.KeyX}, // the defaults stay
		{keyEnter, display.KeyA},
	} {
		if got := m.keyFor(kindGamepad|kindKeyboard, evKey, tc.code, 1); got != tc.want {
			t.Errorf("keyFor(%#x) = %v, want %v", tc.code, got, tc.want)
		}
	}
	if d := defaultMap(); d[btnEast] != display.KeyB {
		t.Errorf("merging changed the defaults: BTN_EAST is %v, want B", d[btnEast])
	}
}

func TestParseKeyName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want display.Key
		ok   bool
	}{
		{"A", display.KeyA, true},
		{"b", display.KeyB, true},
		{"X", display.KeyX, true},
		{"Y", display.KeyY, true},
		{"MENU", display.KeyMenu, true},
		{"menu", display.KeyMenu, true},
		{"none", display.KeyNone, true},
		{"other", display.KeyOther, true},
		{"", display.KeyNone, false},
		{"Enter", display.KeyNone, false},
		{"AB", display.KeyNone, false},
	} {
		got, ok := ParseKeyName(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseKeyName(%q) = %v, %v, want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"305", 305, true},
		{"0x131", 305, true},
		{"0X13c", btnMode, true},
		{"0", 0, true},
		{"767", 767, true},
		{"768", 0, false}, // KEY_CNT
		{"70000", 0, false},
		{"-1", 0, false},
		{"BTN_SOUTH", btnSouth, true},
		{"BTN_A", btnSouth, true},
		{"BTN_EAST", btnEast, true},
		{"BTN_B", btnEast, true},
		{"BTN_C", btnC, true},
		{"BTN_NORTH", btnNorth, true},
		{"BTN_X", btnNorth, true},
		{"BTN_WEST", btnWest, true},
		{"BTN_Y", btnWest, true},
		{"BTN_TL", 0x136, true},
		{"BTN_TR2", 0x139, true},
		{"BTN_SELECT", btnSelect, true},
		{"BTN_START", btnStart, true},
		{"BTN_MODE", btnMode, true},
		{"BTN_THUMBR", btnThumbR, true},
		{"BTN_TRIGGER", btnJoystick, true},
		{"BTN_BASE", 0x126, true},
		{"BTN_BASE2", 0x127, true},
		{"BTN_BASE6", 0x12b, true},
		{"BTN_TOUCH", btnTouch, true},
		{"KEY_ENTER", keyEnter, true},
		{"KEY_ESC", keyEsc, true},
		{"KEY_MENU", keyMenu, true},
		{"KEY_GOTO", 354, true},
		{"KEY_POWER", keyPower, true},
		{"KEY_Q", keyQ, true},
		{"KEY_P", 25, true},
		{"KEY_A", keyA, true},
		{"KEY_L", 38, true},
		{"KEY_Z", keyZ, true},
		{"KEY_M", 50, true},
		{"KEY_U", keyU, true},
		{"KEY_1", 2, true},
		{"KEY_9", 10, true},
		{"KEY_0", 11, true},
		{"KEY_F1", keyF1, true},
		{"KEY_F10", 68, true},
		{"KEY_F11", keyF11, true},
		{"KEY_F12", keyF12, true},
		{"KEY_F13", 0, false},
		{"KEY_F0", 0, false},
		{"KEY_", 0, false},
		{"KEY_AB", 0, false},
		{"btn_south", 0, false}, // the kernel's spelling only
		{"BTN_NOPE", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseCode(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseCode(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
