package fb

import (
	"image"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/inconsolata"

	"github.com/pairingd/pairingd/internal/fbdev"
)

// rgb is an opaque colour.
type rgb struct{ r, g, b uint8 }

// canvas is the logical back buffer: the screen as the user sees it,
// before rotation, holding native pixel values of the device's format, so
// that a flush only stores them (and rotates).
type canvas struct {
	w, h int
	pix  []uint32 // row-major, w*h
	f    fbdev.Format
}

func newCanvas(w, h int, f fbdev.Format) canvas {
	return canvas{w: w, h: h, pix: make([]uint32, w*h), f: f}
}

func (c *canvas) bounds() image.Rectangle { return image.Rect(0, 0, c.w, c.h) }

// enc is the native pixel value of col.
func (c *canvas) enc(col rgb) uint32 { return c.f.Encode(col.r, col.g, col.b) }

// fill sets r (clipped) to the pixel value px.
func (c *canvas) fill(r image.Rectangle, px uint32) {
	r = r.Intersect(c.bounds())
	if r.Empty() {
		return
	}
	first := c.pix[r.Min.Y*c.w+r.Min.X : r.Min.Y*c.w+r.Max.X]
	for i := range first {
		first[i] = px
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(c.pix[y*c.w+r.Min.X:y*c.w+r.Max.X], first)
	}
}

// fillRGB sets r to col.
func (c *canvas) fillRGB(r image.Rectangle, col rgb) { c.fill(r, c.enc(col)) }

// font is a fixed-size bitmap face, drawn scaled by whole numbers.
type font struct {
	face  *basicfont.Face
	mask  *image.Alpha
	cellH int // Ascent+Descent: the height of a glyph in the mask
}

// The two faces: Inconsolata 8×16 in regular and bold. Bitmap fonts keep
// the binary small (no TrueType rasteriser) and scale by whole numbers
// without blur.
var (
	regular = newFont(inconsolata.Regular8x16)
	bold    = newFont(inconsolata.Bold8x16)
)

func newFont(f *basicfont.Face) *font {
	return &font{face: f, mask: f.Mask.(*image.Alpha), cellH: f.Ascent + f.Descent}
}

// advance is the width of one character cell at scale 1.
func (f *font) advance() int { return f.face.Advance }

// lineHeight is the height of a line of text at scale 1.
func (f *font) lineHeight() int { return f.cellH }

// glyph is an alpha mask of one character.
type glyph struct {
	pix    []uint8 // alpha, row-major
	stride int
	w, h   int
	left   int // horizontal offset from the cell's left edge
}

// checkMark is ✓, which Inconsolata lacks, as a 9×17 mask drawn in the
// cell like a letter (rows 4 to 12, above the baseline at 14).
var checkMark = func() glyph {
	rows := []string{
		".........",
		".........",
		".........",
		".........",
		"........#",
		".......##",
		"......##.",
		"......##.",
		".....##..",
		"##..##...",
		".##.##...",
		"..###....",
		"..##.....",
		".........",
		".........",
		".........",
		".........",
	}
	g := glyph{pix: make([]uint8, 9*len(rows)), stride: 9, w: 9, h: len(rows)}
	for y, row := range rows {
		for x, c := range row {
			if c == '#' {
				g.pix[y*9+x] = 0xff
			}
		}
	}
	return g
}()

// has reports whether the face draws r itself (✓ counts: it is drawn by
// hand).
func (f *font) has(r rune) bool {
	if r == '✓' || r == '✔' {
		return true
	}
	for _, rg := range f.face.Ranges {
		if rg.Low <= r && r < rg.High {
			return true
		}
	}
	return false
}

// glyph returns the mask of r, or of '?' when the face lacks r: strings
// are untrusted, and nothing but the face's own glyphs is drawn.
func (f *font) glyph(r rune) glyph {
	if r == '✓' || r == '✔' {
		return checkMark
	}
	for i := range f.face.Ranges {
		rg := &f.face.Ranges[i]
		if rg.Low <= r && r < rg.High {
			y := (int(r-rg.Low) + rg.Offset) * f.cellH
			st := f.mask.Stride
			return glyph{
				pix:    f.mask.Pix[y*st : (y+f.cellH)*st],
				stride: st,
				w:      f.face.Width,
				h:      f.cellH,
				left:   f.face.Left,
			}
		}
	}
	return f.glyph('?')
}

// blend mixes fg over bg by alpha a (0 to 255).
func blend(fg, bg rgb, a uint8) rgb {
	mix := func(f, b uint8) uint8 {
		return uint8((int(f)*int(a) + int(b)*(255-int(a)) + 127) / 255)
	}
	return rgb{mix(fg.r, bg.r), mix(fg.g, bg.g), mix(fg.b, bg.b)}
}

// drawRune draws r with the top left of its cell at (x, y), each font
// pixel a scale×scale block, in fg blended over bg (the colour already
// under the text). Pixels the glyph does not cover are left alone, so a
// glyph reaching into its neighbour's cell (bold has Left -1) is not cut.
func (c *canvas) drawRune(x, y int, r rune, f *font, scale int, fg, bg rgb) {
	g := f.glyph(r)
	var last uint8
	var px uint32
	for gy := 0; gy < g.h; gy++ {
		row := g.pix[gy*g.stride : gy*g.stride+g.w]
		for gx, a := range row {
			if a == 0 {
				continue
			}
			if a != last {
				px, last = c.enc(blend(fg, bg, a)), a
			}
			bx := x + (g.left+gx)*scale
			by := y + gy*scale
			c.fill(image.Rect(bx, by, bx+scale, by+scale), px)
		}
	}
}

// drawString draws s from (x, y), the top left of the first cell, and
// returns the x after it.
func (c *canvas) drawString(x, y int, s string, f *font, scale int, fg, bg rgb) int {
	adv := f.advance() * scale
	for _, r := range s {
		c.drawRune(x, y, r, f, scale, fg, bg)
		x += adv
	}
	return x
}

// drawBytes is drawString for UTF-8 bytes, which the countdown uses to
// draw without allocating.
func (c *canvas) drawBytes(x, y int, b []byte, f *font, scale int, fg, bg rgb) int {
	adv := f.advance() * scale
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		c.drawRune(x, y, r, f, scale, fg, bg)
		x += adv
		b = b[n:]
	}
	return x
}

// textWidth is the width of s in f at scale: the font is monospaced.
func textWidth(s string, f *font, scale int) int {
	return utf8.RuneCountInString(s) * f.advance() * scale
}

// clean turns every kind of space (newlines, tabs) into a plain space and
// drops other control characters, so that untrusted text lays out as one
// paragraph.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), r == utf8.RuneError:
			return '?'
		}
		return r
	}, s)
}

// isBreak reports whether a line may break after r in a word too long for
// a line: URLs break after their punctuation, codes after a hyphen.
func isBreak(r rune) bool {
	switch r {
	case '/', '-', '.', '?', '&', '=', '_', ',', ';', ':':
		return true
	}
	return false
}

// wrap breaks s into lines of at most cols characters, at spaces where it
// can, after punctuation inside long words (URLs), and anywhere when it
// must. At most maxLines lines are returned; when text is left over, the
// last line ends in '…'.
func wrap(s string, cols, maxLines int) []string {
	cols = max(cols, 1)
	rs := []rune(clean(s))
	var lines []string
	for {
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
		if len(rs) == 0 {
			break
		}
		if len(lines) == maxLines {
			last := []rune(lines[maxLines-1])
			if len(last) >= cols {
				last = last[:cols-1]
			}
			lines[maxLines-1] = strings.TrimRight(string(last), " ") + "…"
			break
		}
		if len(rs) <= cols {
			lines = append(lines, string(rs))
			break
		}
		cut, next := cols, cols
		for p := cols; p > 0; p-- {
			if rs[p] == ' ' {
				cut, next = p, p+1
				break
			}
			if isBreak(rs[p-1]) && p > cols/3 {
				cut, next = p, p
				break
			}
		}
		lines = append(lines, strings.TrimRight(string(rs[:cut]), " "))
		rs = rs[next:]
	}
	return lines
}
