package display

// Key is a control the person at the device presses, by its role, so that
// a gamepad, a keyboard, a touch screen and a terminal all say the same
// thing. Inputs map their codes to keys (a gamepad's south button and a
// keyboard's Enter are both KeyA); the daemon decides what a key does on
// the screen shown. Keys are not stored: they may be renumbered.
type Key int

const (
	// KeyNone is no key: a code that means nothing here.
	KeyNone Key = iota
	// KeyA confirms and asks for a new code: A, Enter, r, a tap.
	KeyA
	// KeyB goes back, and quits an app: B, Esc, q.
	KeyB
	// KeyX unpairs (after a confirmation): X, u.
	KeyX
	// KeyY shows the details: Y, i, ?.
	KeyY
	// KeyMenu quits an app: MENU.
	KeyMenu
	// KeyOther is any other key or button: it wakes an idle device and
	// closes the details.
	KeyOther
)

// String returns the key's role name ("A", "B", "X", "Y", "MENU",
// "other", "none"), for logs.
func (k Key) String() string {
	switch k {
	case KeyA:
		return "A"
	case KeyB:
		return "B"
	case KeyX:
		return "X"
	case KeyY:
		return "Y"
	case KeyMenu:
		return "MENU"
	case KeyOther:
		return "other"
	}
	return "none"
}

// KeyStyle is how the keys are named on screen: after the controls the
// device has.
type KeyStyle int

const (
	// StyleNone: no input at all; no actions are shown.
	StyleNone KeyStyle = iota
	// StyleGamepad names them A, B, X, Y, MENU.
	StyleGamepad
	// StyleKeyboard names them Enter, Esc, U, I.
	StyleKeyboard
	// StyleTouch: a touch screen alone; only a tap (KeyA) exists.
	StyleTouch
)

// Name is what k is called on a device with this style; "" when the style
// has no such key.
func (s KeyStyle) Name(k Key) string {
	switch s {
	case StyleGamepad:
		switch k {
		case KeyA, KeyB, KeyX, KeyY, KeyMenu:
			return k.String()
		}
	case StyleKeyboard:
		switch k {
		case KeyA:
			return "Enter"
		case KeyB, KeyMenu:
			return "Esc"
		case KeyX:
			return "U"
		case KeyY:
			return "I"
		}
	case StyleTouch:
		if k == KeyA {
			return "Tap"
		}
	}
	return ""
}

// Action is something the person can do on the screen shown: the key,
// what that key is called on this device, and what it does in words
// ("new code").
type Action struct {
	Key   Key
	Name  string
	Label string
}
