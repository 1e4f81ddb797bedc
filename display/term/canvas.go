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
type canvas struct {
	w, h  int
	cells []canvasCell
}

type canvasCell struct {
	str   string // "" is blank
	style tcell.Style
	// wide marks the right half of a double-width cell to its left,
	// which tcell draws with it.
	wide bool
}

func newCanvas(w, h int) *canvas {
	return &canvas{w: w, h: h, cells: make([]canvasCell, max(w*h, 0))}
}

// put sets one cell to the grapheme cluster str, width cells wide.
func (c *canvas) put(x, y int, str string, width int, style tcell.Style) {
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
	for y := range c.h {
		for x := range c.w {
			cell := c.cells[y*c.w+x]
			if cell.wide {
				continue
			}
			want, style := cell.str, cell.style
			if want == "" {
				want, style = " ", tcell.StyleDefault
			}
			if have, hs, _ := scr.Get(x, y); full || have != want || hs != style {
				scr.Put(x, y, want, style)
			}
		}
	}
}
