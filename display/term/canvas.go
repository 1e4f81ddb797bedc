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
	// changed is the indices of the cells the last flush handed tcell,
	// in order; reused.
	changed []int
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
	if c.styles == nil || len(c.styles) > maxStyles/2 {
		// A palette that grew this far starts again, between frames, so
		// that no index a frame holds changes meaning; the next flush then
		// compares with tcell's cells, since the indices in shown no
		// longer mean the same. A screen uses a handful of styles.
		c.styles = append(c.styles[:0], tcell.StyleDefault)
		c.shown = nil
	}
	if w != c.w || h != c.h || c.cells == nil {
		c.w, c.h = w, h
		c.cells = make([]canvasCell, w*h)
		c.shown = nil
		return
	}
	clear(c.cells)
}

// maxStyles is how many styles canvasCell.style can index.
const maxStyles = 256

// style is the palette index of st, added when new. Callers look a style
// up once for a run of cells: comparing tcell.Styles, 72 bytes each, cell
// by cell was a third of a countdown tick. A frame with more styles than
// the palette holds draws the rest in the default style.
func (c *canvas) style(st tcell.Style) uint8 {
	for i, have := range c.styles {
		if have == st {
			return uint8(i)
		}
	}
	if len(c.styles) >= maxStyles {
		return 0
	}
	c.styles = append(c.styles, st)
	return uint8(len(c.styles) - 1)
}

// put sets one cell to the grapheme cluster str, width cells wide, in the
// style of palette index style.
func (c *canvas) put(x, y int, str string, width int, style uint8) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	c.cells[y*c.w+x] = canvasCell{str: str, style: style}
	if width == 2 && x+1 < c.w {
		c.cells[y*c.w+x+1] = canvasCell{wide: true}
	}
}

// putString sets the cells from x on to the grapheme clusters of s.
func (c *canvas) putString(x, y int, s string, style tcell.Style) {
	idx := c.style(style)
	state := -1
	for s != "" {
		var g string
		var w int
		g, s, w, state = uniseg.FirstGraphemeClusterInString(s, state)
		c.put(x, y, g, w, idx)
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
	c.changed = c.changed[:0]
	known := !full && c.shown != nil
	if c.shown == nil {
		c.shown = make([]canvasCell, len(c.cells))
	}
	for i := range c.cells {
		c.flushCell(scr, i, full, known)
	}
}

// flushRows is flush for the given rows only, which must be known: shown
// is set, as after any flush at this size.
func (c *canvas) flushRows(scr tcell.Screen, rows []int) {
	c.changed = c.changed[:0]
	for _, y := range rows {
		if y < 0 || y >= c.h {
			continue
		}
		for i := y * c.w; i < (y+1)*c.w; i++ {
			c.flushCell(scr, i, false, true)
		}
	}
}

// clearRow blanks row y.
func (c *canvas) clearRow(y int) {
	if y >= 0 && y < c.h {
		clear(c.cells[y*c.w : (y+1)*c.w])
	}
}

// flushCell hands tcell cell i if it differs from what tcell holds: from
// shown when known, else from tcell's own cells unless full.
func (c *canvas) flushCell(scr tcell.Screen, i int, full, known bool) {
	// By pointer, field by field, and only a cell that changed copied
	// to shown: this runs for every cell a frame paints.
	cell, sh := &c.cells[i], &c.shown[i]
	if known && sh.style == cell.style && sh.wide == cell.wide && sh.str == cell.str {
		return
	}
	*sh = *cell
	if cell.wide {
		return
	}
	x, y := i%c.w, i/c.w
	want, style := cell.str, c.styles[cell.style]
	if want == "" {
		want, style = " ", tcell.StyleDefault
	}
	if !full && !known {
		if have, hs, _ := scr.Get(x, y); have == want && hs == style {
			return
		}
	}
	scr.Put(x, y, want, style)
	c.changed = append(c.changed, i)
}
