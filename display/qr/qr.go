// Package qr encodes QR codes for the displays: Bitmap makes the modules of
// a code and HalfBlocks draws them as text. It is its own package so that
// only the displays, which draw codes, link the encoder; package display
// (the screen model) and package pairing (which builds screens) do not.
package qr

import (
	"errors"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Bitmap encodes payload as a QR code at error correction level M, in the
// smallest version that holds it, and returns its modules without a quiet
// zone: bitmap[y][x] is true for a dark module. The caller draws the quiet
// zone (HalfBlocks does), because only it knows what surrounds the code.
//
// Level M is a compromise: a screen is not a dirty or torn label, so more
// correction would only grow the code and shrink its modules, while L leaves
// little margin for glare and moiré on a camera. Content that does not fit
// in a version 40 code is an error.
func Bitmap(payload string) ([][]bool, error) {
	if payload == "" {
		return nil, errors.New("encoding QR code: empty payload")
	}
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code of %d bytes: %w", len(payload), err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// Half-block glyphs. In HalfBlocks output the glyph's ink is a LIGHT module.
const (
	glyphNone  = ' ' // top dark, bottom dark
	glyphUpper = '▀' // top light, bottom dark
	glyphLower = '▄' // top dark, bottom light
	glyphFull  = '█' // top light, bottom light
)

// HalfBlocks draws bitmap (true = dark, as from Bitmap) as text, one
// character cell per module across and two modules down, which comes out
// about square in a terminal cell of 1:2. A quiet zone of quiet light
// modules is drawn on every side; pass 4 for the ISO/IEC 18004 zone.
//
// Polarity: the glyphs draw the LIGHT modules ('█' is two light modules,
// ' ' two dark ones, '▀' light above dark, '▄' dark above light). Printed
// in a light foreground on a dark background, which is the usual terminal
// theme and what a display that sets colours should set explicitly, the
// code reads dark on light as scanners expect, and the quiet zone is drawn
// rather than left to the background. This is libqrencode's UTF8 and
// ANSIUTF8 convention. On a light-background terminal without explicit
// colours the code would come out inverted.
//
// When the number of rows including the quiet zone is odd (it always is
// for a QR code with an even zone) the last line's lower half lies outside
// the code and is drawn light, making the bottom zone one module deeper.
// Every line has the same number of runes.
func HalfBlocks(bitmap [][]bool, quiet int) []string {
	if quiet < 0 {
		quiet = 0
	}
	h := len(bitmap)
	w := 0
	for _, row := range bitmap {
		w = max(w, len(row))
	}
	// dark reports whether the module at (x, y) of the code with its quiet
	// zone is dark; anything outside the bitmap is light.
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if y < 0 || y >= h || x < 0 || x >= len(bitmap[y]) {
			return false
		}
		return bitmap[y][x]
	}
	totalW, totalH := w+2*quiet, h+2*quiet
	lines := make([]string, 0, (totalH+1)/2)
	var b strings.Builder
	for y := 0; y < totalH; y += 2 {
		b.Reset()
		b.Grow(totalW * len(string(glyphFull)))
		for x := 0; x < totalW; x++ {
			top, bottom := !dark(x, y), !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune(glyphFull)
			case top:
				b.WriteRune(glyphUpper)
			case bottom:
				b.WriteRune(glyphLower)
			default:
				b.WriteRune(glyphNone)
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}
