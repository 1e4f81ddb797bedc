package input

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pairingd/pairingd/display"
)

// capsOf builds capabilities: keys and axes by code, and properties.
func capsOf(name string, keys, abs, props []int) caps {
	c := caps{name: name, keys: newBitset(keyCnt), abs: newBitset(absCnt), props: newBitset(propCnt)}
	for _, k := range keys {
		c.keys.set(k)
	}
	for _, a := range abs {
		c.abs.set(a)
	}
	for _, p := range props {
		c.props.set(p)
	}
	return c
}

// letters are KEY_A ... KEY_Z.
func letters() []int {
	var out []int
	for _, row := range []struct {
		keys  string
		first int
	}{{rowQ, keyQ}, {rowA, keyA}, {rowZ, keyZ}} {
		for i := range row.keys {
			out = append(out, row.first+i)
		}
	}
	return out
}

// keyboardKeys are a full keyboard's.
func keyboardKeys() []int {
	return append(letters(), keyEsc, keyEnter, keySpace, keyLeftShift, keySlash, keyUp, keyDown)
}

func TestClassify(t *testing.T) {
	const directProp = 1 // INPUT_PROP_DIRECT
	for _, tc := range []struct {
		name string
		c    caps
		over Map
		want kind
	}{
		{"xbox pad", capsOf("Xbox Wireless Controller", []int{btnSouth, btnEast, btnNorth, btnWest, 0x136, 0x137, btnSelect, btnStart, btnMode}, []int{absX, 1, 0x10, 0x11}, nil), nil, kindGamepad},
		// muOS's rg35xx-plus config.ini: A 304, B 305, X 307, Y 306,
		// MENU 354, volume 114/115 and power 116 on the same device.
		{"anbernic h700 pad", capsOf("H700 Gamepad", []int{304, 305, 306, 307, 308, 309, 310, 311, 312, 314, 315, 354, 114, 115}, []int{0x10, 0x11}, nil), nil, kindGamepad},
		{"usb keyboard", capsOf("Logitech USB Keyboard", keyboardKeys(), nil, nil), nil, kindKeyboard},
		{"keyboard with a touchpad", capsOf("Logitech K400", append(keyboardKeys(), 0x110, 0x111), nil, nil), nil, kindKeyboard},
		{"numpad", capsOf("USB Keypad", []int{keyKPEnter, 2, 3, 4}, nil, nil), nil, 0},
		{"hdmi-cec remote", capsOf("vc4-hdmi", []int{keyEnter, keyUp, keyDown, keyBack, 0x160}, nil, nil), nil, 0},
		{"pi touch screen", capsOf("raspberrypi-ts", []int{btnTouch}, []int{absX, 1, absMTPositionX, 0x36, absMTTrackingID}, []int{directProp}), nil, kindTouch},
		{"multi-touch without BTN_TOUCH", capsOf("ft5x06", nil, []int{absMTPositionX, 0x36, absMTTrackingID}, nil), nil, kindTouch | kindTouchByID},
		{"resistive touch screen", capsOf("ADS7846 Touchscreen", []int{btnTouch}, []int{absX, 1, 0x18}, nil), nil, kindTouch},
		{"touchpad", capsOf("SynPS/2 Synaptics TouchPad", []int{btnTouch, 0x110, 0x145}, []int{absX, 1, absMTPositionX, absMTTrackingID}, []int{propPointer}), nil, 0},
		{"power button", capsOf("Power Button", []int{keyPower}, nil, nil), nil, 0},
		{"lid switch", capsOf("Lid Switch", nil, nil, nil), nil, 0},
		{"mouse", capsOf("USB Optical Mouse", []int{0x110, 0x111, 0x112}, nil, nil), nil, 0},
		{"accelerometer", capsOf("Motion Sensors", nil, []int{absX, 1, 2}, []int{6}), nil, 0},
		{"usb snes pad (joystick buttons)", capsOf("USB Gamepad", []int{0x120, 0x121, 0x122, 0x123, 0x128, 0x129}, []int{absX, 1}, nil), nil, 0},
		{"usb snes pad with a map", capsOf("USB Gamepad", []int{0x120, 0x121, 0x122, 0x123, 0x128, 0x129}, []int{absX, 1}, nil), Map{0x122: display.KeyA}, kindGamepad},
		{"map for a button it lacks", capsOf("USB Gamepad", []int{0x120, 0x121}, []int{absX, 1}, nil), Map{0x122: display.KeyA}, 0},
		{"handheld pad and keyboard", capsOf("gpio-keys", append(keyboardKeys(), btnSouth), nil, nil), nil, kindGamepad | kindKeyboard},
	} {
		if got := classify(tc.c, tc.over); got != tc.want {
			t.Errorf("%s: classify = %v (%d), want %v (%d)", tc.name, got, got, tc.want, tc.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for _, tc := range []struct {
		k    kind
		want string
	}{
		{0, "nothing we use"},
		{kindGamepad, "gamepad"},
		{kindKeyboard | kindTouch | kindTouchByID, "keyboard+touch screen"},
	} {
		if got := tc.k.String(); got != tc.want {
			t.Errorf("kind(%d).String() = %q, want %q", tc.k, got, tc.want)
		}
	}
}

func TestBitset(t *testing.T) {
	b := newBitset(keyCnt)
	for _, n := range []int{0, 63, 64, btnSouth, keyCnt - 1} {
		b.set(n)
	}
	for _, tc := range []struct {
		n    int
		want bool
	}{{0, true}, {1, false}, {63, true}, {64, true}, {65, false}, {btnSouth, true}, {btnEast, false}, {keyCnt - 1, true}, {keyCnt + 100, false}} {
		if got := b.has(tc.n); got != tc.want {
			t.Errorf("has(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestEviocRead(t *testing.T) {
	// The values of linux/input.h's macros, printed by a C program built
	// for x86-64, arm64 and armhf alike.
	for _, tc := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"EVIOCGNAME(256)", eviocRead(eviocgnameNr, 256), 0x81004506},
		{"EVIOCGBIT(EV_KEY, 96)", eviocRead(eviocgbitNr+evKey, 96), 0x80604521},
		{"EVIOCGBIT(EV_ABS, 8)", eviocRead(eviocgbitNr+evAbs, 8), 0x80084523},
		{"EVIOCGPROP(4)", eviocRead(eviocgpropNr, 4), 0x80044509},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

func TestProbeNotADevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "event0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = probeDevice(f)
	if err == nil || !strings.Contains(err.Error(), "EVIOCGNAME") || !strings.Contains(err.Error(), path) {
		t.Errorf("probeDevice(a regular file) error = %v, want one naming EVIOCGNAME and the path", err)
	}
}
