package fb

import (
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/fbdev"
)

// t0 is the tests' clock origin.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// devSpec describes a framebuffer in memory.
type devSpec struct {
	w, h   int
	bpp    int
	bgr    bool
	pad    int // extra bytes per line
	panned bool
}

func (s devSpec) String() string {
	name := fmt.Sprintf("%dx%dx%d", s.w, s.h, s.bpp)
	if s.bgr {
		name += "-bgr"
	}
	if s.pad > 0 {
		name += fmt.Sprintf("-stride+%d", s.pad)
	}
	if s.panned {
		name += "-panned"
	}
	return name
}

// newDev makes the framebuffer s describes, with padding bytes set to
// 0xA5 so that tests see whether they were touched.
func newDev(t testing.TB, s devSpec) *fbdev.Device {
	t.Helper()
	v, f := fbdev.NewScreeninfo(s.w, s.h, s.bpp, s.bgr)
	f.LineLength += uint32(s.pad)
	if s.panned {
		v.YresVirtual = 2 * v.Yres
		v.Yoffset = v.Yres
	}
	f.SmemLen = f.LineLength * v.YresVirtual
	dev, err := fbdev.NewMemory(v, f)
	if err != nil {
		t.Fatalf("NewMemory(%v): %v", s, err)
	}
	for i := range dev.Mem {
		dev.Mem[i] = 0xa5
	}
	t.Cleanup(func() { dev.Close() })
	return dev
}

// newDisplay makes a Display on dev with a fake clock at t0.
func newDisplay(t testing.TB, dev *fbdev.Device, rot int) (*Display, *clock) {
	t.Helper()
	c := &clock{t: t0}
	d, err := attach(dev, Options{Rotate: rot, Now: c.now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, c
}

// screenOf returns what d's device shows, read under the lock.
func screenOf(t testing.TB, d *Display) *image.RGBA {
	t.Helper()
	img, err := d.snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return img
}

// unrotate turns a picture of the panel back into the logical screen.
func unrotate(img *image.RGBA, rot int) *image.RGBA {
	dw, dh := img.Bounds().Dx(), img.Bounds().Dy()
	lw, lh := logicalSize(dw, dh, rot)
	out := image.NewRGBA(image.Rect(0, 0, lw, lh))
	for ly := 0; ly < lh; ly++ {
		for lx := 0; lx < lw; lx++ {
			var dx, dy int
			switch rot {
			case 0:
				dx, dy = lx, ly
			case 90:
				dx, dy = dw-1-ly, lx
			case 180:
				dx, dy = dw-1-lx, dh-1-ly
			case 270:
				dx, dy = ly, dh-1-lx
			}
			out.SetRGBA(lx, ly, img.RGBAAt(dx, dy))
		}
	}
	return out
}

// awaiting is a pairing screen with QR payload qr.
func awaiting(qr string) display.Screen {
	s := SampleScreen(t0)
	s.QR = qr
	return s
}

// longURL is a verification_uri_complete of exactly n characters.
func longURL(n int) string {
	u := "https://pair.example.com/device?user_code=WDJB-MJHT&state="
	for i := 0; len(u) < n; i++ {
		u += string(rune('a' + i%26))
	}
	return u
}

// memRows copies device memory under the lock, row by row of the visible
// area (line_length bytes each, padding included).
func memRows(d *Display) [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, h := d.dev.Size()
	rows := make([][]byte, h)
	for y := range rows {
		off := d.dev.PixOffset(0, y) - int(d.dev.Var.Xoffset)*int(d.dev.Var.BitsPerPixel/8)
		rows[y] = append([]byte(nil), d.dev.Mem[off:off+d.dev.Stride()]...)
	}
	return rows
}

// changedRows counts the rows that differ between two memRows.
func changedRows(a, b [][]byte) int {
	n := 0
	for i := range a {
		if string(a[i]) != string(b[i]) {
			n++
		}
	}
	return n
}

// noKeys is s without its actions: a screen on a device without input.
func noKeys(s display.Screen) display.Screen {
	s.Actions = nil
	return s
}

// gamepadKeys are the actions of a pairing screen on a handheld running
// pairingd as an app.
var gamepadKeys = []display.Action{
	{Key: display.KeyA, Name: "A", Label: "new code"},
	{Key: display.KeyY, Name: "Y", Label: "details"},
	{Key: display.KeyB, Name: "B", Label: "quit"},
}

// withActions is s with actions as.
func withActions(s display.Screen, as ...display.Action) display.Screen {
	s.Actions = as
	return s
}

// keyboardScreen is a pairing screen with keyboard keys and a code without
// a dash, which is shown in groups.
func keyboardScreen() display.Screen {
	s := SampleScreen(t0)
	s.UserCode = "WDJBMJHT"
	s.QR = "https://example.com/device?user_code=WDJBMJHT"
	s.Detail = "Or open example.com/device and enter the code."
	s.Actions = []display.Action{
		{Key: display.KeyA, Name: "Enter", Label: "new code"},
		{Key: display.KeyY, Name: "I", Label: "details"},
		{Key: display.KeyB, Name: "Esc", Label: "quit"},
	}
	return s
}

// idleScreen is the screen of a device waiting for a key before it asks
// for a code: its headline alone, and the key.
func idleScreen() display.Screen {
	return display.Screen{
		Headline: "Press A or any key to pair",
		Actions:  []display.Action{{Key: display.KeyA, Name: "A", Label: "pair"}},
	}
}

// detailsScreen is the details screen: facts, one a line, one of them too
// long for a small screen.
func detailsScreen() display.Screen {
	return display.Screen{
		Headline: "Details",
		Detail:   "Not paired",
		Lines: []string{
			"Device: Pete's RG35XX",
			"Server: https://auth.example.com/realms/handhelds",
			"Client: pairingd-muos",
			"Code: WDJB-MJHT, 9:41 left",
			"Version: 0.9.0 (arm64)",
		},
		Actions: []display.Action{
			{Key: display.KeyB, Name: "B", Label: "back"},
			{Key: display.KeyX, Name: "X", Label: "unpair"},
		},
	}
}
