package fb

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/display/qr"
	"github.com/pairingd/pairingd/internal/fbdev"
	"github.com/pairingd/pairingd/internal/golden"
)

// TestFlushEncodes checks the bytes a flush stores for each pixel format.
func TestFlushEncodes(t *testing.T) {
	orange := rgb{0xff, 0x80, 0x10}
	tests := []struct {
		name string
		bpp  int
		bgr  bool
		kind fbdev.Kind
		want []byte
	}{
		{"RGB565", 16, false, fbdev.RGB565, []byte{0x02, 0xfc}},
		{"BGR565", 16, true, fbdev.BGR565, []byte{0x1f, 0x14}},
		{"RGB888", 24, false, fbdev.RGB888, []byte{0x10, 0x80, 0xff}},
		{"BGR888", 24, true, fbdev.BGR888, []byte{0xff, 0x80, 0x10}},
		{"XRGB8888", 32, false, fbdev.XRGB8888, []byte{0x10, 0x80, 0xff, 0xff}},
		{"XBGR8888", 32, true, fbdev.XBGR8888, []byte{0xff, 0x80, 0x10, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := newDev(t, devSpec{w: 2, h: 1, bpp: tt.bpp, bgr: tt.bgr})
			f, _ := dev.Format()
			if f.Kind != tt.kind {
				t.Fatalf("format = %v, want %v", f.Kind, tt.kind)
			}
			p, err := newPanel(dev, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := newCanvas(2, 1, f)
			c.fillRGB(c.bounds(), orange)
			p.flush(&c, c.bounds())
			bpp := tt.bpp / 8
			if got := dev.Mem[bpp : 2*bpp]; !bytes.Equal(got, tt.want) {
				t.Errorf("pixel 1 = % x, want % x", got, tt.want)
			}
		})
	}
}

// TestStridePadding checks that rows start at N*line_length and that the
// padding bytes at the end of each line stay untouched.
func TestStridePadding(t *testing.T) {
	for _, bpp := range []int{16, 24, 32} {
		t.Run(fmt.Sprint(bpp), func(t *testing.T) {
			const w, h, pad = 10, 6, 12
			dev := newDev(t, devSpec{w: w, h: h, bpp: bpp, pad: pad})
			f, _ := dev.Format()
			p, err := newPanel(dev, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := newCanvas(w, h, f)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					c.pix[y*w+x] = f.Encode(uint8(y*16), uint8(x*16), 0x40)
				}
			}
			p.flush(&c, c.bounds())
			stride := w*bpp/8 + pad
			if got := dev.Stride(); got != stride {
				t.Fatalf("Stride() = %d, want %d", got, stride)
			}
			for y := 0; y < h; y++ {
				row := dev.Mem[y*stride : (y+1)*stride]
				first := f.Get(row)
				if want := f.Encode(uint8(y*16), 0, 0x40); first != want {
					t.Errorf("row %d starts with %#x, want %#x", y, first, want)
				}
				for i, b := range row[w*bpp/8:] {
					if b != 0xa5 {
						t.Errorf("row %d padding byte %d = %#x, want untouched 0xa5", y, i, b)
						break
					}
				}
			}
		})
	}
}

// TestPanned checks that a panned visible area (yoffset = yres) gets the
// pixels and the first page is untouched.
func TestPanned(t *testing.T) {
	dev := newDev(t, devSpec{w: 64, h: 48, bpp: 32, panned: true})
	d, _ := newDisplay(t, dev, 0)
	if err := d.Show(awaiting("https://example.com/d")); err != nil {
		t.Fatal(err)
	}
	half := len(dev.Mem) / 2
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, b := range dev.Mem[:half] {
		if b != 0xa5 {
			t.Fatalf("first page byte %d = %#x, want untouched 0xa5", i, b)
		}
	}
	f, _ := dev.Format()
	bg := f.Encode(colBG.r, colBG.g, colBG.b)
	if got := f.Get(dev.Mem[half:]); got != bg {
		t.Errorf("first visible pixel = %#x, want the background %#x", got, bg)
	}
}

// TestRotation checks exact pixel positions of a 3×2 logical image on the
// panel for each rotation.
func TestRotation(t *testing.T) {
	// Logical image, pixel values 1..6:
	//   1 2 3
	//   4 5 6
	tests := []struct {
		rot  int
		want [][]uint32 // device rows
	}{
		{0, [][]uint32{{1, 2, 3}, {4, 5, 6}}},
		{90, [][]uint32{{4, 1}, {5, 2}, {6, 3}}},
		{180, [][]uint32{{6, 5, 4}, {3, 2, 1}}},
		{270, [][]uint32{{3, 6}, {2, 5}, {1, 4}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rot), func(t *testing.T) {
			dw, dh := len(tt.want[0]), len(tt.want)
			dev := newDev(t, devSpec{w: dw, h: dh, bpp: 32, pad: 4})
			f, _ := dev.Format()
			p, err := newPanel(dev, tt.rot)
			if err != nil {
				t.Fatal(err)
			}
			if p.lw != 3 || p.lh != 2 {
				t.Fatalf("logical size %dx%d, want 3x2", p.lw, p.lh)
			}
			c := newCanvas(3, 2, f)
			for i := range c.pix {
				c.pix[i] = uint32(i + 1)
			}
			p.flush(&c, c.bounds())
			for y, row := range tt.want {
				for x, want := range row {
					if got := f.Get(dev.Mem[dev.PixOffset(x, y):]); got != want {
						t.Errorf("device (%d,%d) = %d, want %d", x, y, got, want)
					}
				}
			}
			// A partial flush of logical pixel (2,0) lands on one device pixel.
			c.pix[2] = 99
			p.flush(&c, image.Rect(2, 0, 3, 1))
			if p.rowsWritten != 1 {
				t.Errorf("rows written for one pixel = %d, want 1", p.rowsWritten)
			}
			found := 0
			for y := 0; y < dh; y++ {
				for x := 0; x < dw; x++ {
					if f.Get(dev.Mem[dev.PixOffset(x, y):]) == 99 {
						found++
						if tt.want[y][x] != 3 {
							t.Errorf("pixel 3 moved to (%d,%d), where %d belongs", x, y, tt.want[y][x])
						}
					}
				}
			}
			if found != 1 {
				t.Errorf("changed pixel found %d times, want 1", found)
			}
		})
	}
}

func TestRotateInvalid(t *testing.T) {
	dev := newDev(t, devSpec{w: 8, h: 8, bpp: 32})
	if _, err := attach(dev, Options{Rotate: 45}); err == nil || !strings.Contains(err.Error(), "rotation 45") {
		t.Errorf("New with Rotate 45: error = %v, want one about the rotation", err)
	}
}

// decodeCase is one screen of the decode matrix.
type decodeCase struct {
	spec devSpec
	rot  int
	qr   string
}

func (c decodeCase) name() string {
	return fmt.Sprintf("%v-rot%d-qr%d", c.spec, c.rot, len(c.qr))
}

// TestDecodeMatrix draws an awaiting_user screen on many framebuffers,
// reads the panel back, un-rotates it and scans the QR code.
func TestDecodeMatrix(t *testing.T) {
	sizes := []struct{ w, h, rot int }{
		{320, 240, 0}, {480, 320, 0}, {640, 480, 0}, {720, 480, 0},
		{720, 720, 180}, {480, 640, 90}, {1024, 768, 0}, {1280, 720, 0}, {1920, 1080, 0},
	}
	short := "https://example.com/device?user_code=WDJB-MJHT"
	long := longURL(200)
	var cases []decodeCase
	for _, sz := range sizes {
		for _, bpp := range []int{16, 24, 32} {
			for _, bgr := range []bool{false, true} {
				for _, qr := range []string{short, long} {
					cases = append(cases, decodeCase{devSpec{w: sz.w, h: sz.h, bpp: bpp, bgr: bgr}, sz.rot, qr})
				}
			}
		}
		cases = append(cases,
			decodeCase{devSpec{w: sz.w, h: sz.h, bpp: 32, pad: 64}, sz.rot, long},
			decodeCase{devSpec{w: sz.w, h: sz.h, bpp: 16, pad: 32, panned: true}, sz.rot, long})
	}
	if testing.Short() {
		cases = cases[:14]
	}
	var decoded atomic.Int32
	t.Run("group", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name(), func(t *testing.T) {
				t.Parallel()
				checkDecode(t, c)
				if !t.Failed() {
					decoded.Add(1)
				}
			})
		}
	})
	t.Logf("%d of %d cases decoded", decoded.Load(), len(cases))
}

func checkDecode(t *testing.T, c decodeCase) {
	dev := newDev(t, c.spec)
	d, _ := newDisplay(t, dev, c.rot)
	if err := d.Show(awaiting(c.qr)); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	lay := d.lay
	d.mu.Unlock()
	if lay.qr.Empty() {
		t.Fatalf("no QR code drawn (module size would be < %d px)", minModule)
	}
	img := unrotate(screenOf(t, d), c.rot)
	// Colours: the page's background at the top-left corner (a swapped
	// byte order or red/blue would show here, though black and white
	// still scan), the light quiet zone, and a dark finder module.
	f, _ := dev.Format()
	checkColour(t, "background", img.RGBAAt(1, 1), f, colBG)
	checkColour(t, "quiet zone", img.RGBAAt(lay.qr.Min.X+1, lay.qr.Min.Y+1), f, colLight)
	m := lay.module
	checkColour(t, "finder pattern", img.RGBAAt(lay.qr.Min.X+quiet*m, lay.qr.Min.Y+quiet*m), f, colDark)
	got, err := displaytest.DecodeImage(img)
	if err != nil {
		t.Fatalf("decoding the screen (%d px/module): %v", m, err)
	}
	if got != c.qr {
		t.Errorf("decoded %q, want %q", got, c.qr)
	}
}

// checkColour compares a read-back pixel with want as the format stores it.
func checkColour(t *testing.T, what string, got color.RGBA, f fbdev.Format, want rgb) {
	t.Helper()
	r, g, b := f.Decode(f.Encode(want.r, want.g, want.b))
	if got != (color.RGBA{r, g, b, 0xff}) {
		t.Errorf("%s pixel = %v, want %v", what, got, color.RGBA{r, g, b, 0xff})
	}
}

// TestTooSmallForQR checks the text-only fallback on a screen that cannot
// fit 3 px/module and the quiet zone.
func TestTooSmallForQR(t *testing.T) {
	tests := []struct {
		w, h int
		qr   string
	}{
		{160, 128, longURL(200)}, // 57+8 modules need 195 px
		{128, 96, "https://example.com/device?user_code=WDJB-MJHT"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			dev := newDev(t, devSpec{w: tt.w, h: tt.h, bpp: 32})
			d, _ := newDisplay(t, dev, 0)
			if err := d.Show(awaiting(tt.qr)); err != nil {
				t.Fatal(err)
			}
			d.mu.Lock()
			lay := d.lay
			d.mu.Unlock()
			if !lay.qr.Empty() {
				t.Fatalf("QR code drawn at %d px/module in %v", lay.module, lay.qr)
			}
			var text []string
			for _, it := range lay.items {
				text = append(text, strings.Join(it.lines, " "))
			}
			all := strings.Join(text, " | ")
			for _, want := range []string{"Screen too small", "WDJB-", "example.com/"} {
				if !strings.Contains(all, want) {
					t.Errorf("text %q lacks %q", all, want)
				}
			}
			img := screenOf(t, d)
			if _, err := displaytest.DecodeImage(img); err == nil {
				t.Errorf("a QR code was found on a screen that should have none")
			}
		})
	}
}

// TestGolden compares whole screens with PNGs in testdata, pixel by
// pixel; -update rewrites them.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		o    RenderOptions
		s    display.Screen
	}{
		{"landscape-1280x720", RenderOptions{Width: 1280, Height: 720, BPP: 32}, SampleScreen(t0)},
		{"portrait-480x640-rot90", RenderOptions{Width: 480, Height: 640, BPP: 16, Rotate: 90}, noKeys(SampleScreen(t0))},
		{"square-720x720-rot180", RenderOptions{Width: 720, Height: 720, BPP: 32, BGR: true, Rotate: 180}, noKeys(SampleScreen(t0))},
		{"paired-640x480", RenderOptions{Width: 640, Height: 480, BPP: 32}, display.Screen{Headline: "Paired ✓", Tone: display.ToneOK, Detail: "Paired with pete@example.com"}},
		{"keys-240x320", RenderOptions{Width: 240, Height: 320, BPP: 16}, withActions(SampleScreen(t0), gamepadKeys...)},
		{"keyboard-640x480", RenderOptions{Width: 640, Height: 480, BPP: 32}, keyboardScreen()},
		{"idle-640x480", RenderOptions{Width: 640, Height: 480, BPP: 32}, idleScreen()},
		{"idle-240x320", RenderOptions{Width: 240, Height: 320, BPP: 16}, idleScreen()},
		{"details-640x480", RenderOptions{Width: 640, Height: 480, BPP: 32}, detailsScreen()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Now = t0.Add(19 * time.Second)
			var buf bytes.Buffer
			if err := RenderPNG(&buf, tt.s, tt.o); err != nil {
				t.Fatalf("RenderPNG: %v", err)
			}
			path := filepath.Join("testdata", tt.name+".png")
			wantPNG := golden.File(t, tt.name+".png", buf.Bytes())
			got, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("decoding RenderPNG output: %v", err)
			}
			want, err := png.Decode(bytes.NewReader(wantPNG))
			if err != nil {
				t.Fatalf("decoding %s: %v", path, err)
			}
			if got.Bounds() != want.Bounds() {
				t.Fatalf("size %v, want %v", got.Bounds(), want.Bounds())
			}
			diff, first := 0, image.Point{-1, -1}
			b := got.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if color.RGBAModel.Convert(got.At(x, y)) != color.RGBAModel.Convert(want.At(x, y)) {
						if diff == 0 {
							first = image.Pt(x, y)
						}
						diff++
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d pixels differ from %s, the first at %v (run with -update if the change is intended)", diff, path, first)
			}
		})
	}
}

// TestRenderPNGDeterministic renders twice and compares the bytes.
func TestRenderPNGDeterministic(t *testing.T) {
	o := RenderOptions{Width: 320, Height: 240, BPP: 16, Now: t0, Stride: 704}
	var a, b bytes.Buffer
	if err := RenderPNG(&a, SampleScreen(t0), o); err != nil {
		t.Fatal(err)
	}
	if err := RenderPNG(&b, SampleScreen(t0), o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two renders of the same screen differ")
	}
	img, err := png.Decode(&a)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := displaytest.DecodeImage(img); err != nil || got != SampleScreen(t0).QR {
		t.Errorf("RenderPNG's picture decodes to %q, %v; want %q", got, err, SampleScreen(t0).QR)
	}
	if err := RenderPNG(&a, SampleScreen(t0), RenderOptions{Width: 320, Height: 240, BPP: 8}); err == nil {
		t.Errorf("RenderPNG at 8 bpp succeeded")
	}
}

// TestCountdownRows checks that countdown ticks write few device rows,
// driven by the display's own goroutine in a synctest bubble.
func TestCountdownRows(t *testing.T) {
	tests := []struct {
		spec devSpec
		rot  int
	}{
		{devSpec{w: 1280, h: 720, bpp: 32}, 0},
		{devSpec{w: 480, h: 640, bpp: 16}, 90},
		{devSpec{w: 720, h: 720, bpp: 32}, 180},
		{devSpec{w: 320, h: 240, bpp: 16}, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v-rot%d", tt.spec, tt.rot), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dev := newDev(t, tt.spec)
				d, err := attach(dev, Options{Rotate: tt.rot})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				s := SampleScreen(time.Now())
				if err := d.Show(s); err != nil {
					t.Fatal(err)
				}
				limit := tt.spec.h * 15 / 100
				prev := memRows(d)
				// 10:00 → 9:59 changes every digit; then single seconds.
				for i := 1; i <= 3; i++ {
					time.Sleep(time.Second)
					synctest.Wait()
					cur := memRows(d)
					n := changedRows(prev, cur)
					d.mu.Lock()
					written, text := d.pn.rowsWritten, string(d.cdShown[:d.cdLen])
					d.mu.Unlock()
					if n == 0 || n > limit {
						t.Errorf("tick %d (%q): %d of %d rows changed, want 1 to %d", i, text, n, tt.spec.h, limit)
					}
					t.Logf("tick %d (%q): %d of %d rows changed", i, text, n, tt.spec.h)
					if written != n {
						t.Errorf("tick %d: flush wrote %d rows, %d changed", i, written, n)
					}
					prev = cur
				}
			})
		})
	}
}

// TestCountdownRunsOut checks the countdown text along the way and that it
// ends at 0:00.
func TestCountdownRunsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := newDev(t, devSpec{w: 640, h: 480, bpp: 32})
		d, err := attach(dev, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		s := SampleScreen(time.Now())
		s.Deadline = time.Now().Add(61*time.Second + 500*time.Millisecond)
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		text := func() string {
			d.mu.Lock()
			defer d.mu.Unlock()
			return string(d.cdShown[:d.cdLen])
		}
		steps := []struct {
			after time.Duration
			want  string
		}{
			{0, "Expires in " + "1:02"},
			{500 * time.Millisecond, "Expires in " + "1:01"},
			{time.Second, "Expires in " + "1:00"},
			{time.Second, "Expires in " + "0:59"},
			{59 * time.Second, "Expires in " + "0:00"},
			{time.Hour, "Expires in " + "0:00"},
		}
		for _, st := range steps {
			time.Sleep(st.after)
			synctest.Wait()
			if got := text(); got != st.want {
				t.Errorf("%v before the deadline: countdown %q, want %q", time.Until(s.Deadline), got, st.want)
			}
		}
	})
}

// fakeConsole is a VT that tests switch away and back.
type fakeConsole struct {
	active   atomic.Bool
	restored atomic.Int32
}

func (c *fakeConsole) Active() (bool, error) { return c.active.Load(), nil }
func (c *fakeConsole) Restore() error        { c.restored.Add(1); return nil }

// TestCloseNoLeak checks that Close stops the goroutine (synctest fails
// on a goroutine left blocked), restores the console, clears the screen
// and that Show afterwards fails.
func TestCloseNoLeak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := newDev(t, devSpec{w: 320, h: 240, bpp: 32})
		d, err := attach(dev, Options{})
		if err != nil {
			t.Fatal(err)
		}
		con := &fakeConsole{}
		con.active.Store(true)
		d.mu.Lock()
		d.con = con
		d.mu.Unlock()
		if err := d.Show(SampleScreen(time.Now())); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if n := con.restored.Load(); n != 1 {
			t.Errorf("console restored %d times, want 1", n)
		}
		f, _ := dev.Format()
		black := f.Encode(0, 0, 0)
		for y := 0; y < 240; y += 7 {
			for x := 0; x < 320; x += 7 {
				if got := f.Get(dev.Mem[dev.PixOffset(x, y):]); got != black {
					t.Fatalf("pixel (%d,%d) = %#x after Close, want black %#x", x, y, got, black)
				}
			}
		}
		if err := d.Show(SampleScreen(time.Now())); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Show after Close: error = %v, want 'display closed'", err)
		}
	})
}

// TestVTSwitch checks that nothing is drawn while another VT is in front
// and that the whole frame is written again when ours comes back.
func TestVTSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := newDev(t, devSpec{w: 320, h: 240, bpp: 32})
		d, err := attach(dev, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		con := &fakeConsole{}
		con.active.Store(true)
		d.mu.Lock()
		d.con = con
		d.mu.Unlock()
		s := SampleScreen(time.Now())
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		want := memRows(d)
		con.active.Store(false)
		time.Sleep(time.Second)
		synctest.Wait()
		// Another VT draws: scribble over the framebuffer.
		d.mu.Lock()
		for i := range dev.Mem {
			dev.Mem[i] = 0x11
		}
		d.mu.Unlock()
		s.Detail = "Changed while away"
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		for i, row := range memRows(d) {
			for _, b := range row {
				if b != 0x11 {
					t.Fatalf("row %d was drawn while another VT was in front", i)
				}
			}
		}
		con.active.Store(true)
		time.Sleep(time.Second)
		synctest.Wait()
		got := memRows(d)
		if n := changedRows(want, got); n == 0 {
			t.Errorf("screen after coming back equals the old one; the new detail is missing")
		}
		for i, row := range got {
			if bytes.Count(row, []byte{0x11}) == len(row) {
				t.Fatalf("row %d still shows the other VT after coming back", i)
			}
		}
	})
}

// TestUntrustedText checks that runes the font lacks are drawn as '?'.
func TestUntrustedText(t *testing.T) {
	dev := newDev(t, devSpec{w: 320, h: 240, bpp: 32})
	f, _ := dev.Format()
	c := newCanvas(64, 20, f)
	draw := func(s string) []uint32 {
		c.fillRGB(c.bounds(), colBG)
		c.drawString(0, 0, s, regular, 1, colText, colBG)
		return append([]uint32(nil), c.pix...)
	}
	q := draw("a?b")
	for _, s := range []string{"a\u202eb", "a😀b", "a\x1bb", "a\u0000b"} {
		if got := draw(s); !equalPix(got, q) {
			t.Errorf("%q is not drawn like %q", s, "a?b")
		}
	}
	if !regular.has('✓') || regular.has('😀') || !regular.has('é') {
		t.Errorf("has: ✓ %v, 😀 %v, é %v; want true, false, true", regular.has('✓'), regular.has('😀'), regular.has('é'))
	}
	if got := draw("✓"); equalPix(got, draw("?")) {
		t.Errorf("✓ is drawn as '?'")
	}
}

func equalPix(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s        string
		cols     int
		maxLines int
		want     []string
	}{
		{"Scan to pair this device", 13, 2, []string{"Scan to pair", "this device"}},
		{"WDJB-MJHT", 6, 2, []string{"WDJB-", "MJHT"}},
		{"pair.example.com/device", 13, 3, []string{"pair.example.", "com/device"}},
		{"abcdefghij", 4, 5, []string{"abcd", "efgh", "ij"}},
		{"one two three four five", 5, 2, []string{"one", "two…"}},
		{"line\nbreak\ttab", 20, 2, []string{"line break tab"}},
		{"", 10, 2, nil},
	}
	for _, tt := range tests {
		got := wrap(tt.s, tt.cols, tt.maxLines)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", tt.s, tt.cols, tt.maxLines, got, tt.want)
		}
	}
}

func TestAppendTimeLeft(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 0, time.Millisecond, time.Second, 59*time.Second + 1, 10 * time.Minute, 100*time.Minute + 1} {
		got := string(appendTimeLeft(nil, t0.Add(d), t0))
		if want := display.TimeLeft(t0.Add(d), t0); got != want {
			t.Errorf("appendTimeLeft(%v) = %q, want display.TimeLeft's %q", d, got, want)
		}
	}
}

func TestBarWidth(t *testing.T) {
	tests := []struct {
		w          int
		rem, total time.Duration
		want       int
	}{
		{100, 10 * time.Minute, 10 * time.Minute, 100},
		{100, 5 * time.Minute, 10 * time.Minute, 50},
		{100, 0, 10 * time.Minute, 0},
		{100, -time.Second, 10 * time.Minute, 0},
		{100, time.Minute, 0, 0},
	}
	for _, tt := range tests {
		if got := barWidth(tt.w, tt.rem, tt.total); got != tt.want {
			t.Errorf("barWidth(%d, %v, %v) = %d, want %d", tt.w, tt.rem, tt.total, got, tt.want)
		}
	}
}

// TestScreensWithoutCode checks the screens that show no code: the
// headline as given, large and coloured by its tone, then the detail, and
// no QR code or countdown.
func TestScreensWithoutCode(t *testing.T) {
	for _, tt := range []struct {
		headline string
		tone     display.Tone
		colour   rgb
	}{
		{"Getting a pairing code…", display.ToneInfo, colText},
		{"Paired ✓", display.ToneOK, colOK},
		{"Pairing was denied", display.ToneBad, colBad},
		{"The code expired", display.ToneWarn, colWarn},
		{"Can't pair right now", display.ToneBad, colBad},
	} {
		t.Run(tt.headline, func(t *testing.T) {
			dev := newDev(t, devSpec{w: 640, h: 480, bpp: 32})
			d, _ := newDisplay(t, dev, 0)
			s := display.Screen{Headline: tt.headline, Tone: tt.tone, Detail: "Detail for " + tt.headline}
			if err := d.Show(s); err != nil {
				t.Fatal(err)
			}
			d.mu.Lock()
			lay := d.lay
			d.mu.Unlock()
			if !lay.qr.Empty() || !lay.cd.Empty() {
				t.Errorf("%q screen has a QR code (%v) or a countdown (%v)", tt.headline, lay.qr, lay.cd)
			}
			if len(lay.items) != 2 || lay.items[1].lines[0] != s.Detail {
				t.Fatalf("%q screen items = %+v, want the headline and the detail", tt.headline, lay.items)
			}
			if h := lay.items[0]; h.lines[0] != tt.headline || h.fg != tt.colour || h.scale <= lay.items[1].scale {
				t.Errorf("headline %q in %v at scale %d (detail %d), want %q in %v, larger than the detail",
					h.lines[0], h.fg, h.scale, lay.items[1].scale, tt.headline, tt.colour)
			}
		})
	}
	// No wording of its own: a screen without a headline shows the
	// detail alone.
	l := plan(640, 480, display.Screen{Tone: display.ToneBad, Detail: "Only this"}, nil, "")
	if len(l.items) != 1 || l.items[0].lines[0] != "Only this" {
		t.Errorf("screen without a headline: items %+v, want the detail alone", l.items)
	}
}

// TestUserCodeLargest checks that the user code is the biggest text.
func TestUserCodeLargest(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{320, 240}, {640, 480}, {720, 720}, {1920, 1080}, {480, 640}} {
		for _, qr := range []string{"https://example.com/device?user_code=WDJB-MJHT", longURL(200)} {
			l := plan(sz.w, sz.h, awaiting(qr), mustQR(t, qr), "")
			code := -1
			for _, it := range l.items {
				if it.fg == colCode {
					code = it.scale
				}
			}
			for _, it := range l.items {
				if it.fg != colCode && it.kind == itemText && it.scale >= code {
					t.Errorf("%dx%d: %q at scale %d, user code at %d", sz.w, sz.h, it.lines[0], it.scale, code)
				}
			}
		}
	}
}

func mustQR(t *testing.T, s string) [][]bool {
	t.Helper()
	b, err := qr.Bitmap(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "fb0"), Options{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "--display term") {
		t.Errorf("Open of a missing device: error = %v, want ErrNotExist with advice", err)
	}
}

func TestDrawTestPattern(t *testing.T) {
	for _, rot := range []int{0, 90} {
		dev := newDev(t, devSpec{w: 480, h: 640, bpp: 16, pad: 32})
		if err := drawTestPattern(dev, rot); err != nil {
			t.Fatalf("drawTestPattern: %v", err)
		}
		img := unrotate(mustSnapshot(t, dev), rot)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		// The border's corners are white; the first bar (white) and the
		// sixth (red) are where they belong.
		for _, p := range []image.Point{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}} {
			if got := img.RGBAAt(p.X, p.Y); got != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
				t.Errorf("rotate %d: corner %v = %v, want white", rot, p, got)
			}
		}
		if got := img.RGBAAt(w*5/8+2, h/4); got != (color.RGBA{0xff, 0, 0, 0xff}) {
			t.Errorf("rotate %d: red bar = %v", rot, got)
		}
	}
}

func mustSnapshot(t *testing.T, dev *fbdev.Device) *image.RGBA {
	t.Helper()
	img, err := screenshot(dev)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Close blanks the panel, so a stopped daemon leaves no stale code on it;
// with Keep (pairingd render --fb) the picture stays. Mode says what the
// driver reported.
func TestCloseKeep(t *testing.T) {
	for _, keep := range []bool{false, true} {
		dev := newDev(t, devSpec{w: 64, h: 48, bpp: 32})
		d, err := attach(dev, Options{Now: func() time.Time { return t0 }, Keep: keep})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := d.Mode().String(), "64x48, 32 bpp"; got != want {
			t.Errorf("Mode() = %q, want %q", got, want)
		}
		if err := d.Show(awaiting("https://example.com/d")); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		f, _ := dev.Format()
		blank := f.Encode(0, 0, 0)
		if got := f.Get(dev.Mem) != blank; got != keep {
			t.Errorf("Keep %v: picture left after Close = %v, want %v", keep, got, keep)
		}
	}
}

// Foreground follows the console: keys count only while our VT is in
// front, always without a console, and never after Close.
func TestForeground(t *testing.T) {
	dev := newDev(t, devSpec{w: 64, h: 48, bpp: 32})
	d, err := attach(dev, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Foreground() {
		t.Errorf("without a console: Foreground() = false, want true")
	}
	con := &fakeConsole{}
	d.con = con
	if d.Foreground() {
		t.Errorf("another VT in front: Foreground() = true, want false")
	}
	con.active.Store(true)
	if !d.Foreground() {
		t.Errorf("our VT in front: Foreground() = false, want true")
	}
	d.Close()
	if d.Foreground() {
		t.Errorf("after Close: Foreground() = true, want false")
	}
}

// TestKeyHint checks that the actions are drawn at the bottom with their
// keys' names, below the QR code and the text and within the screen, on
// every size down to a 240×320 handheld in portrait, and that the QR code
// still decodes there.
func TestKeyHint(t *testing.T) {
	keyboard := keyboardScreen().Actions
	for _, tt := range []struct {
		w, h, rot int
		actions   []display.Action
		wantRows  int
	}{
		{240, 320, 0, gamepadKeys, 1},
		{240, 320, 0, keyboard, 2},
		{320, 240, 0, keyboard, 1},
		{480, 640, 90, gamepadKeys, 1},
		{640, 480, 0, keyboard, 1},
		{720, 720, 180, gamepadKeys, 1},
		{1280, 720, 0, keyboard, 1},
	} {
		t.Run(fmt.Sprintf("%dx%d-%s", tt.w, tt.h, tt.actions[0].Name), func(t *testing.T) {
			dev := newDev(t, devSpec{w: tt.w, h: tt.h, bpp: 32})
			d, _ := newDisplay(t, dev, tt.rot)
			s := withActions(SampleScreen(t0), tt.actions...)
			if err := d.Show(s); err != nil {
				t.Fatal(err)
			}
			d.mu.Lock()
			l := d.lay
			d.mu.Unlock()
			var names, labels []string
			for _, row := range l.hint.rows {
				if w := rowWidth(row, l.hint.scale); w > l.hintArea.Dx() {
					t.Errorf("a row of keys is %d px wide, the screen has %d", w, l.hintArea.Dx())
				}
				for _, it := range row {
					names, labels = append(names, it.name), append(labels, it.label)
				}
			}
			var wantNames, wantLabels []string
			for _, a := range tt.actions {
				wantNames, wantLabels = append(wantNames, a.Name), append(wantLabels, a.Label)
			}
			if fmt.Sprint(names) != fmt.Sprint(wantNames) || fmt.Sprint(labels) != fmt.Sprint(wantLabels) {
				t.Errorf("keys %q %q, want %q %q", names, labels, wantNames, wantLabels)
			}
			if got := len(l.hint.rows); got != tt.wantRows {
				t.Errorf("keys in %d rows, want %d", got, tt.wantRows)
			}
			lw, lh := logicalSize(tt.w, tt.h, tt.rot)
			if !l.hintArea.In(image.Rect(0, 0, lw, lh)) || l.hintArea.Min.Y < l.text.Max.Y || l.hintArea.Min.Y < l.qr.Max.Y {
				t.Errorf("keys at %v: off the %dx%d screen, or over the text %v or the QR code %v", l.hintArea, lw, lh, l.text, l.qr)
			}
			if l.hint.scale > l.body {
				t.Errorf("keys at scale %d, larger than the body text's %d", l.hint.scale, l.body)
			}
			img := unrotate(screenOf(t, d), tt.rot)
			caps := 0
			f, _ := dev.Format()
			r, g, b := f.Decode(f.Encode(colCap.r, colCap.g, colCap.b))
			for y := l.hintArea.Min.Y; y < l.hintArea.Max.Y; y++ {
				for x := l.hintArea.Min.X; x < l.hintArea.Max.X; x++ {
					if img.RGBAAt(x, y) == (color.RGBA{r, g, b, 0xff}) {
						caps++
					}
				}
			}
			if caps == 0 {
				t.Errorf("no key cap drawn in %v", l.hintArea)
			}
			if got, err := displaytest.DecodeImage(img); err != nil || got != s.QR {
				t.Errorf("QR code with the keys shown decodes to %q, %v; want %q", got, err, s.QR)
			}
		})
	}
	// Without actions nothing is drawn for them and the text has the
	// whole height.
	l := plan(640, 480, noKeys(SampleScreen(t0)), mustQR(t, SampleScreen(t0).QR), "")
	if len(l.hint.rows) != 0 || !l.hintArea.Empty() {
		t.Errorf("screen without actions: keys %+v at %v, want none", l.hint, l.hintArea)
	}
}

// TestPlanHint checks how the keys fit a width: in one row at the largest
// scale, in two rows rather than small print, and with labels shortened
// when one row per action is still too wide.
func TestPlanHint(t *testing.T) {
	long := []display.Action{
		{Key: display.KeyA, Name: "Enter", Label: "ask the server for a new code"},
		{Key: display.KeyB, Name: "Esc", Label: "quit"},
	}
	for _, tt := range []struct {
		name    string
		actions []display.Action
		width   int
		most    int
		want    [][]string // rows of "name label"
		scale   int
	}{
		{"one row at the most", gamepadKeys, 600, 2, [][]string{{"A new code", "Y details", "B quit"}}, 2},
		{"one row smaller", gamepadKeys, 450, 3, [][]string{{"A new code", "Y details", "B quit"}}, 2},
		{"two rows, not small print", keyboardScreen().Actions, 320, 2, [][]string{{"Enter new code"}, {"I details", "Esc quit"}}, 2},
		{"one row of small print", gamepadKeys, 300, 1, [][]string{{"A new code", "Y details", "B quit"}}, 1},
		{"rows at scale 1", keyboardScreen().Actions, 160, 1, [][]string{{"Enter new code"}, {"I details", "Esc quit"}}, 1},
		{"label shortened", long, 120, 1, [][]string{{"Enter ask the…"}, {"Esc quit"}}, 1},
		{"name alone", []display.Action{{Name: "MENU"}}, 100, 1, [][]string{{"MENU "}}, 1},
		{"untrusted", []display.Action{{Name: "A\x1b[2J", Label: "new\ncode"}}, 300, 1, [][]string{{"A?[2J new code"}}, 1},
		{"none", nil, 300, 2, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := planHint(tt.actions, tt.width, tt.most)
			var got [][]string
			for _, row := range h.rows {
				var r []string
				for _, it := range row {
					r = append(r, it.name+" "+it.label)
				}
				got = append(got, r)
				if w := rowWidth(row, h.scale); w > tt.width {
					t.Errorf("row %q is %d px wide, more than %d", r, w, tt.width)
				}
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) || h.scale != tt.scale {
				t.Errorf("planHint(%d px, scale up to %d) = %q at scale %d, want %q at %d", tt.width, tt.most, got, h.scale, tt.want, tt.scale)
			}
		})
	}
}

// TestDetailsLines checks that a screen's Lines are drawn under the
// detail, one a line, left-aligned with each other, and cut with "…" where
// they are too long, on a large screen and on a small one.
func TestDetailsLines(t *testing.T) {
	s := detailsScreen()
	for _, sz := range []struct{ w, h int }{{640, 480}, {240, 320}, {1280, 720}} {
		l := plan(sz.w, sz.h, s, nil, "")
		if len(l.items) != 3 {
			t.Fatalf("%dx%d: %d items, want the headline, the detail and the lines", sz.w, sz.h, len(l.items))
		}
		if got := l.items[1].lines; len(got) != 1 || got[0] != s.Detail {
			t.Errorf("%dx%d: detail %q, want %q", sz.w, sz.h, got, s.Detail)
		}
		it := l.items[2]
		if !it.block || it.scale != l.body || it.scale >= l.items[0].scale {
			t.Errorf("%dx%d: lines block %v at scale %d, want a block at the body scale %d, below the headline's %d", sz.w, sz.h, it.block, it.scale, l.body, l.items[0].scale)
		}
		if len(it.lines) != len(s.Lines) {
			t.Fatalf("%dx%d: lines %q, want all %d of them", sz.w, sz.h, it.lines, len(s.Lines))
		}
		cols := l.text.Dx() / (regular.advance() * it.scale)
		for i, line := range it.lines {
			want := s.Lines[i]
			switch {
			case utf8.RuneCountInString(line) > cols:
				t.Errorf("%dx%d: line %q longer than the %d columns", sz.w, sz.h, line, cols)
			case line != want && !(strings.HasSuffix(line, "…") && strings.HasPrefix(want, strings.TrimSuffix(line, "…"))):
				t.Errorf("%dx%d: line %q, want %q or its start and …", sz.w, sz.h, line, want)
			}
		}
		if l.height() > l.text.Dy() {
			t.Errorf("%dx%d: text %d px high in a column of %d", sz.w, sz.h, l.height(), l.text.Dy())
		}
	}
	// Ten lines on a small landscape screen: what does not fit goes, the
	// last line first, and "…" says so.
	s.Lines = nil
	for i := range 10 {
		s.Lines = append(s.Lines, fmt.Sprintf("Line %d: a fact", i+1))
	}
	l := plan(320, 240, s, nil, "")
	it := l.items[len(l.items)-1]
	if l.height() > l.text.Dy() || len(it.lines) == 0 || len(it.lines) == 10 || !strings.HasSuffix(it.lines[len(it.lines)-1], "…") {
		t.Errorf("10 lines on 320x240: %q, %d px high in %d; want the first few and …", it.lines, l.height(), l.text.Dy())
	}
}

// TestIdleLarge checks that a screen with a headline alone (and its key)
// shows it large: wider than half the screen, in at most three lines of
// whole words, in the top two fifths of the height or less, and as large
// as a 60% width allows when it is short.
func TestIdleLarge(t *testing.T) {
	for _, tt := range []struct {
		w, h      int
		headline  string
		wantScale int
		wantLines []string
	}{
		{640, 480, "Press A or any key to pair", 4, []string{"Press A or any", "key to pair"}},
		{240, 320, "Press A or any key to pair", 2, []string{"Press A or any", "key to pair"}},
		{1280, 720, "Press A or any key to pair", 7, []string{"Press A or any", "key to pair"}},
		{480, 640, "Press A or any key to pair", 4, []string{"Press A or any", "key to pair"}},
		{720, 720, "Press Enter to pair", 7, []string{"Press Enter", "to pair"}},
		{640, 480, "Paired ✓", 5, []string{"Paired ✓"}},
	} {
		s := idleScreen()
		s.Headline = tt.headline
		l := plan(tt.w, tt.h, s, nil, "")
		if len(l.items) != 1 {
			t.Fatalf("%dx%d: items %+v, want the headline alone", tt.w, tt.h, l.items)
		}
		it := l.items[0]
		widest := 0
		for _, line := range it.lines {
			widest = max(widest, textWidth(line, bold, it.scale))
		}
		if it.scale != tt.wantScale || fmt.Sprint(it.lines) != fmt.Sprint(tt.wantLines) {
			t.Errorf("%dx%d: %q at scale %d, want %q at %d", tt.w, tt.h, it.lines, it.scale, tt.wantLines, tt.wantScale)
		}
		if widest*2 < tt.w || widest > l.text.Dx() || it.height()*5 > l.text.Dy()*2 || len(l.hint.rows) != 1 {
			t.Errorf("%dx%d: headline %d×%d px in a column of %v, keys %+v; want it wider than half the screen, within the column, at most 2/5 of its height, and the key below",
				tt.w, tt.h, widest, it.height(), l.text.Size(), l.hint)
		}
	}
}

// TestUserCodeScale checks that the user code, in groups, is at least as
// large as it was before the keys were shown (the scales in want), and
// larger where the column is wider than twice the body text and one step
// allowed.
func TestUserCodeScale(t *testing.T) {
	for _, tt := range []struct {
		w, h int
		want int
	}{
		{240, 320, 3}, {320, 240, 2}, {480, 320, 3}, {480, 640, 3}, {640, 480, 4}, {720, 720, 4}, {1280, 720, 8}, {1920, 1080, 12},
	} {
		for _, s := range []display.Screen{withActions(SampleScreen(t0), gamepadKeys...), keyboardScreen()} {
			s.Detail = "Or open example.com/device and enter the code."
			l := plan(tt.w, tt.h, s, mustQR(t, s.QR), "")
			var code item
			for _, it := range l.items {
				if it.fg == colCode {
					code = it
				}
			}
			if want := display.GroupCode(s.UserCode); fmt.Sprint(code.lines) != fmt.Sprint([]string{want}) {
				t.Errorf("%dx%d: code %q, want %q on one line", tt.w, tt.h, code.lines, want)
			}
			if code.scale < tt.want {
				t.Errorf("%dx%d %s keys: code at scale %d, want at least %d", tt.w, tt.h, s.Actions[0].Name, code.scale, tt.want)
			}
			if l.height() > l.text.Dy() {
				t.Errorf("%dx%d: text %d px high in a column of %d", tt.w, tt.h, l.height(), l.text.Dy())
			}
		}
	}
}

// TestBalanced checks that a wrapped headline's lines are as even as its
// number of lines allows.
func TestBalanced(t *testing.T) {
	for _, tt := range []struct {
		s    string
		cols int
		want []string
	}{
		{"Press A or any key to pair", 21, []string{"Press A or any", "key to pair"}},
		{"Press A or any key to pair", 30, []string{"Press A or any key to pair"}},
		{"Paired ✓", 6, []string{"Paired", "✓"}},
		{"one two three four five six seven", 8, []string{"one two", "three", "four…"}},
		{"", 10, nil},
	} {
		if got := balanced(tt.s, tt.cols, 3); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("balanced(%q, %d) = %q, want %q", tt.s, tt.cols, got, tt.want)
		}
	}
}

// A display chosen automatically takes the framebuffer only with the
// console: a VT it cannot switch to graphics (a login prompt's) refuses it,
// a machine without VTs does not; a display asked for draws either way.
func TestNeedConsole(t *testing.T) {
	notVT := filepath.Join(t.TempDir(), "tty1") // opens, but no VT ioctl works
	if err := os.WriteFile(notVT, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		tty      string
		need     bool
		wantBusy bool
	}{
		{"a VT not ours, chosen", notVT, true, true},
		{"a VT not ours, asked for", notVT, false, false},
		{"no VT at all, chosen", filepath.Join(t.TempDir(), "missing"), true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := attach(newDev(t, devSpec{w: 320, h: 240, bpp: 32}), Options{Console: true, NeedConsole: tt.need, TTY: tt.tty})
			if got := errors.Is(err, ErrConsoleBusy); got != tt.wantBusy {
				t.Fatalf("attach: %v; want ErrConsoleBusy %v", err, tt.wantBusy)
			}
			if err == nil {
				d.Close()
			}
		})
	}
}
