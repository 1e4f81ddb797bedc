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
	// expiresIn starts the countdown line when the column is wide enough.
	expiresIn = "Expires in "
	// tooSmall replaces the QR code when it cannot be drawn with
	// minModule pixels per module.
	tooSmall = "Screen too small for a QR code"
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
	gap   int // space above
	h     int // height of a bar
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
	cdPrefix string // expiresIn or ""
	cdScale  int

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
func plan(w, h int, s display.Screen, bits [][]bool, qrProblem string) layout {
	var l layout
	pad := max(4, min(w, h)/32)
	code := s.ShowsCode()
	notice := qrProblem
	if code && bits != nil {
		tm := len(bits) + 2*quiet
		var pref, most int
		landscape := w >= h
		if landscape {
			avail := h - 2*pad
			pref = min(avail, w/2)
			most = min(avail, w-3*pad-minTextCols*regular.advance())
		} else {
			avail := w - 2*pad
			pref = min(avail, h/2)
			most = min(avail, h-3*pad-minTextRows*regular.lineHeight())
		}
		m := pref / tm
		if m < minModule {
			m = most / tm
		}
		if m >= minModule {
			side := m * tm
			l.module = m
			if landscape {
				y := (h - side) / 2
				l.qr = image.Rect(pad, y, pad+side, y+side)
				l.text = image.Rect(l.qr.Max.X+pad, pad, w-pad, h-pad)
			} else {
				x := (w - side) / 2
				l.qr = image.Rect(x, pad, x+side, pad+side)
				l.text = image.Rect(pad, l.qr.Max.Y+pad, w-pad, h-pad)
				l.centred = true
			}
		} else {
			notice = tooSmall
		}
	}
	if l.qr.Empty() {
		l.text = image.Rect(pad, pad, w-pad, h-pad)
		l.centred = true
	}

	// Body text scale: one step per 240 pixels of the short side, but
	// not so large that the column holds fewer than comfortCols
	// characters. The large line (the user code, or the headline of a
	// screen without a code) is bigger still. Shrink both until
	// everything fits.
	big := s.UserCode
	if !code {
		big = s.Headline
	}
	bigRunes := max(1, utf8.RuneCountInString(clean(big)))
	sb0 := max(1, min(min(w, h)/240, l.text.Dx()/(comfortCols*regular.advance())))
	for sb := sb0; sb >= 1; sb-- {
		kMax := max(sb+1, min(2*sb+1, l.text.Dx()/(bigRunes*bold.advance())))
		for k := kMax; k > sb; k-- {
			l.items = l.items[:0]
			l.fill(s, notice, sb, k)
			if l.height() <= l.text.Dy() || (sb == 1 && k == 2) {
				return l
			}
		}
	}
	return l
}

// height is the items' total height.
func (l *layout) height() int {
	n := 0
	for _, it := range l.items {
		n += it.gap + it.height()
	}
	return n
}

// fill lays out the text of s at body scale sb and large scale k.
func (l *layout) fill(s display.Screen, notice string, sb, k int) {
	cols := func(f *font, scale int) int { return l.text.Dx() / (f.advance() * scale) }
	gap := regular.lineHeight() * sb / 2
	add := func(text string, f *font, scale int, fg rgb, maxLines int) {
		if text == "" {
			return
		}
		lines := wrap(text, cols(f, scale), maxLines)
		if len(lines) == 0 {
			return
		}
		g := gap
		if len(l.items) == 0 {
			g = 0
		}
		l.items = append(l.items, item{kind: itemText, lines: lines, font: f, scale: scale, fg: fg, gap: g})
	}
	if !s.ShowsCode() {
		add(s.Headline, bold, k, toneColour(s.Tone), 3)
		add(s.Detail, regular, sb, colText, 5)
		return
	}
	add(s.Headline, bold, sb, toneColour(s.Tone), 2)
	add(s.UserCode, bold, k, colCode, 2)
	add(notice, regular, sb, colWarn, 2)
	add(shortURI(s.URI), regular, sb, colText, 3)
	if !s.Deadline.IsZero() {
		l.cdScale = sb
		l.cdPrefix = ""
		if cols(regular, sb) >= len(expiresIn)+5 {
			l.cdPrefix = expiresIn
		}
		g := gap
		if len(l.items) == 0 {
			g = 0
		}
		l.items = append(l.items,
			item{kind: itemCountdown, font: regular, scale: sb, fg: colMuted, gap: g},
			item{kind: itemBar, h: 4 * sb, gap: 2*sb + 2})
	}
	add(s.Detail, regular, sb, colMuted, 3)
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
			for _, line := range it.lines {
				c.drawString(l.lineX(textWidth(line, it.font, it.scale)), y, line, it.font, it.scale, it.fg, colBG)
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
