package fb

import (
	"image"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
)

// The palette: a dark page, light text, and a QR code that is black on
// white whatever the page is.
var (
	colBG    = rgb{0x12, 0x16, 0x1c}
	colText  = rgb{0xf0, 0xf2, 0xf5}
	colMuted = rgb{0xa6, 0xae, 0xba}
	colCode  = rgb{0xff, 0xd4, 0x4f}
	colOK    = rgb{0x4c, 0xd9, 0x64}
	colBad   = rgb{0xff, 0x6b, 0x6b}
	colWarn  = rgb{0xff, 0xb3, 0x47}
	colTrack = rgb{0x33, 0x3a, 0x44}
	colBar   = rgb{0x4f, 0xa3, 0xff}
	colLight = rgb{0xff, 0xff, 0xff}
	colDark  = rgb{0x00, 0x00, 0x00}
	colCap   = rgb{0x3d, 0x45, 0x52}
)

const (
	// quiet is the QR quiet zone in modules (ISO/IEC 18004), drawn light.
	quiet = 4
	// minModule is the fewest pixels per module a QR code is drawn with;
	// below it the screen shows the text alone.
	minModule = 3
	// minTextCols is the narrowest text column, in characters at scale 1,
	// that a QR code may leave beside it.
	minTextCols = 12
	// minTextRows is the least text height, in lines at scale 1, that a
	// QR code may leave below it.
	minTextRows = 7
	// comfortCols is the width, in characters, below which text is not
	// scaled up.
	comfortCols = 16
	// maxCdPrefix is the most bytes of the words that start the
	// countdown line (Words.ExpiresIn and a space); longer ones are left
	// out, like ones the column is too narrow for.
	maxCdPrefix = 32
	// maxScale bounds the large text's scale: 128-pixel letters.
	maxScale = 16
)

// itemKind is what a laid-out item is.
type itemKind int

const (
	itemText itemKind = iota
	itemCountdown
	itemBar
)

// item is a block of the text column: lines of one style, the countdown
// line, or the progress bar.
type item struct {
	kind  itemKind
	lines []string
	font  *font
	scale int
	fg    rgb
	gap   int  // space above
	h     int  // height of a bar
	block bool // lines left-aligned with each other (the details), not each centred
	trim  int  // 0, or how late its lines may go when nothing else makes the screen fit
}

func (it item) height() int {
	switch it.kind {
	case itemBar:
		return it.h
	case itemCountdown:
		return it.font.lineHeight() * it.scale
	}
	return len(it.lines) * it.font.lineHeight() * it.scale
}

// layout is where everything of a screen goes, in logical coordinates.
type layout struct {
	qr       image.Rectangle // the light square, quiet zone included; empty without a code
	module   int             // pixels per module
	text     image.Rectangle // the text column
	centred  bool            // lines centred (portrait, text only) or left-aligned
	items    []item
	cdPrefix string // Words.ExpiresIn and a space, or ""
	cdScale  int
	body     int             // the body text's scale
	hint     keyHint         // the keys, at the bottom of the screen
	hintArea image.Rectangle // where the hint is drawn; empty without actions

	// Set when drawn.
	cd     image.Rectangle // the countdown line
	bar    image.Rectangle // the progress bar
	region image.Rectangle // cd ∪ bar: what a tick redraws
}

// toneColour is the headline's colour for a tone.
func toneColour(t display.Tone) rgb {
	switch t {
	case display.ToneOK:
		return colOK
	case display.ToneWarn:
		return colWarn
	case display.ToneBad:
		return colBad
	}
	return colText
}

// shortURI strips the scheme: people type "example.com/device".
func shortURI(u string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && strings.EqualFold(u[:len(p)], p) {
			return u[len(p):]
		}
	}
	return u
}

// plan lays out s on a w×h logical screen. bits is the QR code (nil for
// none) and qrProblem a reason it could not be made ("" if none).
//
// The keys go in rows at the bottom across the whole width, at the
// largest scale, up to one step per 240 pixels of the short side, that
// leaves the body text no smaller than they are; the QR code and the text
// share what is above them.
func plan(w, h int, s display.Screen, bits [][]bool, qrProblem string) layout {
	for hs := max(1, min(w, h)/240); ; hs-- {
		l := planHinted(w, h, s, bits, qrProblem, hs)
		if l.hint.scale <= l.body || hs <= 1 {
			return l
		}
	}
}

// planHinted is plan with the keys at a scale of at most hintMost.
func planHinted(w, h int, s display.Screen, bits [][]bool, qrProblem string, hintMost int) layout {
	var l layout
	pad := max(4, min(w, h)/32)
	l.hint = planHint(s.Actions, w-2*pad, hintMost)
	top := h // the height above the hint
	if hh := l.hint.height(); hh > 0 {
		top = h - pad - hh
		l.hintArea = image.Rect(pad, top, w-pad, h-pad)
	}
	code := s.ShowsCode()
	notice := qrProblem
	if code && bits != nil {
		tm := len(bits) + 2*quiet
		var pref, most int
		landscape := w >= h
		if landscape {
			avail := top - 2*pad
			pref = min(avail, w/2)
			most = min(avail, w-3*pad-minTextCols*regular.advance())
		} else {
			avail := w - 2*pad
			pref = min(avail, h/2)
			most = min(avail, top-3*pad-minTextRows*regular.lineHeight())
		}
		m := pref / tm
		if m < minModule {
			m = most / tm
		}
		if m >= minModule {
			side := m * tm
			l.module = m
			if landscape {
				y := (top - side) / 2
				l.qr = image.Rect(pad, y, pad+side, y+side)
				l.text = image.Rect(l.qr.Max.X+pad, pad, w-pad, top-pad)
			} else {
				x := (w - side) / 2
				l.qr = image.Rect(x, pad, x+side, pad+side)
				l.text = image.Rect(pad, l.qr.Max.Y+pad, w-pad, top-pad)
				l.centred = true
			}
		} else {
			notice = s.Words.OrEnglish().ScreenTooSmall
		}
	}
	if l.qr.Empty() {
		l.text = image.Rect(pad, pad, w-pad, top-pad)
		l.centred = true
	}

	// Body text scale: one step per 240 pixels of the short side, but
	// not so large that the column holds fewer than comfortCols
	// characters. The large line is bigger still: the user code as
	// large as fits on one line; the headline of a screen without a
	// code twice the body and one step, or filling the screen when it is
	// all there is (bareScale). Shrink both until everything fits, at
	// each size trying half the space between the blocks before a
	// smaller one; if nothing fits, the detail and the details lose
	// lines.
	bare := !code && s.Detail == "" && len(s.Lines) == 0
	bigRunes := max(1, utf8.RuneCountInString(display.GroupCode(clean(s.UserCode))))
	if !code {
		bigRunes = max(1, utf8.RuneCountInString(clean(s.Headline)))
	}
	sb0 := max(1, min(min(w, h)/240, l.text.Dx()/(comfortCols*regular.advance())))
	for sb := sb0; sb >= 1; sb-- {
		one := l.text.Dx() / (bigRunes * bold.advance()) // the scale of one line
		var kMax int
		switch {
		case code && s.UserCode == "":
			kMax = sb + 1 // no large line: the scale does not matter
		case code:
			kMax = one
		case bare:
			kMax = bareScale(s.Headline, l.text.Dx(), l.text.Dy())
		default:
			kMax = min(2*sb+1, one)
		}
		kMax = min(maxScale, max(sb+1, kMax))
		for k := kMax; k > sb; k-- {
			for _, gap := range []int{regular.lineHeight() * sb / 2, regular.lineHeight() * sb / 4} {
				l.items = l.items[:0]
				l.body = sb
				l.fill(s, notice, sb, k, gap)
				if l.height() <= l.text.Dy() {
					return l
				}
			}
			// On the smallest body text, the detail loses lines
			// rather than the code going below scale 3 (24-pixel
			// letters, what a 240-pixel screen gives it); below
			// that, the headline goes too.
			if sb == 1 && k == min(3, kMax) && l.trimToFit(trimDetail) {
				return l
			}
			if sb == 1 && k == 2 {
				l.trimToFit(trimHeadline)
				return l
			}
		}
	}
	return l
}

// bareScale is the scale for a headline that is all a screen says ("Press
// A or any key to pair"): in one, two or three lines, whichever is larger,
// but one line no wider than three fifths of the column (a short headline
// does not run edge to edge) and the lines no taller than two fifths of it.
func bareScale(headline string, w, h int) int {
	best := 1
	for n := 1; n <= 3; n++ {
		c := narrowest(headline, n)
		if c == 0 {
			continue
		}
		k := min(w/(c*bold.advance()), h*2/5/(n*bold.lineHeight()))
		if n == 1 {
			k = min(k, w*3/5/(c*bold.advance()))
		}
		best = max(best, k)
	}
	return best
}

// narrowest is the fewest columns in which wrap puts s in at most n lines
// without cutting a word, or 0 when it cannot.
func narrowest(s string, n int) int {
	s = clean(s)
	total := utf8.RuneCountInString(s)
	if total == 0 {
		return 0
	}
	word := 0
	for _, f := range strings.Fields(s) {
		word = max(word, utf8.RuneCountInString(f))
	}
	for c := max(word, (total+n-1)/n); c <= total; c++ {
		if lines := wrap(s, c, n+1); len(lines) <= n {
			return c
		}
	}
	return total
}

// balanced wraps s like wrap, in as many lines as wrap makes of it in cols,
// but as narrow as that many lines allow, so that the last line is not a
// word on its own: "Press A or any key to pair" in 21 columns is "Press A
// or any" and "key to pair", not "Press A or any key to" and "pair".
func balanced(s string, cols, maxLines int) []string {
	lines := wrap(s, cols, maxLines)
	if len(lines) < 2 || strings.HasSuffix(lines[len(lines)-1], "…") {
		return lines
	}
	if c := narrowest(s, len(lines)); c > 0 && c < cols {
		return wrap(s, c, maxLines)
	}
	return lines
}

// Trim levels of items: what may lose lines when nothing else makes a
// screen fit, in order.
const (
	trimDetail   = 1 // the detail and the details
	trimHeadline = 2 // the headline above a code
)

// trimToFit takes lines off the items of trim level up to level, the last
// line of the last such item first, until the items fit the text column,
// and reports whether they do. A line that goes is marked by "…" at the
// end of the one before it.
func (l *layout) trimToFit(level int) bool {
	for l.height() > l.text.Dy() {
		i := len(l.items) - 1
		for i >= 0 && !(l.items[i].trim > 0 && l.items[i].trim <= level) {
			i--
		}
		if i < 0 {
			return false
		}
		if it := &l.items[i]; len(it.lines) > 1 {
			it.lines = it.lines[:len(it.lines)-1]
			last := &it.lines[len(it.lines)-1]
			if !strings.HasSuffix(*last, "…") {
				*last = truncate(*last+" …", l.text.Dx()/(it.font.advance()*it.scale))
			}
			continue
		}
		l.items = append(l.items[:i], l.items[i+1:]...)
		if i == 0 && len(l.items) > 0 {
			l.items[0].gap = 0
		}
	}
	return true
}

// truncate cuts s to at most cols characters, ending it in "…" when
// anything was cut.
func truncate(s string, cols int) string {
	rs := []rune(s)
	if len(rs) <= cols {
		return s
	}
	if cols < 1 {
		return ""
	}
	return strings.TrimRight(string(rs[:cols-1]), " ") + "…"
}

// height is the items' total height.
func (l *layout) height() int {
	n := 0
	for _, it := range l.items {
		n += it.gap + it.height()
	}
	return n
}

// fill lays out the text of s at body scale sb and large scale k, with gap
// pixels between the blocks.
func (l *layout) fill(s display.Screen, notice string, sb, k, gap int) {
	cols := func(f *font, scale int) int { return l.text.Dx() / (f.advance() * scale) }
	push := func(it item) {
		if len(it.lines) == 0 {
			return
		}
		if len(l.items) > 0 {
			it.gap = gap
		}
		l.items = append(l.items, it)
	}
	add := func(text string, f *font, scale int, fg rgb, maxLines int) {
		push(item{kind: itemText, lines: wrap(text, cols(f, scale), maxLines), font: f, scale: scale, fg: fg})
	}
	// details is the screen's Lines, one line each, cut to the column.
	details := func() {
		var lines []string
		for _, line := range s.Lines {
			if line = clean(line); strings.TrimSpace(line) != "" {
				lines = append(lines, truncate(line, cols(regular, sb)))
			}
		}
		push(item{kind: itemText, lines: lines, font: regular, scale: sb, fg: colText, block: true, trim: trimDetail})
	}
	if !s.ShowsCode() {
		push(item{kind: itemText, lines: balanced(s.Headline, cols(bold, k), 3), font: bold, scale: k, fg: toneColour(s.Tone)})
		push(item{kind: itemText, lines: wrap(s.Detail, cols(regular, sb), 5), font: regular, scale: sb, fg: colText, trim: trimDetail})
		details()
		return
	}
	push(item{kind: itemText, lines: wrap(s.Headline, cols(bold, sb), 2), font: bold, scale: sb, fg: toneColour(s.Tone), trim: trimHeadline})
	add(display.GroupCode(clean(s.UserCode)), bold, k, colCode, 2)
	add(notice, regular, sb, colWarn, 2)
	add(shortURI(s.URI), regular, sb, colText, 3)
	if !s.Deadline.IsZero() {
		l.cdScale = sb
		l.cdPrefix = ""
		if p := clean(s.Words.OrEnglish().ExpiresIn) + " "; len(p) <= maxCdPrefix && cols(regular, sb) >= utf8.RuneCountInString(p)+5 {
			l.cdPrefix = p
		}
		g := gap
		if len(l.items) == 0 {
			g = 0
		}
		l.items = append(l.items,
			item{kind: itemCountdown, font: regular, scale: sb, fg: colMuted, gap: g},
			item{kind: itemBar, h: 4 * sb, gap: 2*sb + 2})
	}
	push(item{kind: itemText, lines: wrap(s.Detail, cols(regular, sb), 3), font: regular, scale: sb, fg: colMuted, trim: trimDetail})
	details()
}

// lineX is where a line of width lw starts in the text column.
func (l *layout) lineX(lw int) int {
	if l.centred {
		return l.text.Min.X + max(0, (l.text.Dx()-lw)/2)
	}
	return l.text.Min.X
}

// draw renders the whole screen into c. The countdown region is recorded
// in l and drawn by the caller.
func (l *layout) draw(c *canvas, bits [][]bool) {
	c.fillRGB(c.bounds(), colBG)
	if !l.qr.Empty() {
		c.fillRGB(l.qr, colLight)
		dark := c.enc(colDark)
		m := l.module
		ox, oy := l.qr.Min.X+quiet*m, l.qr.Min.Y+quiet*m
		for y, row := range bits {
			for x, on := range row {
				if on {
					c.fill(image.Rect(ox+x*m, oy+y*m, ox+x*m+m, oy+y*m+m), dark)
				}
			}
		}
	}
	y := l.text.Min.Y + max(0, (l.text.Dy()-l.height())/2)
	l.cd, l.bar, l.region = image.Rectangle{}, image.Rectangle{}, image.Rectangle{}
	for _, it := range l.items {
		y += it.gap
		switch it.kind {
		case itemText:
			lh := it.font.lineHeight() * it.scale
			widest := 0
			for _, line := range it.lines {
				widest = max(widest, textWidth(line, it.font, it.scale))
			}
			for _, line := range it.lines {
				x := l.lineX(widest)
				if !it.block {
					x = l.lineX(textWidth(line, it.font, it.scale))
				}
				c.drawString(x, y, line, it.font, it.scale, it.fg, colBG)
				y += lh
			}
		case itemCountdown:
			l.cd = image.Rect(l.text.Min.X, y, l.text.Max.X, y+it.height())
			y += it.height()
		case itemBar:
			l.bar = image.Rect(l.text.Min.X, y, l.text.Max.X, y+it.h)
			y += it.h
		}
	}
	l.region = l.cd.Union(l.bar).Intersect(c.bounds())
	l.hint.draw(c, l.hintArea)
}

// appendTimeLeft appends display.TimeLeft(deadline, now) to b without
// allocating: minutes and seconds left, rounded up, "0:00" once passed.
func appendTimeLeft(b []byte, deadline, now time.Time) []byte {
	d := deadline.Sub(now)
	if d <= 0 {
		return append(b, "0:00"...)
	}
	secs := int64((d + time.Second - 1) / time.Second)
	b = strconv.AppendInt(b, secs/60, 10)
	return append(b, ':', byte('0'+secs%60/10), byte('0'+secs%10))
}

// barWidth is how much of a bar of width w is left with rem of total to
// go.
func barWidth(w int, rem, total time.Duration) int {
	if total <= 0 || rem <= 0 {
		return 0
	}
	if rem >= total {
		return w
	}
	return int(int64(w) * int64(rem/time.Millisecond) / max(1, int64(total/time.Millisecond)))
}
