package input

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pairingd/pairingd/display"
)

// MuOSDeviceDir is where muOS keeps the running device's settings, one
// file per value, made from its device's config.ini at boot.
const MuOSDeviceDir = "/run/muos/device"

// MuOSMap reads which codes the buttons labelled A, B, X, Y and MENU send
// on this muOS handheld (input/code/button/{a,b,x,y,menu_short} under dir,
// MuOSDeviceDir; input/button/... on older muOS), as a Map for
// Options.Map. The codes differ between makers: a TrimUI Brick sends
// BTN_EAST for A and BTN_MODE for MENU, an Anbernic RG35XX Plus BTN_SOUTH
// for A, BTN_C for Y and KEY_GOTO for MENU, with BTN_WEST on L1 and
// BTN_SELECT, BTN_START and BTN_MODE on L2, R2 and R3. So the map also
// makes the default map's gamepad codes other keys, leaving only the
// device's own. A button whose input/type/button file says it is no key
// (an axis) is left out.
func MuOSMap(dir string) (Map, error) {
	var base string
	for _, b := range []string{"input/code/button", "input/button"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err == nil {
			base = b
			break
		}
	}
	if base == "" {
		return nil, fmt.Errorf("reading the muOS button codes in %s: %w", dir, os.ErrNotExist)
	}
	m := Map{}
	for code, k := range defaultMap() {
		if code >= btnSouth && code <= btnThumbR && k != display.KeyNone {
			m[code] = display.KeyOther
		}
	}
	found := false
	for _, b := range []struct {
		file string
		key  display.Key
	}{{"a", display.KeyA}, {"b", display.KeyB}, {"x", display.KeyX}, {"y", display.KeyY}, {"menu_short", display.KeyMenu}} {
		code, ok := muOSValue(filepath.Join(dir, base, b.file))
		if !ok || code <= 0 || code >= keyCnt {
			continue
		}
		typeFile := filepath.Join(dir, "input/type/button", b.file)
		if t, ok := muOSValue(typeFile); ok && t != evKey {
			continue
		}
		m[uint16(code)] = b.key
		found = true
	}
	if !found {
		return nil, fmt.Errorf("reading the muOS button codes in %s: no button has a key code", filepath.Join(dir, base))
	}
	return m, nil
}

// muOSValue reads a number from a muOS settings file.
func muOSValue(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}
