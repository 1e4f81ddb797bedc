package term

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
)

// minTextWidth is the narrowest column of text worth putting beside the QR
// code.
const minTextWidth = 24

// line is one row of text before it is placed.
type line struct {
	label string // written in the default style
	text  string // written in style
	style string // SGR sequence before text, reset after; "" for none
	role  int
}

// Roles of lines that are rewritten in place.
const (
	roleStatic = iota
	roleCountdown
	roleDetail
)

// region is the part of a row a rewritable line owns.
type region struct{ row, left, width int }

// item is a line placed on the terminal, 1-based.
type item struct {
	row, col int
	line
}

// layout is where everything of a screen goes.
type layout struct {
	items     []item
	centre    bool     // whether text lines are centred in their region
	textWidth int      // width text was wrapped to
	countdown region   // row 0 when there is no countdown
	detail    []region // at least detailRows
	bottom    int      // last row used
}

// lay places s on a terminal of cols×rows. In order of preference: the
// headline, the QR code and the text centred one above the other; the QR
// code with the text beside it (the usual fit on 80×24 for a version 5
// code); the text alone with a note that the terminal is too small. The
// user code and the URI are in every one.
func lay(s display.Screen, cols, rows int, now time.Time) layout {
	cols, rows = max(cols, 1), max(rows, 1)
	var qr []string
	var qrNote string
	if s.QR != "" {
		bm, err := display.QRBitmap(s.QR)
		if err != nil {
			qrNote = "(No QR code: the address is too long for one.)"
		} else {
			qr = display.HalfBlocks(bm, quiet)
		}
	}
	qrW, qrH := 0, len(qr)
	if qrH > 0 {
		qrW = utf8.RuneCountInString(qr[0])
	}

	stack := func(qrLines []line) layout {
		var ls []line
		ls = append(ls, headLines(s, cols)...)
		if len(qrLines) > 0 {
			ls = append(append(ls, qrLines...), line{})
		}
		ls = append(ls, textLines(s, cols, now)...)
		l := layout{centre: true, textWidth: cols}
		top := max((rows-len(ls))/2+1, 1)
		for i, ln := range ls {
			l.place(item{row: top + i, line: ln}, 1, cols)
		}
		return l
	}

	if qrH > 0 {
		var qrLines []line
		for _, q := range qr {
			qrLines = append(qrLines, line{text: q, style: qrStyle})
		}
		// Stacked.
		if l := stack(qrLines); qrW <= cols && l.bottom <= rows {
			return l
		}
		// Side by side: text in a column right of the code.
		if tw := cols - qrW - 2; qrH <= rows && tw >= minTextWidth {
			ls := append(headLines(s, tw), textLines(s, tw, now)...)
			if len(ls) <= rows {
				used := 0
				for _, ln := range ls {
					used = max(used, utf8.RuneCountInString(ln.label+ln.text))
				}
				left := max((cols-(qrW+2+used))/2+1, 1)
				tleft := left + qrW + 2
				// Rewritten lines own the columns to the right edge
				// and are wrapped to them.
				l := layout{textWidth: cols - tleft + 1}
				top := max((rows-qrH)/2+1, 1)
				for i, q := range qrLines {
					l.place(item{row: top + i, col: left, line: q}, left, qrW)
				}
				ttop := max((rows-len(ls))/2+1, 1)
				for i, ln := range ls {
					l.place(item{row: ttop + i, col: tleft, line: ln}, tleft, l.textWidth)
				}
				return l
			}
		}
		qrNote = fmt.Sprintf("(Terminal too small for the QR code: it needs %d×%d.)", qrW, qrH)
	}
	var note []line
	for _, w := range wrap(qrNote, cols) {
		note = append(note, line{text: w})
	}
	return stack(note)
}

// place adds it to l; a rewritable line owns width columns from left.
// An item with col 0 is centred in that region when l.centre.
func (l *layout) place(it item, left, width int) {
	if it.col == 0 {
		it.col = left
		if l.centre {
			it.col = max(left+(width-utf8.RuneCountInString(it.label+it.text))/2, left)
		}
	}
	switch it.role {
	case roleCountdown:
		l.countdown = region{it.row, left, width}
	case roleDetail:
		l.detail = append(l.detail, region{it.row, left, width})
	}
	l.items = append(l.items, it)
	l.bottom = max(l.bottom, it.row)
}

// headLines is the headline, wrapped to width, and a blank line.
func headLines(s display.Screen, width int) []line {
	if s.Headline == "" {
		return nil
	}
	var ls []line
	for _, w := range wrap(s.Headline, width) {
		ls = append(ls, line{text: w, style: bold})
	}
	return append(ls, line{})
}

// detailRows is how many rows the detail has at least, so that a new
// detail ("Can't reach the server, retrying in 20 s") usually fits in place
// of the old one, without a redraw.
const detailRows = 2

// textLines is the user code, the URI, the countdown and the detail,
// wrapped to width.
func textLines(s display.Screen, width int, now time.Time) []line {
	var ls []line
	add := func(label, text, style string, role int) {
		if utf8.RuneCountInString(label+text) <= width {
			ls = append(ls, line{label: label, text: text, style: style, role: role})
			return
		}
		// Too long: the label on a line of its own, so that a URI is
		// cut only where it has to be.
		if label != "" {
			ls = append(ls, line{text: label, role: role})
		}
		for _, w := range wrap(text, width) {
			ls = append(ls, line{text: w, style: style, role: role})
		}
	}
	if s.UserCode != "" {
		add("Code: ", s.UserCode, bold, roleStatic)
	}
	if s.URI != "" {
		add("Go to: ", s.URI, "", roleStatic)
	}
	if !s.Deadline.IsZero() {
		add("", countdown(s.Deadline, now), "", roleCountdown)
	}
	detail := wrap(s.Detail, width)
	for len(detail) < detailRows {
		detail = append(detail, "")
	}
	for _, w := range detail {
		ls = append(ls, line{text: w, role: roleDetail})
	}
	return ls
}

// drawLocked clears the terminal and draws s.
func (d *Display) drawLocked(b *bytes.Buffer, s display.Screen) {
	cols, rows := d.size()
	now := d.now()
	d.cur, d.drawn = s, true
	d.lay = lay(s, cols, rows, now)
	d.shown = ""
	b.WriteString(hideCursor + reset + clear)
	for _, it := range d.lay.items {
		if it.role == roleCountdown {
			d.shown = it.text
		}
		put(b, it)
	}
}

// countdown is the text of the countdown line.
func countdown(deadline, now time.Time) string {
	if !deadline.After(now) {
		return "Code expired"
	}
	return "Code expires in " + display.TimeLeft(deadline, now)
}

// countdownLocked rewrites the countdown line if its text changed.
func (d *Display) countdownLocked(b *bytes.Buffer) {
	if d.lay.countdown.row == 0 || d.cur.Deadline.IsZero() {
		return
	}
	text := countdown(d.cur.Deadline, d.now())
	if text == d.shown {
		return
	}
	d.shown = text
	b.WriteString(hideCursor)
	d.rewrite(b, d.lay.countdown, line{text: text})
}

// detailLocked rewrites the detail rows; the caller checked that the new
// detail takes as many.
func (d *Display) detailLocked(b *bytes.Buffer) {
	ws := wrap(d.cur.Detail, d.lay.textWidth)
	b.WriteString(hideCursor)
	for i, r := range d.lay.detail {
		var ln line
		if i < len(ws) {
			ln.text = ws[i]
		}
		d.rewrite(b, r, ln)
	}
}

// rewrite blanks region r, which keeps the QR code beside it intact, and
// writes ln in it.
func (d *Display) rewrite(b *bytes.Buffer, r region, ln line) {
	fmt.Fprintf(b, "\x1b[%d;%dH%s", r.row, r.left, strings.Repeat(" ", r.width))
	l := layout{centre: d.lay.centre}
	l.place(item{row: r.row, line: ln}, r.left, r.width)
	put(b, l.items[0])
}

// put writes it at its place.
func put(b *bytes.Buffer, it item) {
	if it.label == "" && it.text == "" {
		return
	}
	fmt.Fprintf(b, "\x1b[%d;%dH%s", it.row, it.col, it.label)
	if it.style == "" {
		b.WriteString(it.text)
		return
	}
	b.WriteString(it.style + it.text + reset)
}

// wrap cuts s into lines of at most width runes, at the last space that
// fits if there is one (prose such as a detail), else anywhere (a URI).
// "" gives no lines. Widths count runes: right for codes, URIs and most
// text; wide characters are the business of the full tcell display.
func wrap(s string, width int) []string {
	width = max(width, 1)
	var out []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		n, i := 0, 0
		for i < len(s) && n < width {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		if i < len(s) && s[i] != ' ' {
			if sp := strings.LastIndexByte(s[:i], ' '); sp > 0 {
				i = sp
			}
		}
		out = append(out, strings.TrimRight(s[:i], " "))
		s = s[i:]
	}
	return out
}
