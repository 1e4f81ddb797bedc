package fb

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/fbdev"
)

// RenderOptions describes the framebuffer RenderPNG draws on.
type RenderOptions struct {
	// Width and Height are the framebuffer's visible size, xres×yres,
	// before rotation (muOS RG28XX: 480×640 with Rotate 90).
	Width, Height int
	// BPP is 16 (RGB565), 24 (RGB888) or 32 (XRGB8888).
	BPP int
	// BGR swaps red and blue: BGR565, BGR888, XBGR8888.
	BGR bool
	// Rotate is as in Options.
	Rotate int
	// Now is the time the countdown is drawn at.
	Now time.Time
	// Stride is the line length in bytes; 0 means packed lines
	// (Width*BPP/8). A larger one pads every line, as many drivers do.
	Stride int
}

// RenderPNG draws s on a framebuffer in memory described by o, through
// the same code that draws on a device, then reads the pixels back from
// the framebuffer's memory, decoding its native format, and writes them to
// w as a PNG. The picture is what the panel would show, rotation included.
// The output depends only on s and o.
func RenderPNG(w io.Writer, s display.Screen, o RenderOptions) error {
	dev, err := renderDevice(o)
	if err != nil {
		return fmt.Errorf("fb: rendering %q screen: %w", s.Headline, err)
	}
	defer dev.Close()
	now := o.Now
	d, err := attach(dev, Options{Rotate: o.Rotate, Now: func() time.Time { return now }})
	if err != nil {
		return fmt.Errorf("fb: rendering %q screen: %w", s.Headline, err)
	}
	err = d.Show(s)
	var img *image.RGBA
	if err == nil {
		img, err = d.snapshot()
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fb: rendering %q screen: %w", s.Headline, err)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("fb: writing PNG of %q screen: %w", s.Headline, err)
	}
	return nil
}

// renderDevice makes the in-memory framebuffer RenderPNG draws on.
func renderDevice(o RenderOptions) (*fbdev.Device, error) {
	if o.Width <= 0 || o.Height <= 0 {
		return nil, fmt.Errorf("framebuffer size %dx%d is empty", o.Width, o.Height)
	}
	v, f := fbdev.NewScreeninfo(o.Width, o.Height, o.BPP, o.BGR)
	if o.Stride != 0 {
		f.LineLength = uint32(o.Stride)
		f.SmemLen = f.LineLength * v.YresVirtual
	}
	return fbdev.NewMemory(v, f)
}

// snapshot reads the screen back under the lock, so that a countdown tick
// cannot draw meanwhile.
func (d *Display) snapshot() (*image.RGBA, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return screenshot(d.dev)
}

// screenshot reads the visible area of dev into an image, decoding its
// native pixel format: the picture as the panel shows it, rotated. It
// reads framebuffer memory, which is slow on a real device.
func screenshot(dev *fbdev.Device) (*image.RGBA, error) {
	f, err := dev.Format()
	if err != nil {
		return nil, fmt.Errorf("fb: reading the screen back: %w", err)
	}
	w, h := dev.Size()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		off := dev.PixOffset(0, y)
		for x := 0; x < w; x++ {
			r, g, b := f.Decode(f.Get(dev.Mem[off+x*f.BytesPerPixel:]))
			img.SetRGBA(x, y, color.RGBA{r, g, b, 0xff})
		}
	}
	return img, nil
}

// SampleScreen is a pairing screen with RFC 8628's example code and ten
// minutes to go at now, for "pairingd render" and for trying a display.
func SampleScreen(now time.Time) display.Screen {
	return display.Screen{
		Headline: "Scan to pair this device",
		Tone:     display.ToneInfo,
		Actions:  []display.Action{{Key: display.KeyA, Name: "A", Label: "new code"}, {Key: display.KeyY, Name: "Y", Label: "details"}},
		UserCode: "WDJB-MJHT",
		URI:      "https://example.com/device",
		QR:       "https://example.com/device?user_code=WDJB-MJHT",
		Deadline: now.Add(10 * time.Minute),
		Detail:   "Waiting for approval",
	}
}

// DrawTestPattern opens the framebuffer at path, draws the test card on it
// (see drawTestPattern) and closes it, leaving the picture; it returns the
// mode it found.
func DrawTestPattern(path string, rotate int) (Mode, error) {
	dev, err := fbdev.Open(path)
	if err != nil {
		return Mode{}, err
	}
	defer dev.Close()
	return modeOf(dev), drawTestPattern(dev, rotate)
}

// drawTestPattern draws a test card on dev turned by rotate (as
// Options.Rotate), for "pairingd render --fb /dev/fb0": eight labelled
// colour bars (wrong colours mean wrong bitfields), a one-pixel white
// border (a missing edge means a wrong stride or panning), an arrow
// marking the top (a wrong rotation shows at once) and the mode in words.
// It draws through the same back buffer and flush as Display.
func drawTestPattern(dev *fbdev.Device, rotate int) error {
	pn, err := newPanel(dev, rotate)
	if err != nil {
		return fmt.Errorf("fb: drawing the test pattern: %w", err)
	}
	f, _ := dev.Format()
	c := newCanvas(pn.lw, pn.lh, f)
	c.fillRGB(c.bounds(), rgb{})
	bars := []struct {
		name string
		col  rgb
		ink  rgb
	}{
		{"white", rgb{0xff, 0xff, 0xff}, rgb{}},
		{"yellow", rgb{0xff, 0xff, 0}, rgb{}},
		{"cyan", rgb{0, 0xff, 0xff}, rgb{}},
		{"green", rgb{0, 0xff, 0}, rgb{}},
		{"magenta", rgb{0xff, 0, 0xff}, rgb{}},
		{"red", rgb{0xff, 0, 0}, rgb{0xff, 0xff, 0xff}},
		{"blue", rgb{0, 0, 0xff}, rgb{0xff, 0xff, 0xff}},
		{"black", rgb{}, rgb{0xff, 0xff, 0xff}},
	}
	w, h := c.w, c.h
	scale := max(1, min(w, h)/240)
	top := h / 6
	bottom := h * 3 / 4
	for i, b := range bars {
		x0, x1 := w*i/len(bars), w*(i+1)/len(bars)
		c.fillRGB(image.Rect(x0, top, x1, bottom), b.col)
		// Labels go vertical-free: the first letter, or the name if it fits.
		label := b.name
		if textWidth(label, regular, scale) > x1-x0 {
			label = label[:1]
		}
		c.drawString(x0+(x1-x0-textWidth(label, regular, scale))/2, bottom-regular.lineHeight()*scale-4,
			label, regular, scale, b.ink, b.col)
	}
	white := rgb{0xff, 0xff, 0xff}
	arrow := "↑ top"
	ax := (w - textWidth(arrow, bold, 2*scale)) / 2
	c.drawString(ax, (top-regular.lineHeight()*2*scale)/2, arrow, bold, 2*scale, white, rgb{})
	info := fmt.Sprintf("%dx%d %s rotate %d", pn.dw, pn.dh, f, rotate)
	if dev.Fix.IDString() != "" {
		info = dev.Fix.IDString() + " " + info
	}
	lines := wrap(info, w/(regular.advance()*scale), 3)
	y := bottom + 4*scale
	for _, l := range lines {
		c.drawString((w-textWidth(l, regular, scale))/2, y, l, regular, scale, white, rgb{})
		y += regular.lineHeight() * scale
	}
	border := c.enc(white)
	c.fill(image.Rect(0, 0, w, 1), border)
	c.fill(image.Rect(0, h-1, w, h), border)
	c.fill(image.Rect(0, 0, 1, h), border)
	c.fill(image.Rect(w-1, 0, w, h), border)
	pn.flush(&c, c.bounds())
	return nil
}
