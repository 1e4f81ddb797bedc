package plain

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/qr"
)

var _ display.Display = (*Display)(nil)

// Display writes screens to a writer as text. Like every display.Display it
// is used from one goroutine at a time.
type Display struct {
	w     io.Writer
	now   func() time.Time
	lines bool

	drawn bool           // whether last holds a screen that was written
	last  display.Screen // the screen written last
}

// New returns a Display writing to w, which reads the time from now for the
// "Code expires in" line. A nil now means time.Now.
func New(w io.Writer, now func() time.Time) *Display {
	return NewWith(w, Options{Now: now})
}

// Options are a Display's settings.
type Options struct {
	// Now reads the clock for the "Code expires in" text; nil means
	// time.Now.
	Now func() time.Time
	// Lines writes each screen as one line, without the QR code, for a
	// log (the journal, a file) where text art is noise: a new line for
	// a new state or code, and for a new detail.
	Lines bool
}

// NewWith returns a Display writing to w with o.
func NewWith(w io.Writer, o Options) *Display {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Display{w: w, now: o.Now, lines: o.Lines}
}

// Show writes s. A screen whose headline, user code, URI, QR payload or
// Lines differ from the last one written gets a whole block; one that
// differs only in detail, deadline or actions gets one line each, so a
// retry loop ("Can't reach the server, retrying in 20 s") does not repeat
// the QR code in the log. An identical screen writes nothing.
//
// A QR payload too long to encode is not an error: the block says so and
// still has the code and the URI, which is what RFC 8628 requires.
func (d *Display) Show(s display.Screen) error {
	var b bytes.Buffer
	switch {
	case d.lines:
		if !d.drawn || blockKey(s) != blockKey(d.last) || s.Detail != d.last.Detail {
			d.line(&b, s)
		}
	case !d.drawn || blockKey(s) != blockKey(d.last):
		d.block(&b, s)
	default:
		if !s.Deadline.Equal(d.last.Deadline) && !s.Deadline.IsZero() {
			b.WriteString(d.expiry(s.Words.OrEnglish(), s.Deadline))
			b.WriteByte('\n')
		}
		if s.Detail != d.last.Detail && s.Detail != "" {
			b.WriteString(s.Detail)
			b.WriteByte('\n')
		}
		if k := keys(s.Words.OrEnglish(), s.Actions); k != keys(d.last.Words.OrEnglish(), d.last.Actions) && k != "" {
			b.WriteString(k)
			b.WriteByte('\n')
		}
	}
	// Remember s even when nothing is written (a detail that was
	// cleared), so the next change is measured against what is current.
	d.last, d.drawn = s, true
	if b.Len() == 0 {
		return nil
	}
	// One Write per screen keeps a block together in a shared log.
	if _, err := d.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("plain: writing %q screen: %w", s.Headline, err)
	}
	return nil
}

// key is the part of a Screen whose change deserves a whole new block.
type key struct {
	headline, userCode, uri, qr, lines string
	words                              display.Words
}

func blockKey(s display.Screen) key {
	return key{s.Headline, s.UserCode, s.URI, s.QR, strings.Join(s.Lines, "\n"), s.Words.OrEnglish()}
}

// keys is the line of the actions in w, "Keys: A new code, Y details",
// or "" without any.
func keys(w display.Words, actions []display.Action) string {
	var ks []string
	for _, a := range actions {
		if k := strings.TrimSpace(a.Name + " " + a.Label); k != "" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ""
	}
	return w.Keys + ": " + strings.Join(ks, ", ")
}

// block writes the whole screen: a blank line to set it apart in a log, the
// headline, the code and URI as text, the expiry, the QR code, the detail,
// the Lines and the keys.
func (d *Display) block(b *bytes.Buffer, s display.Screen) {
	b.WriteByte('\n')
	if s.Headline != "" {
		fmt.Fprintf(b, "%s\n", s.Headline)
	}
	w := s.Words.OrEnglish()
	if s.UserCode != "" {
		fmt.Fprintf(b, "%s: %s\n", w.Code, s.UserCode)
	}
	if s.URI != "" {
		fmt.Fprintf(b, "%s: %s\n", w.GoTo, s.URI)
	}
	if !s.Deadline.IsZero() {
		fmt.Fprintf(b, "%s\n", d.expiry(w, s.Deadline))
	}
	if s.QR != "" {
		bm, err := qr.Bitmap(s.QR)
		if err != nil {
			fmt.Fprintf(b, "(%s: %v)\n", w.QRTooLong, err)
		} else {
			// No colours here (see the package comment), so the
			// glyphs draw the light modules: on the usual light-on-dark
			// terminal or log viewer that reads dark on light with the
			// quiet zone drawn. On a light theme it comes out
			// inverted, which is why the code and URI come first.
			b.WriteByte('\n')
			for _, l := range qr.HalfBlocks(bm, 4) {
				b.WriteString(l)
				b.WriteByte('\n')
			}
			b.WriteByte('\n')
		}
	}
	if s.Detail != "" {
		fmt.Fprintf(b, "%s\n", s.Detail)
	}
	for _, l := range s.Lines {
		fmt.Fprintf(b, "%s\n", l)
	}
	if k := keys(w, s.Actions); k != "" {
		fmt.Fprintf(b, "%s\n", k)
	}
}

// expiry is the countdown line in w, with the wall-clock time of the
// deadline for a log read later.
func (d *Display) expiry(w display.Words, deadline time.Time) string {
	now := d.now()
	at := deadline.Format("15:04")
	if !deadline.After(now) {
		return fmt.Sprintf("%s (%s %s)", w.CodeExpired, w.At, at)
	}
	return fmt.Sprintf("%s %s (%s %s)", w.CodeExpiresIn, display.TimeLeft(deadline, now), w.At, at)
}

// line writes the screen on one line: the headline, the code, where to go
// (the complete URI, which a person reading the log can open as it is),
// the expiry, the detail and the Lines, apart by " | ".
func (d *Display) line(b *bytes.Buffer, s display.Screen) {
	w := s.Words.OrEnglish()
	var parts []string
	add := func(p string) {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			parts = append(parts, p)
		}
	}
	add(s.Headline)
	if s.UserCode != "" {
		add(w.Code + ": " + s.UserCode)
	}
	if u := cmp.Or(s.QR, s.URI); u != "" {
		add(w.GoTo + ": " + u)
	}
	if !s.Deadline.IsZero() {
		add(d.expiry(w, s.Deadline))
	}
	add(s.Detail)
	for _, l := range s.Lines {
		add(l)
	}
	b.WriteString(strings.Join(parts, " | "))
	b.WriteByte('\n')
}

// Close does nothing: plain text needs no restoring.
func (d *Display) Close() error { return nil }
