package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pairingd/pairingd/display"
)

// writeMuOS writes muOS's device settings, one file per value, under dir.
func writeMuOS(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMuOSMap(t *testing.T) {
	const code, typ = "input/code/button/", "input/type/button/"
	for _, tc := range []struct {
		name  string
		files map[string]string
		// want is what the merged map makes of codes.
		want map[uint16]display.Key
	}{
		{
			// A TrimUI Brick: A is BTN_EAST, MENU BTN_MODE, L2 an
			// axis.
			name: "trimui brick",
			files: map[string]string{
				code + "a": "305", code + "b": "304", code + "x": "308", code + "y": "307", code + "menu_short": "316",
				typ + "a": "1", typ + "b": "1", typ + "x": "1", typ + "y": "1", typ + "menu_short": "1",
				code + "l2": "2", typ + "l2": "3",
			},
			want: map[uint16]display.Key{
				btnEast: display.KeyA, btnSouth: display.KeyB, btnWest: display.KeyX, btnNorth: display.KeyY,
				btnMode: display.KeyMenu, btnStart: display.KeyOther, keyEnter: display.KeyA,
			},
		},
		{
			// An Anbernic RG35XX Plus: Y is BTN_C, MENU KEY_GOTO;
			// BTN_WEST is L1 and BTN_SELECT, BTN_START, BTN_MODE are L2,
			// R2, R3.
			name: "anbernic rg35xx plus",
			files: map[string]string{
				code + "a": "304", code + "b": "305", code + "x": "307", code + "y": "306", code + "menu_short": "354",
				typ + "a": "1", typ + "b": "1", typ + "x": "1", typ + "y": "1", typ + "menu_short": "1",
			},
			want: map[uint16]display.Key{
				btnSouth: display.KeyA, btnEast: display.KeyB, btnNorth: display.KeyX, btnC: display.KeyY, 354: display.KeyMenu,
				btnWest: display.KeyOther, btnSelect: display.KeyOther, btnStart: display.KeyOther, btnMode: display.KeyOther,
				btnDpadUp: display.KeyNone, keyVolUp: display.KeyNone,
			},
		},
		{
			name:  "older muOS, no types",
			files: map[string]string{"input/button/a": "305\n", "input/button/b": "304\n", "input/button/menu_short": "316\n"},
			want:  map[uint16]display.Key{btnEast: display.KeyA, btnSouth: display.KeyB, btnMode: display.KeyMenu},
		},
		{
			name:  "a button on an axis, one unset",
			files: map[string]string{code + "a": "305", code + "menu_short": "2", typ + "menu_short": "3", code + "y": "0"},
			want:  map[uint16]display.Key{btnEast: display.KeyA, 2: display.KeyOther, btnNorth: display.KeyOther, btnMode: display.KeyOther},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMuOS(t, dir, tc.files)
			m, err := MuOSMap(dir)
			if err != nil {
				t.Fatalf("MuOSMap: %v", err)
			}
			km := merged(m)
			for c, want := range tc.want {
				if got := km.keyFor(kindGamepad, evKey, c, 1); got != want {
					t.Errorf("code %d is %v, want %v", c, got, want)
				}
			}
		})
	}
}

func TestMuOSMapErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := MuOSMap(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("MuOSMap(no muOS) error = %v, want fs.ErrNotExist", err)
	}
	writeMuOS(t, dir, map[string]string{"input/code/button/a": "x", "input/code/button/b": "0"})
	if _, err := MuOSMap(dir); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("MuOSMap(no usable code) error = %v, want one that is not ErrNotExist", err)
	}
}
