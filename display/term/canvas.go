package term

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// canvas is the screen the frame is painted on before it reaches tcell:
// only the cells that differ from what tcell holds are handed to it. A
// tcell cell written with other content is sent to the terminal again
// even when the draw after it puts the old content back, so clearing
// the screen and painting it anew would send every cell on every
// countdown tick (about 4 KB a second for a QR code); this way a tick
// sends the few cells of the countdown.
//
// The Display keeps one canvas and paints every frame on it, and the
// canvas keeps a copy of what its last flush left in tcell: a tick then
// allocates nothing and compares against its own copy, not cell by cell
// under tcell's lock. A new canvas a tick was 384 KB of garbage a second
// for a 100×40 terminal, and the collector it woke cost more than the
// drawing.
type canvas struct {
	w, h  int
	cells []canvasCell
	// shown is what the last flush left in tcell; nil when that is not
	// known (before the first flush, after a resize or a new palette).
	shown []canvasCell
	// styles is the palette canvasCell.style indexes; styles[0] is
	// tcell.StyleDefault, the style of a blank cell. A tcell.Style is 72
	// bytes, and a screen uses a handful of them.
	styles []tcell.Style
}

type canvasCell struct {
	str   string // "" is blank
	style uint8  // index into canvas.styles
	// wide marks the right half of a double-width cell to its left,
	// which tcell draws with it.
	wide bool
}

// reset makes c a blank w×h canvas, keeping its memory and, at the same
// size, what it knows tcell holds.
func (c *canvas) reset(w, h int) {
	w, h = max(w, 0), max(h, 0)
	if c.styles == nil {
		c.styles = []tcell.Style{tcell.StyleDefault}
	}
	if w != c.w || h != c.h || c.cells == nil {
		c.w, c.h = w, h
		c.cells = make([]canvasCell, w*h)
		c.shown = nil
		return
	}
	clear(c.cells)
}

// style is the palette index of st, added when new. A palette that would
// outgrow its index starts again, and the next flush then compares with
// tcell's cells, since the indices in shown no longer mean the same.
func (c *canvas) style(st tcell.Style) uint8 {
	for i, have := range c.styles {
		if have == st {
			return uint8(i)
		}
	}
	if len(c.styles) > 255 {
		c.styles = c.styles[:1]
		c.shown = nil
		for i := range c.cells {
			c.cells[i].style = 0
		}
		if st == tcell.StyleDefault {
			return 0
		}
	}
	c.styles = append(c.styles, st)
	return uint8(len(c.styles) - 1)
}

// put sets one cell to the grapheme cluster str, width cells wide.
func (c *canvas) put(x, y int, str string, width int, style tcell.Style) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	c.cells[y*c.w+x] = canvasCell{str: str, style: c.style(style)}
	if width == 2 && x+1 < c.w {
		c.cells[y*c.w+x+1] = canvasCell{wide: true}
	}
}

// putString sets the cells from x on to the grapheme clusters of s.
func (c *canvas) putString(x, y int, s string, style tcell.Style) {
	state := -1
	for s != "" {
		var g string
		var w int
		g, s, w, state = uniseg.FirstGraphemeClusterInString(s, state)
		c.put(x, y, g, w, style)
		x += max(w, 1)
	}
}

// flush hands tcell the cells that differ from what it holds; full (a
// resize) clears the screen and hands it every cell, since tcell does not
// repaint the cells a resize added until they are written.
func (c *canvas) flush(scr tcell.Screen, full bool) {
	if full {
		scr.Clear()
	}
	for i, cell := range c.cells {
		if cell.wide || (!full && c.shown != nil && c.shown[i] == cell) {
			continue
		}
		x, y := i%c.w, i/c.w
		want, style := cell.str, c.styles[cell.style]
		if want == "" {
			want, style = " ", tcell.StyleDefault
		}
		if !full && c.shown == nil {
			if have, hs, _ := scr.Get(x, y); have == want && hs == style {
				continue
			}
		}
		scr.Put(x, y, want, style)
	}
	if c.shown == nil {
		c.shown = make([]canvasCell, len(c.cells))
	}
	copy(c.shown, c.cells)
}
