package fb

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/msg"
)

// sampleText is id's text in c with a key's name for each %s.
func sampleText(c *msg.Catalog, id msg.ID) string {
	n := strings.Count(c.T(id), "%s")
	if n == 0 {
		return c.T(id)
	}
	args := make([]any, n)
	for i := range args {
		args[i] = "Enter"
	}
	return c.T(id, args...)
}

// TestCatalogGlyphs draws every message of every language of the
// catalogue, with sample arguments, in both faces, and fails on a
// character the faces lack: one drawn as '?' (what glyph draws for a
// missing rune) or drawn as nothing.
func TestCatalogGlyphs(t *testing.T) {
	dev := newDev(t, devSpec{w: 64, h: 64, bpp: 32})
	f, _ := dev.Format()
	c := newCanvas(3*regular.advance(), regular.lineHeight(), f)
	draw := func(r rune, fnt *font) []uint32 {
		c.fillRGB(c.bounds(), colBG)
		c.drawRune(regular.advance(), 0, r, fnt, 1, colText, colBG)
		return append([]uint32(nil), c.pix...)
	}
	blank := draw(' ', regular)
	faces := []struct {
		name string
		f    *font
		q    []uint32
	}{
		{"regular", regular, draw('?', regular)},
		{"bold", bold, draw('?', bold)},
	}
	reported := map[string]bool{}
	runes := 0
	for _, lang := range msg.Tags() {
		cat := msg.Lookup(lang)
		for _, id := range msg.IDs() {
			s := sampleText(cat, id)
			for _, r := range s {
				if r == ' ' || r == '?' {
					continue
				}
				runes++
				for _, face := range faces {
					got := draw(r, face.f)
					if face.f.has(r) && !equalPix(got, face.q) && !equalPix(got, blank) {
						continue
					}
					if k := face.name + string(r); !reported[k] {
						reported[k] = true
						t.Errorf("%s: %q (U+%04X) in %q has no glyph in the %s face", lang, r, r, s, face.name)
					}
				}
			}
		}
	}
	if runes == 0 {
		t.Fatal("the catalogue gave no characters to draw")
	}
}

// Each language's awaiting-user screen lays out and draws at the smallest
// supported size, portrait, with its longest texts.
func TestCatalogScreens(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, lang := range msg.Tags() {
		cat := msg.Lookup(lang)
		s := SampleScreen(now)
		s.Headline = sampleText(cat, msg.HeadlineIdle)
		s.Detail = sampleText(cat, msg.OpenAndEnter)
		s.Actions = []display.Action{
			{Key: display.KeyA, Name: "A", Label: cat.T(msg.ActionNewCode)},
			{Key: display.KeyY, Name: "Y", Label: cat.T(msg.ActionDetails)},
			{Key: display.KeyB, Name: "B", Label: cat.T(msg.ActionQuit)},
		}
		if err := RenderPNG(io.Discard, s, RenderOptions{Width: 480, Height: 640, BPP: 16, Rotate: 90, Now: now}); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}
