package term

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/qr"
	"github.com/pairingd/pairingd/internal/sanitize"
)

// Options configures a Display. The zero value works: the terminal from
// the environment, the system clock, and keys that do nothing.
type Options struct {
	// Screen is the tcell screen to draw on; nil means tcell.NewScreen(),
	// the controlling terminal. New initialises it and Close finalises
	// it. Tests pass tcell.NewSimulationScreen("UTF-8").
	Screen tcell.Screen
	// Now is the clock for the countdown; nil means time.Now.
	Now func() time.Time
	// After waits for the countdown's next tick; nil means time.After.
	// Only the newest wait is waited on, so each may cancel the one
	// before (as package alarm's kernel timers do, which wake a daemon
	// fewer times than Go's).
	After func(time.Duration) <-chan time.Time
	// OnKey is called with the role of each key the user presses: Enter,
	// space and r are display.KeyA, Esc and q KeyB, u KeyX, i and ?
	// KeyY, and any other key KeyOther (see keyOf). What a key does is
	// the caller's to decide, for the screen it showed. nil ignores the
	// keys, and the screen's actions are then not shown either.
	OnKey func(display.Key)
	// OnInterrupt is called when the user presses Ctrl-C. The terminal is
	// in raw mode, so Ctrl-C sends no SIGINT: OnInterrupt must stop the
	// program (cancel its context). nil ignores it.
	OnInterrupt func()
	// Term overrides $TERM for choosing how the QR code is drawn; ""
	// reads the environment. It does not change which terminal
	// description tcell uses.
	Term string
}

// Display is a full-screen display.Display on a terminal. Its methods are
// safe for concurrent use; it draws from the caller of Show, from an event
// goroutine (resizes) and from a countdown goroutine.
type Display struct {
	scr         tcell.Screen
	now         func() time.Time
	after       func(time.Duration) <-chan time.Time
	onKey       func(display.Key)
	onInterrupt func()
	mode        mode

	mu     sync.Mutex
	cur    display.Screen // sanitized
	shown  bool           // whether cur has been drawn
	qr     *qrImage       // cur.QR drawn, nil without one
	qrNote string         // why there is no QR code although cur.QR is set
	cv     canvas         // every frame is painted here
	direct *direct        // nil: every draw goes through tcell's Show
	frame  frame          // what cv was last painted with (none before Show)
	// laid is the countdown text frame was laid out with; "" after a
	// Show, which needs a new layout.
	laid   string
	rows   []int // reused by drawLocked
	closed bool

	kick chan struct{} // Show tells the countdown the deadline changed
	done chan struct{} // closed by Close
	wg   sync.WaitGroup
}

var _ display.Display = (*Display)(nil)

// New initialises the screen (which takes over the terminal), and starts
// the goroutines that read events and keep the countdown current. Close
// stops them and restores the terminal.
func New(o Options) (*Display, error) {
	scr := o.Screen
	if scr == nil {
		var err error
		if scr, err = tcell.NewScreen(); err != nil {
			return nil, fmt.Errorf("term: opening the terminal: %w", err)
		}
	}
	if err := scr.Init(); err != nil {
		return nil, fmt.Errorf("term: initialising the terminal: %w", err)
	}
	name := o.Term
	if name == "" {
		name = os.Getenv("TERM")
	}
	d := &Display{
		scr:         scr,
		now:         o.Now,
		after:       o.After,
		onKey:       o.OnKey,
		onInterrupt: o.OnInterrupt,
		mode:        chooseMode(name, scr.CharacterSet()),
		kick:        make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.after == nil {
		d.after = time.After
	}
	// tcell chose its terminal description by $TERM, not by o.Term.
	d.direct = newDirect(scr, os.Getenv("TERM"), o.Screen == nil)
	scr.SetStyle(tcell.StyleDefault)
	scr.HideCursor()
	scr.Clear()
	scr.Show()
	d.wg.Add(2)
	go d.events()
	go d.countdown()
	return d, nil
}

// chooseMode draws the QR code in pairs of cells on the Linux console and
// on terminals whose character set is not UTF-8, which lack the half
// blocks, and in half blocks everywhere else.
func chooseMode(term, charset string) mode {
	if term == "linux" || strings.HasPrefix(term, "linux-") {
		return cellPairs
	}
	if cs := strings.ToUpper(charset); cs != "" && cs != "UTF-8" && cs != "UTF8" {
		return cellPairs
	}
	return halfBlocks
}

// Show draws s, replacing what was shown before. Only the cells that
// changed reach the terminal.
func (d *Display) Show(s display.Screen) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("term: Show after Close")
	}
	s = clean(s)
	if !d.shown || s.QR != d.cur.QR || s.Words != d.cur.Words {
		d.qr, d.qrNote = nil, ""
		if s.QR != "" {
			bm, err := qr.Bitmap(s.QR)
			if err != nil {
				d.qrNote = s.Words.OrEnglish().QRTooLong
			} else {
				d.qr = newQRImage(bm, d.mode)
			}
		}
	}
	d.cur, d.shown, d.laid = s, true, ""
	d.drawLocked(false)
	select {
	case d.kick <- struct{}{}:
	default:
	}
	return nil
}

// clean sanitizes every string of s that is drawn as text. The daemon has
// done it already; a display never trusts that.
func clean(s display.Screen) display.Screen {
	s.Headline = sanitize.Line(s.Headline, 0)
	s.UserCode = sanitize.Line(s.UserCode, 0)
	s.URI = sanitize.Line(s.URI, 0)
	s.Detail = sanitize.Line(s.Detail, 0)
	s.Actions = append([]display.Action(nil), s.Actions...)
	for i, a := range s.Actions {
		s.Actions[i].Name = sanitize.Line(a.Name, 0)
		s.Actions[i].Label = sanitize.Line(a.Label, 0)
	}
	lines := make([]string, 0, len(s.Lines))
	for _, l := range s.Lines {
		lines = append(lines, sanitize.Line(l, 0))
	}
	s.Lines = lines
	return s
}

// drawLocked draws the current screen at the terminal's current size;
// full repaints the whole terminal (after a resize) rather than only the
// cells that changed. When only lines of text changed since the last
// frame (a countdown tick), only their rows are painted and compared.
func (d *Display) drawLocked(full bool) {
	w, h := d.scr.Size()
	var f frame
	if d.shown {
		f = d.layLocked(w, h, full)
	}
	rows, ok := d.rows[:0], false
	if !full && w == d.cv.w && h == d.cv.h && d.cv.shown != nil {
		rows, ok = changedRows(d.frame, f, rows)
	}
	if ok {
		for _, y := range rows {
			d.cv.clearRow(y)
		}
		f.paintRows(&d.cv, rows)
		d.cv.flushRows(d.scr, rows)
	} else {
		d.cv.reset(w, h)
		if d.shown {
			f.paint(&d.cv)
		}
		d.cv.flush(d.scr, full)
	}
	d.rows, d.frame = rows, f
	switch {
	case full:
		d.scr.Sync()
	case d.direct.write(&d.cv):
	default:
		d.scr.Show()
	}
}

// layLocked lays the current screen out on w×h cells. When only the
// countdown's text changed since the last frame, and not its width (a
// tick, 9:59 to 9:58), the layout is the same: the last frame is used with
// the new text instead of laying everything out again, which was half of a
// tick's work.
func (d *Display) layLocked(w, h int, full bool) frame {
	now := d.now()
	text := countdownText(d.cur.Words.OrEnglish(), d.cur.Deadline, now)
	if d.cur.Deadline.IsZero() {
		text = ""
	}
	if !full && d.laid != "" && text != "" && w == d.cv.w && h == d.cv.h &&
		uniseg.StringWidth(text) == uniseg.StringWidth(d.laid) {
		if f, ok := retime(d.frame, d.laid, text); ok {
			d.laid = text
			return f
		}
	}
	d.laid = text
	return lay(d.cur, d.qr, d.qrNote, w, h, now, d.hint())
}

// hint is the screen's actions, "Enter: new code", to show under the
// text; none when nothing listens to the keys.
func (d *Display) hint() []string {
	if d.onKey == nil {
		return nil
	}
	var keys []string
	for _, a := range d.cur.Actions {
		switch {
		case a.Name != "" && a.Label != "":
			keys = append(keys, a.Name+": "+a.Label)
		case a.Name != "" || a.Label != "":
			keys = append(keys, a.Name+a.Label)
		}
	}
	return keys
}

// events handles the screen's events until Close finalises it: a resize
// redraws, Ctrl-C calls OnInterrupt, and any other key goes to OnKey by
// its role.
func (d *Display) events() {
	defer d.wg.Done()
	for {
		switch ev := d.scr.PollEvent().(type) {
		case nil:
			return // finalised
		case *tcell.EventResize:
			d.mu.Lock()
			if !d.closed {
				d.drawLocked(true)
			}
			d.mu.Unlock()
		case *tcell.EventKey:
			d.mu.Lock()
			closed := d.closed
			d.mu.Unlock()
			if closed {
				continue
			}
			k, interrupt := keyOf(ev)
			switch {
			case interrupt && d.onInterrupt != nil:
				d.onInterrupt()
			case !interrupt && d.onKey != nil:
				d.onKey(k)
			}
		}
	}
}

// keyOf is the role of a key on a terminal, and whether it is Ctrl-C
// instead. Letters count in either case; with Ctrl, Alt or Meta held, a
// letter is some other key.
func keyOf(ev *tcell.EventKey) (k display.Key, interrupt bool) {
	switch ev.Key() {
	case tcell.KeyCtrlC, tcell.KeyETX:
		return display.KeyNone, true
	case tcell.KeyEnter:
		return display.KeyA, false
	case tcell.KeyEscape:
		return display.KeyB, false
	case tcell.KeyRune:
	default:
		return display.KeyOther, false
	}
	r := unicode.ToLower(ev.Rune())
	if ev.Modifiers()&(tcell.ModCtrl|tcell.ModAlt|tcell.ModMeta) != 0 {
		if r == 'c' && ev.Modifiers()&tcell.ModCtrl != 0 {
			return display.KeyNone, true
		}
		return display.KeyOther, false
	}
	switch r {
	case ' ', 'r':
		return display.KeyA, false
	case 'q':
		return display.KeyB, false
	case 'u':
		return display.KeyX, false
	case 'i', '?':
		return display.KeyY, false
	}
	return display.KeyOther, false
}

// minTick bounds how often the countdown wakes, should the clock stand
// still just before a second boundary.
const minTick = 10 * time.Millisecond

// countdown redraws the screen whenever the countdown's text changes,
// which is once a second while a code is shown, until Close.
func (d *Display) countdown() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		wait, ok := d.untilChangeLocked()
		d.mu.Unlock()
		var tick <-chan time.Time
		if ok {
			tick = d.after(wait)
		}
		select {
		case <-d.done:
			return
		case <-d.kick:
		case <-tick:
			d.mu.Lock()
			if !d.closed {
				d.drawLocked(false)
			}
			d.mu.Unlock()
		}
	}
}

// untilChangeLocked is how long until the countdown's text changes, and
// false when it will not (no countdown, or the code has expired). The text
// shows the time left rounded up to the second, so it changes whenever the
// time left crosses a whole second.
func (d *Display) untilChangeLocked() (time.Duration, bool) {
	if !d.shown {
		return 0, false
	}
	wait, ok := display.UntilTextChange(d.cur.Deadline, d.now())
	return max(wait, minTick), ok
}

// Close stops the countdown and the event goroutine, waits for them, and
// finalises the screen, which restores the terminal. A second Close does
// nothing. It must not be called from OnKey or OnInterrupt.
func (d *Display) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true // no draw starts from here on
	close(d.done)
	d.mu.Unlock()
	d.scr.Fini() // ends PollEvent
	d.wg.Wait()
	if err := d.direct.Close(); err != nil {
		return fmt.Errorf("term: closing the terminal: %w", err)
	}
	return nil
}
