package main

import (
	"testing"

	"github.com/pairingd/pairingd/display"
)

// TestKeyHandler checks what each key does on the terminal display until
// the daemon decides by the screen shown: A renews, B and MENU quit.
func TestKeyHandler(t *testing.T) {
	for _, tt := range []struct {
		key                 display.Key
		wantRenew, wantQuit int
	}{
		{display.KeyA, 1, 0},
		{display.KeyB, 0, 1},
		{display.KeyMenu, 0, 1},
		{display.KeyX, 0, 0},
		{display.KeyY, 0, 0},
		{display.KeyOther, 0, 0},
		{display.KeyNone, 0, 0},
	} {
		var renews, quits int
		keyHandler(func() { renews++ }, func() { quits++ })(tt.key)
		if renews != tt.wantRenew || quits != tt.wantQuit {
			t.Errorf("key %v: renew called %d times, quit %d; want %d and %d", tt.key, renews, quits, tt.wantRenew, tt.wantQuit)
		}
	}
}
