package fb

import (
	"image"
	"strings"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
)

// Spacing of the key hint, in pixels at scale 1.
const (
	// capPad is the room inside a key cap on either side of the key's
	// name, and between the cap and the label.
	capPad = 3
	// keyGap is the room between one action and the next: a gamepad's
	// three ("A new code", "Y details", "B quit") fit one row of 240.
	keyGap = 10
	// rowGap is the room between two rows of actions.
	rowGap = 4
)

// keyHint is the screen's actions as drawn at the bottom: each one the
// key's name in a key cap, then what it does ("[A] new code"), in rows
// that fit the width, each row centred.
type keyHint struct {
	rows  [][]keyItem
	scale int
}

// keyItem is one action of a keyHint, its words cleaned for drawing.
type keyItem struct {
	name, label string
}

// capWidth is the width of the key cap around name, at scale; 0 for a
// nameless action.
func capWidth(name string, scale int) int {
	if name == "" {
		return 0
	}
	return textWidth(name, bold, scale) + 2*capPad*scale
}

// width is the item's width at scale: the cap, the room after it, the
// label.
func (k keyItem) width(scale int) int {
	w := textWidth(k.label, regular, scale)
	if k.name != "" {
		w += capWidth(k.name, scale)
		if k.label != "" {
			w += capPad * scale
		}
	}
	return w
}

// rowWidth is the width of a row of items at scale.
func rowWidth(row []keyItem, scale int) int {
	w := 0
	for i, it := range row {
		if i > 0 {
			w += keyGap * scale
		}
		w += it.width(scale)
	}
	return w
}

// height is the hint's height; 0 without actions.
func (h keyHint) height() int {
	n := len(h.rows)
	if n == 0 {
		return 0
	}
	return n*regular.lineHeight()*h.scale + (n-1)*rowGap*h.scale
}

// planHint lays out actions in width pixels: in one row at the largest
// scale up to most that holds them; else, on a screen that has scale 2,
// in two rows at 2 rather than in one of small print; else in as many rows
// at scale 1 as they need, with a label too long for the width shortened
// to end in "…".
func planHint(actions []display.Action, width, most int) keyHint {
	var items []keyItem
	for _, a := range actions {
		it := keyItem{name: strings.TrimSpace(clean(a.Name)), label: strings.TrimSpace(clean(a.Label))}
		if it.name != "" || it.label != "" {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return keyHint{}
	}
	for sc := most; sc >= 2; sc-- {
		if rowWidth(items, sc) <= width {
			return keyHint{rows: [][]keyItem{items}, scale: sc}
		}
	}
	if most >= 2 {
		if rows := hintRows(items, width, 2); len(rows) <= 2 && fitsRows(rows, width, 2) {
			return keyHint{rows: rows, scale: 2}
		}
	}
	for i := range items {
		items[i] = shorten(items[i], width)
	}
	return keyHint{rows: hintRows(items, width, 1), scale: 1}
}

// hintRows puts items in rows of at most width pixels at scale, as many
// to a row as fit, in order; an item wider than width has a row of its
// own.
func hintRows(items []keyItem, width, scale int) [][]keyItem {
	var rows [][]keyItem
	var row []keyItem
	for _, it := range items {
		if len(row) > 0 && rowWidth(append(row[:len(row):len(row)], it), scale) > width {
			rows = append(rows, row)
			row = nil
		}
		row = append(row, it)
	}
	return append(rows, row)
}

// fitsRows reports whether every row is at most width pixels at scale.
func fitsRows(rows [][]keyItem, width, scale int) bool {
	for _, r := range rows {
		if rowWidth(r, scale) > width {
			return false
		}
	}
	return true
}

// shorten cuts the label of an item wider than width pixels at scale 1 to
// end in "…", or drops it when not even two characters of it fit.
func shorten(it keyItem, width int) keyItem {
	if over := it.width(1) - width; over > 0 {
		n := utf8.RuneCountInString(it.label) - (over+regular.advance()-1)/regular.advance()
		it.label = truncate(it.label, n)
		if n < 2 {
			it.label = ""
		}
	}
	return it
}

// draw draws the hint's rows in area, the last at its bottom, each row
// centred.
func (h keyHint) draw(c *canvas, area image.Rectangle) {
	if len(h.rows) == 0 || area.Empty() {
		return
	}
	sc := h.scale
	lh := regular.lineHeight() * sc
	y := area.Max.Y - h.height()
	for _, row := range h.rows {
		x := area.Min.X + max(0, (area.Dx()-rowWidth(row, sc))/2)
		for i, it := range row {
			if i > 0 {
				x += keyGap * sc
			}
			if it.name != "" {
				x = drawCap(c, x, y, it.name, sc)
				if it.label != "" {
					x += capPad * sc
				}
			}
			x = c.drawString(x, y, it.label, regular, sc, colText, colBG)
		}
		y += lh + rowGap*sc
	}
}

// drawCap draws name in bold on a key cap whose top left is (x, y), one
// line high, with its corners rounded off, and returns the x after it.
func drawCap(c *canvas, x, y int, name string, sc int) int {
	w, lh := capWidth(name, sc), regular.lineHeight()*sc
	c.fillRGB(image.Rect(x, y, x+w, y+lh), colCap)
	for _, p := range []image.Point{{x, y}, {x + w - sc, y}, {x, y + lh - sc}, {x + w - sc, y + lh - sc}} {
		c.fillRGB(image.Rect(p.X, p.Y, p.X+sc, p.Y+sc), colBG)
	}
	c.drawString(x+capPad*sc, y, name, bold, sc, colText, colCap)
	return x + w
}
