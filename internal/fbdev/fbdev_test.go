package fbdev

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestStructSizes(t *testing.T) {
	if got, want := unsafe.Sizeof(VarScreeninfo{}), uintptr(160); got != want {
		t.Errorf("unsafe.Sizeof(VarScreeninfo{}) = %d, want %d", got, want)
	}
	want := uintptr(80) // 64-bit
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 68
	}
	if got := unsafe.Sizeof(FixScreeninfo{}); got != want {
		t.Errorf("unsafe.Sizeof(FixScreeninfo{}) = %d, want %d on %s", got, want, runtime.GOARCH)
	}
	// Offsets of the fields whose position depends on padding.
	var f FixScreeninfo
	offs := []struct {
		name   string
		got    uintptr
		want64 uintptr
		want32 uintptr
	}{
		{"SmemStart", unsafe.Offsetof(f.SmemStart), 16, 16},
		{"SmemLen", unsafe.Offsetof(f.SmemLen), 24, 20},
		{"Visual", unsafe.Offsetof(f.Visual), 36, 32},
		{"LineLength", unsafe.Offsetof(f.LineLength), 48, 44},
		{"MmioStart", unsafe.Offsetof(f.MmioStart), 56, 48},
		{"Capabilities", unsafe.Offsetof(f.Capabilities), 72, 60},
	}
	for _, o := range offs {
		want := o.want64
		if unsafe.Sizeof(uintptr(0)) == 4 {
			want = o.want32
		}
		if o.got != want {
			t.Errorf("offset of FixScreeninfo.%s = %d, want %d", o.name, o.got, want)
		}
	}
	var v VarScreeninfo
	if got, want := unsafe.Offsetof(v.Red), uintptr(32); got != want {
		t.Errorf("offset of VarScreeninfo.Red = %d, want %d", got, want)
	}
	if got, want := unsafe.Offsetof(v.Rotate), uintptr(136); got != want {
		t.Errorf("offset of VarScreeninfo.Rotate = %d, want %d", got, want)
	}
}

// bf is a shorthand for a bitfield.
func bf(off, n uint32) Bitfield { return Bitfield{Offset: off, Length: n} }

func TestFormatEncode(t *testing.T) {
	type color struct{ r, g, b uint8 }
	tests := []struct {
		name    string
		bpp     uint32
		r, g, b Bitfield
		transp  Bitfield
		kind    Kind
		c       color
		want    []byte // little-endian bytes in memory
	}{
		{"XRGB8888 orange", 32, bf(16, 8), bf(8, 8), bf(0, 8), bf(24, 8), XRGB8888, color{0xff, 0x80, 0x10}, []byte{0x10, 0x80, 0xff, 0xff}},
		{"XRGB8888 no transp", 32, bf(16, 8), bf(8, 8), bf(0, 8), Bitfield{}, XRGB8888, color{1, 2, 3}, []byte{3, 2, 1, 0xff}},
		{"XBGR8888 orange", 32, bf(0, 8), bf(8, 8), bf(16, 8), bf(24, 8), XBGR8888, color{0xff, 0x80, 0x10}, []byte{0xff, 0x80, 0x10, 0xff}},
		{"RGBX8888 generic", 32, bf(24, 8), bf(16, 8), bf(8, 8), Bitfield{}, Generic, color{1, 2, 3}, []byte{0xff, 3, 2, 1}},
		{"RGB565 white", 16, bf(11, 5), bf(5, 6), bf(0, 5), Bitfield{}, RGB565, color{0xff, 0xff, 0xff}, []byte{0xff, 0xff}},
		{"RGB565 red", 16, bf(11, 5), bf(5, 6), bf(0, 5), Bitfield{}, RGB565, color{0xff, 0, 0}, []byte{0x00, 0xf8}},
		{"RGB565 green", 16, bf(11, 5), bf(5, 6), bf(0, 5), Bitfield{}, RGB565, color{0, 0xff, 0}, []byte{0xe0, 0x07}},
		{"RGB565 blue", 16, bf(11, 5), bf(5, 6), bf(0, 5), Bitfield{}, RGB565, color{0, 0, 0xff}, []byte{0x1f, 0x00}},
		{"BGR565 red", 16, bf(0, 5), bf(5, 6), bf(11, 5), Bitfield{}, BGR565, color{0xff, 0, 0}, []byte{0x1f, 0x00}},
		{"BGR565 blue", 16, bf(0, 5), bf(5, 6), bf(11, 5), Bitfield{}, BGR565, color{0, 0, 0xff}, []byte{0x00, 0xf8}},
		{"XRGB1555 generic", 16, bf(10, 5), bf(5, 5), bf(0, 5), Bitfield{}, Generic, color{0xff, 0, 0}, []byte{0x00, 0xfc}},
		{"ARGB1555 generic", 16, bf(10, 5), bf(5, 5), bf(0, 5), bf(15, 1), Generic, color{0, 0, 0}, []byte{0x00, 0x80}},
		{"RGB888 orange", 24, bf(16, 8), bf(8, 8), bf(0, 8), Bitfield{}, RGB888, color{0xff, 0x80, 0x10}, []byte{0x10, 0x80, 0xff}},
		{"BGR888 orange", 24, bf(0, 8), bf(8, 8), bf(16, 8), Bitfield{}, BGR888, color{0xff, 0x80, 0x10}, []byte{0xff, 0x80, 0x10}},
		{"XRGB2101010 generic", 32, bf(20, 10), bf(10, 10), bf(0, 10), Bitfield{}, Generic, color{0xff, 0, 0x80}, []byte{0x02, 0x02, 0xf0, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := FormatOf(VarScreeninfo{BitsPerPixel: tt.bpp, Red: tt.r, Green: tt.g, Blue: tt.b, Transp: tt.transp})
			if err != nil {
				t.Fatalf("FormatOf: %v", err)
			}
			if f.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v", f.Kind, tt.kind)
			}
			px := f.Encode(tt.c.r, tt.c.g, tt.c.b)
			got := make([]byte, f.BytesPerPixel)
			f.Put(got, px)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Encode(%v) then Put = % x, want % x", tt.c, got, tt.want)
			}
			if back := f.Get(got); back != px {
				t.Errorf("Get(Put(%#x)) = %#x", px, back)
			}
			// The generic path agrees with the fast path.
			g := f
			g.Kind = Generic
			if gp := g.Encode(tt.c.r, tt.c.g, tt.c.b); gp != px {
				t.Errorf("generic Encode(%v) = %#x, fast path %#x", tt.c, gp, px)
			}
			// Full intensities survive the round trip.
			for _, c := range []color{{0, 0, 0}, {0xff, 0xff, 0xff}, {0xff, 0, 0}, {0, 0xff, 0}, {0, 0, 0xff}} {
				r, g, b := f.Decode(f.Encode(c.r, c.g, c.b))
				if (color{r, g, b}) != c {
					t.Errorf("Decode(Encode(%v)) = %v", c, color{r, g, b})
				}
			}
		})
	}
}

func TestDecode565(t *testing.T) {
	f, err := FormatOf(VarScreeninfo{BitsPerPixel: 16, Red: bf(11, 5), Green: bf(5, 6), Blue: bf(0, 5)})
	if err != nil {
		t.Fatal(err)
	}
	// {32,64,128} → r=4 g=16 b=16 → widened by bit repetition.
	r, g, b := f.Decode(f.Encode(32, 64, 128))
	if got, want := [3]uint8{r, g, b}, [3]uint8{0x21, 0x41, 0x84}; got != want {
		t.Errorf("Decode(Encode(32,64,128)) = %v, want %v", got, want)
	}
}

func TestFormatOfRejects(t *testing.T) {
	rgb := VarScreeninfo{BitsPerPixel: 32, Red: bf(16, 8), Green: bf(8, 8), Blue: bf(0, 8)}
	tests := []struct {
		name string
		mod  func(v *VarScreeninfo)
		want string
	}{
		{"8 bpp", func(v *VarScreeninfo) { v.BitsPerPixel = 8 }, "8 bits per pixel is not supported"},
		{"grayscale", func(v *VarScreeninfo) { v.Grayscale = 1 }, "grayscale"},
		{"fourcc", func(v *VarScreeninfo) { v.Grayscale = 0x56595559 }, `FOURCC "YUYV"`},
		{"msb right", func(v *VarScreeninfo) { v.Red.MSBRight = 1 }, "MSB-right"},
		{"empty blue", func(v *VarScreeninfo) { v.Blue.Length = 0 }, "blue bitfield has 0 bits"},
		{"outside", func(v *VarScreeninfo) { v.Red.Offset = 30 }, "outside a 32-bit pixel"},
		{"overlap", func(v *VarScreeninfo) { v.Green.Offset = 4 }, "overlaps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := rgb
			tt.mod(&v)
			_, err := FormatOf(v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FormatOf error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name string
		mod  func(v *VarScreeninfo, f *FixScreeninfo)
		want string
	}{
		{"pseudocolour", func(v *VarScreeninfo, f *FixScreeninfo) { f.Visual = FB_VISUAL_PSEUDOCOLOR }, "pseudocolour"},
		{"planar", func(v *VarScreeninfo, f *FixScreeninfo) { f.Type = FB_TYPE_PLANES }, "not packed pixels"},
		{"short lines", func(v *VarScreeninfo, f *FixScreeninfo) { f.LineLength = 100 }, "line_length is 100"},
		{"panned past memory", func(v *VarScreeninfo, f *FixScreeninfo) { v.Yoffset = 1 }, "needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, f := NewScreeninfo(64, 48, 32, false)
			tt.mod(&v, &f)
			_, err := NewMemory(v, f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewMemory error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, make([]byte, 64), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"missing", filepath.Join(dir, "fb0"), []string{"open " + filepath.Join(dir, "fb0") + ": no such file or directory", "CONFIG_FB", "--display term"}},
		{"not a framebuffer", regular, []string{"FBIOGET_VSCREENINFO", "not a framebuffer device"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(tt.path)
			if err == nil {
				d.Close()
				t.Fatalf("Open(%s) succeeded", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%s) error = %q, want it to contain %q", tt.path, err, w)
				}
			}
		})
	}
	// Permission: the hint, without needing a non-root user.
	err := openError("/dev/fb0", unix.EACCES)
	if got, want := err.Error(), `open /dev/fb0: permission denied: add the user to the "video" group (or run with SupplementaryGroups=video)`; got != want {
		t.Errorf("openError(EACCES) = %q, want %q", got, want)
	}
	if !errors.Is(err, os.ErrPermission) {
		t.Errorf("openError(EACCES) is not os.ErrPermission")
	}
	if err := openError("/dev/fb0", unix.ENOENT); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("openError(ENOENT) = %v, is not os.ErrNotExist", err)
	}
}

func TestOpenFile(t *testing.T) {
	v, f := NewScreeninfo(40, 30, 16, false)
	f.LineLength = 96 // 40*2 = 80 + 16 bytes of padding
	f.SmemLen = f.LineLength * 30
	path := filepath.Join(t.TempDir(), "fb")
	if err := os.WriteFile(path, make([]byte, f.SmemLen), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := OpenFile(path, v, f)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	pf, err := d.Format()
	if err != nil || pf.Kind != RGB565 {
		t.Fatalf("Format() = %v, %v; want RGB565", pf, err)
	}
	pf.Put(d.Mem[d.PixOffset(39, 29):], pf.Encode(0xff, 0xff, 0xff))
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b[29*96+39*2:29*96+40*2], []byte{0xff, 0xff}; !bytes.Equal(got, want) {
		t.Errorf("bottom-right pixel in the file = % x, want % x", got, want)
	}

	// Too small a file.
	small := filepath.Join(t.TempDir(), "small")
	if err := os.WriteFile(small, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(small, v, f); err == nil || !strings.Contains(err.Error(), "the file has 10 bytes") {
		t.Errorf("OpenFile(small) error = %v, want one about its size", err)
	}
}

func TestPixOffset(t *testing.T) {
	v, f := NewScreeninfo(10, 4, 32, false)
	v.YresVirtual = 8
	v.Yoffset = 4
	v.Xoffset = 2
	v.XresVirtual = 16
	f.LineLength = 16 * 4
	f.SmemLen = f.LineLength * 8
	d, err := NewMemory(v, f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ x, y, want int }{
		{0, 0, 4*64 + 2*4},
		{9, 3, 7*64 + 11*4},
	}
	for _, tt := range tests {
		if got := d.PixOffset(tt.x, tt.y); got != tt.want {
			t.Errorf("PixOffset(%d, %d) = %d, want %d", tt.x, tt.y, got, tt.want)
		}
	}
	if got, want := d.Visible().String(), "(2,4)-(12,8)"; got != want {
		t.Errorf("Visible() = %s, want %s", got, want)
	}
}

// fakeVT records what a Console does to its VT.
type fakeVT struct {
	mode   int
	active int
	setErr error
	calls  []string
	closed int
	getErr error
}

func (f *fakeVT) setMode(m int) error {
	f.calls = append(f.calls, map[int]string{KD_TEXT: "text", KD_GRAPHICS: "graphics"}[m])
	if f.setErr != nil {
		return f.setErr
	}
	f.mode = m
	return nil
}
func (f *fakeVT) getMode() (int, error) { return f.mode, f.getErr }
func (f *fakeVT) activeVT() (int, error) {
	return f.active, nil
}
func (f *fakeVT) close() error { f.closed++; return nil }

func TestConsole(t *testing.T) {
	vt := &fakeVT{active: 2}
	c, err := acquire(vt, "/dev/tty2", 2)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	if vt.mode != KD_GRAPHICS {
		t.Errorf("mode after acquire = %d, want KD_GRAPHICS", vt.mode)
	}
	if ok, err := c.Active(); !ok || err != nil {
		t.Errorf("Active() with VT 2 in front = %v, %v; want true", ok, err)
	}
	vt.active = 3
	if ok, _ := c.Active(); ok {
		t.Errorf("Active() with VT 3 in front = true, want false")
	}
	if err := c.Restore(); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if err := c.Restore(); err != nil {
		t.Fatalf("second Restore: %v", err)
	}
	if got, want := strings.Join(vt.calls, ","), "graphics,text"; got != want {
		t.Errorf("mode changes = %s, want %s", got, want)
	}
	if vt.closed != 1 {
		t.Errorf("closed %d times, want 1", vt.closed)
	}

	denied := &fakeVT{setErr: unix.EPERM}
	if _, err := acquire(denied, "/dev/tty0", 1); err == nil || !strings.Contains(err.Error(), "CAP_SYS_TTY_CONFIG") {
		t.Errorf("acquire without permission: error = %v, want a hint about CAP_SYS_TTY_CONFIG", err)
	}
	notVT := &fakeVT{getErr: unix.ENOTTY}
	if _, err := acquire(notVT, "/dev/tty", 0); err == nil || !strings.Contains(err.Error(), "not a virtual console") {
		t.Errorf("acquire of a pty: error = %v, want 'not a virtual console'", err)
	}
}

func TestAcquireConsoleHere(t *testing.T) {
	// This machine may or may not have VTs; either way there is an error
	// or a console to restore, never a panic.
	c, err := AcquireConsole(filepath.Join(t.TempDir(), "nope"))
	if err == nil {
		c.Restore()
		t.Fatal("AcquireConsole of a missing tty succeeded")
	}
	if !strings.Contains(err.Error(), "opening console") {
		t.Errorf("AcquireConsole error = %v, want it to say what it was opening", err)
	}
}
