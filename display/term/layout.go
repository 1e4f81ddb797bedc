package term

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/qr"
)

// quiet is the QR code's quiet zone in modules (ISO/IEC 18004).
const quiet = 4

// Colours of the QR code's modules, set explicitly so that the code reads
// dark on light whatever the terminal's theme. tcell sends them as 24-bit
// colours where the terminal has them, else as the nearest palette colour
// (white becomes the light grey of an 8-colour terminal).
var (
	lightColour = tcell.NewRGBColor(0xff, 0xff, 0xff)
	darkColour  = tcell.NewRGBColor(0, 0, 0)
)

// Styles of the screen.
var (
	qrStyle    = tcell.StyleDefault.Foreground(lightColour).Background(darkColour)
	lightPair  = tcell.StyleDefault.Foreground(darkColour).Background(lightColour)
	darkPair   = tcell.StyleDefault.Foreground(lightColour).Background(darkColour)
	plainStyle = tcell.StyleDefault
	boldStyle  = tcell.StyleDefault.Bold(true)
	hintStyle  = tcell.StyleDefault.Dim(true)
)

// mode is how QR modules become cells.
type mode int

const (
	// halfBlocks draws one module across and two down per cell, in
	// ▀ ▄ █ and space (qr.HalfBlocks).
	halfBlocks mode = iota
	// cellPairs draws each module as two cells of space, coloured by
	// their background, for terminals without half blocks.
	cellPairs
)

// cell is one character cell of the QR code.
type cell struct {
	str   string // one character, made once with the code, not each tick
	style uint8  // index into qrStyles
}

// qrStyles are the styles of a QR code's cells, which cell.style indexes:
// the canvas looks each up once a frame, not once a cell.
var qrStyles = [...]tcell.Style{qrStyle, lightPair, darkPair}

const (
	qrHalf  = iota // qrStyle
	qrLight        // lightPair
	qrDark         // darkPair
)

// qrImage is a QR code with its quiet zone, as cells.
type qrImage struct {
	rows [][]cell
	w, h int // in cells
}

// newQRImage draws bm (true = dark, from qr.Bitmap) with a quiet
// zone in cells, in mode m.
func newQRImage(bm [][]bool, m mode) *qrImage {
	q := &qrImage{}
	if m == halfBlocks {
		lines := qr.HalfBlocks(bm, quiet)
		q.rows = make([][]cell, 0, len(lines))
		for _, l := range lines {
			// Each cell's text is a slice of its line, not a string of its
			// own: a thousand allocations fewer for a code.
			row := make([]cell, 0, utf8.RuneCountInString(l))
			for i, r := range l {
				row = append(row, cell{l[i : i+utf8.RuneLen(r)], qrHalf})
			}
			q.rows = append(q.rows, row)
		}
	} else {
		n := len(bm) + 2*quiet
		q.rows = make([][]cell, 0, n)
		for y := range n {
			row := make([]cell, 0, 2*n)
			for x := range n {
				st := uint8(qrLight)
				if by, bx := y-quiet, x-quiet; by >= 0 && by < len(bm) && bx >= 0 && bx < len(bm[by]) && bm[by][bx] {
					st = qrDark
				}
				row = append(row, cell{" ", st}, cell{" ", st})
			}
			q.rows = append(q.rows, row)
		}
	}
	q.h = len(q.rows)
	if q.h > 0 {
		q.w = len(q.rows[0])
	}
	return q
}

// span is a run of text in one style.
type span struct {
	text  string
	style tcell.Style
}

// Priorities of lines: when the terminal is too short, lines of the
// highest number go first. The user code and the URI stay, and what the
// keys do goes last of the rest.
const (
	prioEssential = iota // user code, URI, the note why there is no QR code
	prioHint
	prioCountdown
	prioHeadline
	prioDetail
	prioLines   // the screen's Lines, the details
	prioSpacing // blank lines, and rows kept free for a detail
)

// textLine is one line of text.
type textLine struct {
	spans  []span
	prio   int
	blockW int // when set, the width of the block the line is in, which is centred, not the line
}

// width is the line's width in cells.
func (l textLine) width() int {
	n := 0
	for _, s := range l.spans {
		n += uniseg.StringWidth(s.text)
	}
	return n
}

// blank is an empty line.
var blank = textLine{prio: prioSpacing}

// placed is a line of text at a place on the screen, 0-based.
type placed struct {
	x, y int
	line textLine
}

// frame is everything on the screen and where.
type frame struct {
	lines    []placed
	qr       *qrImage // nil for none
	qrX, qrY int
}

// gap is the number of columns between the QR code and text beside it.
const gap = 3

// minTextWidth is the narrowest column of text worth putting beside the QR
// code.
const minTextWidth = 24

// detailRows is how many rows the detail has at least while a code is
// shown, so that the layout does not jump when one appears.
const detailRows = 2

// lay places s on a terminal of w×h cells at time now. In order of
// preference: the headline, the QR code q and the text centred one above
// the other; the QR code with the text beside it (the usual fit on 80×24);
// the same two with less important lines left out; the text alone with a
// note that the terminal is too small. The user code and the URI are in
// every one. qrNote says why there is no QR code although s.QR is set;
// hint is the actions to show, one string each.
func lay(s display.Screen, q *qrImage, qrNote string, w, h int, now time.Time, hint []string) frame {
	w, h = max(w, 1), max(h, 1)
	if q != nil {
		for _, drop := range []bool{false, true} {
			if f, ok := stacked(s, q, nil, w, h, now, hint, drop); ok {
				return f
			}
			if f, ok := beside(s, q, w, h, now, hint, drop); ok {
				return f
			}
		}
		// The size the stacked layout needs, which is always enough.
		need := len(headLines(s, q.w)) + q.h + 1 + len(textLines(s, q.w, now, hint))
		w := s.Words.OrEnglish()
		qrNote = fmt.Sprintf("%s (%s %d×%d)", w.ScreenTooSmall, w.Needs, q.w, need)
	}
	var note []textLine
	for _, l := range wrap(qrNote, w) {
		note = append(note, textLine{spans: []span{{l, plainStyle}}, prio: prioEssential})
	}
	if len(note) > 0 {
		note = append(note, blank)
	}
	f, _ := stacked(s, nil, note, w, h, now, hint, true)
	return f
}

// stacked lays out the headline, the QR code q or the note, and the text,
// one above the other, each line centred. With drop, lines are left out
// in order of priority until the rest fits; what does not fit then is cut
// off at the bottom. It reports whether everything left fits.
func stacked(s display.Screen, q *qrImage, note []textLine, w, h int, now time.Time, hint []string, drop bool) (frame, bool) {
	if q != nil && q.w > w {
		return frame{}, false
	}
	head := headLines(s, w)
	text := append(append([]textLine(nil), note...), textLines(s, w, now, hint)...)
	qh := 0
	if q != nil {
		qh = q.h + 1 // and a blank line below
	}
	if drop {
		head, text = fit(head, text, h-qh)
	}
	total := len(head) + qh + len(text)
	if total > h && (q != nil || !drop) {
		return frame{}, false
	}
	var f frame
	y := max((h-total)/2, 0)
	centre := func(l textLine) {
		lw := l.width()
		if l.blockW > 0 {
			lw = l.blockW
		}
		f.lines = append(f.lines, placed{x: max((w-lw)/2, 0), y: y, line: l})
		y++
	}
	for _, l := range head {
		centre(l)
	}
	if q != nil {
		f.qr, f.qrX, f.qrY = q, (w-q.w)/2, y
		y += qh
	}
	for _, l := range text {
		centre(l)
	}
	return f, true
}

// beside lays out the QR code q on the left and the text in a column on
// its right, the two centred together. With drop, lines are left out in
// order of priority until the text fits.
func beside(s display.Screen, q *qrImage, w, h int, now time.Time, hint []string, drop bool) (frame, bool) {
	tw := w - q.w - gap
	if q.h > h || tw < minTextWidth {
		return frame{}, false
	}
	head, text := headLines(s, tw), textLines(s, tw, now, hint)
	if drop {
		head, text = fit(head, text, h)
	}
	ls := append(head, text...)
	if len(ls) > h {
		return frame{}, false
	}
	used := 0
	for _, l := range ls {
		used = max(used, l.width())
	}
	left := max((w-(q.w+gap+used))/2, 0)
	f := frame{qr: q, qrX: left, qrY: (h - q.h) / 2}
	top := (h - len(ls)) / 2
	for i, l := range ls {
		f.lines = append(f.lines, placed{x: left + q.w + gap, y: top + i, line: l})
	}
	return f, true
}

// fit leaves out lines of head and text, least important and last first,
// until at most rows are left or only essential ones.
func fit(head, text []textLine, rows int) ([]textLine, []textLine) {
	for prio := prioSpacing; prio > prioEssential && len(head)+len(text) > rows; prio-- {
		for len(head)+len(text) > rows {
			if i := lastOf(text, prio); i >= 0 {
				text = append(text[:i:i], text[i+1:]...)
			} else if i := lastOf(head, prio); i >= 0 {
				head = append(head[:i:i], head[i+1:]...)
			} else {
				break
			}
		}
	}
	return head, text
}

// lastOf is the index of the last line of priority prio in ls, or -1.
func lastOf(ls []textLine, prio int) int {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].prio == prio {
			return i
		}
	}
	return -1
}

// headLines is the headline in bold, wrapped to width, and a blank line.
func headLines(s display.Screen, width int) []textLine {
	if s.Headline == "" {
		return nil
	}
	var ls []textLine
	for _, l := range wrap(s.Headline, width) {
		ls = append(ls, textLine{spans: []span{{l, boldStyle}}, prio: prioHeadline})
	}
	return append(ls, blank)
}

// textLines is the user code in groups, the URI, the countdown, the
// detail, the screen's Lines and the keys, wrapped to width.
func textLines(s display.Screen, width int, now time.Time, hint []string) []textLine {
	var ls []textLine
	words := s.Words.OrEnglish()
	add := func(label, text string, style tcell.Style, prio int) {
		l := textLine{spans: []span{{label, plainStyle}, {text, style}}, prio: prio}
		if l.width() <= width {
			ls = append(ls, l)
			return
		}
		// Too wide: the label on a line of its own, so that a URI is
		// cut only where it has to be.
		if label != "" {
			ls = append(ls, textLine{spans: []span{{strings.TrimSpace(label), plainStyle}}, prio: prio})
		}
		for _, w := range wrap(text, width) {
			ls = append(ls, textLine{spans: []span{{w, style}}, prio: prio})
		}
	}
	if s.UserCode != "" {
		add(words.Code+": ", display.GroupCode(s.UserCode), boldStyle, prioEssential)
	}
	if s.URI != "" {
		add(words.GoTo+": ", s.URI, plainStyle, prioEssential)
	}
	if !s.Deadline.IsZero() {
		add("", countdownText(words, s.Deadline, now), plainStyle, prioCountdown)
	}
	detail := wrap(s.Detail, width)
	for _, l := range detail {
		add("", l, plainStyle, prioDetail)
	}
	if s.UserCode != "" {
		for range detailRows - len(detail) {
			ls = append(ls, blank)
		}
	}
	if len(s.Lines) > 0 {
		ls = append(ls, blank)
		var block []string
		bw := 0
		for _, line := range s.Lines {
			for _, l := range wrap(line, width) {
				block = append(block, l)
				bw = max(bw, uniseg.StringWidth(l))
			}
		}
		for _, l := range block {
			ls = append(ls, textLine{spans: []span{{l, plainStyle}}, prio: prioLines, blockW: bw})
		}
	}
	if len(hint) > 0 {
		ls = append(ls, blank)
		for _, l := range hintLines(hint, width) {
			ls = append(ls, textLine{spans: []span{{l, hintStyle}}, prio: prioHint})
		}
	}
	return ls
}

// hintSep goes between two actions on a line.
const hintSep = " · "

// hintLines puts the actions in lines of at most width cells, as many to
// a line as fit, in order; one too wide for a line of its own is wrapped.
func hintLines(keys []string, width int) []string {
	var out []string
	line := ""
	for _, k := range keys {
		switch {
		case line == "":
			line = k
		case uniseg.StringWidth(line+hintSep+k) <= width:
			line += hintSep + k
		default:
			out = append(out, line)
			line = k
		}
		if uniseg.StringWidth(line) > width {
			w := wrap(line, width)
			out = append(out, w[:len(w)-1]...)
			line = w[len(w)-1]
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// countdownText is the text of the countdown line, in w.
func countdownText(w display.Words, deadline, now time.Time) string {
	if !deadline.After(now) {
		return w.CodeExpired
	}
	return w.CodeExpiresIn + " " + display.TimeLeft(deadline, now)
}

// paint draws f on c, which the caller has cleared; the canvas clips what
// lies outside.
func (f frame) paint(c *canvas) { f.paintRows(c, nil) }

// paintRows draws the parts of f on the given rows of c, or all of f for
// nil rows; the caller has cleared those rows.
func (f frame) paintRows(c *canvas, rows []int) {
	on := func(y int) bool { return rows == nil || slices.Contains(rows, y) }
	if q := f.qr; q != nil {
		var idx [len(qrStyles)]uint8
		for i, st := range qrStyles {
			idx[i] = c.style(st)
		}
		for y, row := range q.rows {
			if !on(f.qrY + y) {
				continue
			}
			for x, cell := range row {
				c.put(f.qrX+x, f.qrY+y, cell.str, 1, idx[cell.style])
			}
		}
	}
	for _, p := range f.lines {
		if !on(p.y) {
			continue
		}
		x := p.x
		for _, s := range p.line.spans {
			c.putString(x, p.y, s.text, s.style)
			x += uniseg.StringWidth(s.text)
		}
	}
}

// changedRows appends to rows, in order, the rows on which f differs from
// was, and reports false when the two differ by more than lines of text
// (another QR code or place, another number of lines): then all of f is
// painted again. A countdown tick changes one line, and only its row is
// painted and compared, not the whole screen.
func changedRows(was, f frame, rows []int) ([]int, bool) {
	if f.qr != was.qr || f.qrX != was.qrX || f.qrY != was.qrY || len(f.lines) != len(was.lines) {
		return rows, false
	}
	for i, p := range f.lines {
		if q := was.lines[i]; !samePlaced(p, q) {
			rows = append(rows, p.y, q.y)
		}
	}
	slices.Sort(rows)
	return slices.Compact(rows), true
}

// retime returns f with the countdown line's text replaced by text,
// and false when f has no single countdown line showing was (none, or one
// wrapped over several lines). f is not changed: the new frame has lines
// of its own where they differ.
func retime(f frame, was, text string) (frame, bool) {
	at := -1
	for i, p := range f.lines {
		if p.line.prio != prioCountdown {
			continue
		}
		if at >= 0 {
			return f, false
		}
		at = i
	}
	if at < 0 {
		return f, false
	}
	l := f.lines[at].line
	last := len(l.spans) - 1
	if last < 0 || l.spans[last].text != was {
		return f, false
	}
	l.spans = slices.Clone(l.spans)
	l.spans[last].text = text
	f.lines = slices.Clone(f.lines)
	f.lines[at].line = l
	return f, true
}

// samePlaced reports whether two placed lines paint the same cells.
func samePlaced(a, b placed) bool {
	return a.x == b.x && a.y == b.y && slices.Equal(a.line.spans, b.line.spans)
}

// wrap cuts s into lines of at most width cells, at the last space that
// fits if there is one (prose such as a detail), else anywhere between
// grapheme clusters (a URI). "" gives no lines.
func wrap(s string, width int) []string {
	width = max(width, 1)
	var out []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		i, n, state := 0, 0, -1
		for i < len(s) {
			c, _, cw, st := uniseg.FirstGraphemeClusterInString(s[i:], state)
			if n+cw > width && i > 0 {
				break
			}
			i, n, state = i+len(c), n+cw, st
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
