package fb

import (
	"image"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/qr"
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

// cut reports whether the laid-out text items of l lost characters of
// their texts (wrap ends a text that does not fit with '…'): the items'
// characters, spaces aside, are not those of any of texts.
func cut(l layout, texts ...string) (string, bool) {
	strip := func(s string) string { return strings.ReplaceAll(clean(s), " ", "") }
	for _, it := range l.items {
		if it.kind != itemText {
			continue
		}
		got := strip(strings.Join(it.lines, ""))
		whole := false
		for _, s := range texts {
			whole = whole || got == strip(s)
		}
		if !whole {
			return strings.Join(it.lines, " / "), true
		}
	}
	return "", false
}

// No translation is cut short where English fits: each state's headline,
// and the hint to type the code, on the README's screen sizes.
func TestCatalogFits(t *testing.T) {
	const uri = "https://auth.example.com/device"
	bits, err := qr.Bitmap(uri + "?user_code=WDJB-MJHT")
	if err != nil {
		t.Fatal(err)
	}
	headlines := []struct {
		id   msg.ID
		code bool
	}{
		{msg.HeadlineUnpaired, false},
		{msg.HeadlineAwaitingUser, true},
		{msg.HeadlinePaired, false},
		{msg.HeadlineDenied, false},
		{msg.HeadlineError, false},
		{msg.HeadlineExpired, false},
		{msg.HeadlineIdle, false},
		{msg.HeadlineDetails, false},
		{msg.UnpairConfirm, false},
		{msg.Unpairing, false},
		{msg.UnpairedNewCode, false},
	}
	screen := func(c *msg.Catalog, id msg.ID, code bool) (display.Screen, [][]bool) {
		s := display.Screen{Headline: sampleText(c, id)}
		if !code {
			return s, nil
		}
		s.UserCode, s.URI, s.QR = "WDJB-MJHT", uri, uri+"?user_code=WDJB-MJHT"
		s.Deadline = time.Date(2026, 1, 1, 12, 10, 0, 0, time.UTC)
		s.Detail = c.T(msg.OpenAndEnter, shortURI(uri))
		return s, bits
	}
	for _, size := range []image.Point{{1280, 720}, {640, 480}, {480, 640}, {720, 720}, {600, 1024}, {800, 480}} {
		for _, h := range headlines {
			en, enBits := screen(msg.English(), h.id, h.code)
			if _, enCut := cut(plan(size.X, size.Y, en, enBits, ""), en.Headline, en.UserCode, shortURI(en.URI), en.Detail); enCut {
				continue
			}
			for _, lang := range msg.Tags()[1:] {
				s, b := screen(msg.Lookup(lang), h.id, h.code)
				if lines, bad := cut(plan(size.X, size.Y, s, b, ""), s.Headline, s.UserCode, shortURI(s.URI), s.Detail); bad {
					t.Errorf("%s at %dx%d: %q is cut short (%q), English is not", lang, size.X, size.Y, lines, s.Headline)
				}
			}
		}
		// The display's own words: the notes in place of the QR code,
		// and the words before the countdown, which go when they do
		// not fit.
		words := func(c *msg.Catalog) display.Words {
			return display.Words{ExpiresIn: c.T(msg.WordExpiresIn), QRTooLong: c.T(msg.WordQRTooLong), ScreenTooSmall: c.T(msg.WordScreenTooSmall)}
		}
		for _, note := range []msg.ID{msg.WordQRTooLong, msg.WordScreenTooSmall} {
			en, _ := screen(msg.English(), msg.HeadlineAwaitingUser, true)
			enL := plan(size.X, size.Y, en, nil, msg.English().T(note))
			if _, enCut := cut(enL, en.Headline, en.UserCode, msg.English().T(note), shortURI(en.URI), en.Detail); enCut {
				continue
			}
			for _, lang := range msg.Tags()[1:] {
				c := msg.Lookup(lang)
				s, _ := screen(c, msg.HeadlineAwaitingUser, true)
				s.Words = words(c)
				l := plan(size.X, size.Y, s, nil, c.T(note))
				if lines, bad := cut(l, s.Headline, s.UserCode, c.T(note), shortURI(s.URI), s.Detail); bad {
					t.Errorf("%s at %dx%d: %q is cut short, English is not", lang, size.X, size.Y, lines)
				}
				if enL.cdPrefix != "" && l.cdPrefix == "" {
					t.Errorf("%s at %dx%d: no room for %q before the countdown, English has %q", lang, size.X, size.Y, c.T(msg.WordExpiresIn), enL.cdPrefix)
				}
			}
		}
	}
}
