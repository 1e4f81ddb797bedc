package term

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/pairingd/pairingd/display"
)

var _ display.Display = (*Display)(nil)

// ANSI control sequences. Only these are written; text from a Screen is
// written between them verbatim.
const (
	hideCursor = "\x1b[?25l"
	showCursor = "\x1b[?25h"
	clear      = "\x1b[H\x1b[2J"
	reset      = "\x1b[0m"
	bold       = "\x1b[1m"
	// qrStyle is a black background and a bold (bright) white
	// foreground, as libqrencode's ANSIUTF8.
	qrStyle = "\x1b[40;37;1m"
)

// Default size when the output is not a terminal.
const (
	defaultCols = 80
	defaultRows = 24
)

// quiet is the QR quiet zone in modules, as ISO/IEC 18004 asks.
const quiet = 4

// Option configures New.
type Option func(*Display)

// WithSize sets the terminal size instead of asking the terminal, for tests
// and for outputs that are not terminals.
func WithSize(cols, rows int) Option {
	return func(d *Display) {
		d.size = func() (int, int) { return cols, rows }
	}
}

// Display draws screens on an ANSI terminal. Show and Close may be called
// from one goroutine at a time; the countdown goroutine started by New
// shares the terminal with them under a mutex.
type Display struct {
	out  io.Writer
	now  func() time.Time
	size func() (cols, rows int)

	done chan struct{} // closed by Close to stop the countdown goroutine
	wake chan struct{} // tells the goroutine a deadline came or went
	wg   sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	drawn   bool           // whether cur has been drawn
	cur     display.Screen // the screen on the terminal
	lay     layout         // where its lines are
	shown   string         // countdown text on the terminal
	tickErr error          // first error writing the countdown
}

// New returns a Display drawing on out, which reads the time from now (nil
// means time.Now). Unless WithSize says otherwise, the size is read from out
// when it is a terminal (it has an Fd method, like *os.File) and is 80×24
// otherwise. New starts the goroutine that keeps the countdown current;
// Close stops it.
func New(out io.Writer, now func() time.Time, opts ...Option) (*Display, error) {
	if out == nil {
		return nil, errors.New("term: no output")
	}
	if now == nil {
		now = time.Now
	}
	d := &Display{
		out:  out,
		now:  now,
		size: func() (int, int) { return termSize(out) },
		done: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(d)
	}
	ticker := time.NewTicker(time.Second)
	d.wg.Add(1)
	go d.run(ticker)
	return d, nil
}

// termSize returns the size of the terminal out, or 80×24.
func termSize(out io.Writer) (cols, rows int) {
	f, ok := out.(interface{ Fd() uintptr })
	if !ok {
		return defaultCols, defaultRows
	}
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return defaultCols, defaultRows
	}
	cols, rows, err := term.GetSize(fd)
	if err != nil || cols <= 0 || rows <= 0 {
		return defaultCols, defaultRows
	}
	return cols, rows
}

// run redraws the countdown once a second while the screen has a deadline.
// Between deadlines it does not wake at all: a channel receive from a
// ticker nobody waits on costs nothing since Go 1.23.
func (d *Display) run(ticker *time.Ticker) {
	defer d.wg.Done()
	defer ticker.Stop()
	for {
		d.mu.Lock()
		active := d.drawn && !d.cur.Deadline.IsZero()
		d.mu.Unlock()
		var tick <-chan time.Time
		if active {
			tick = ticker.C
		}
		select {
		case <-d.done:
			return
		case <-d.wake:
		case <-tick:
			d.mu.Lock()
			if !d.closed {
				var b bytes.Buffer
				d.countdownLocked(&b)
				if err := d.writeLocked(&b); err != nil && d.tickErr == nil {
					d.tickErr = fmt.Errorf("term: updating countdown: %w", err)
				}
			}
			d.mu.Unlock()
		}
	}
}

// Show draws s. A change in the detail or the deadline alone rewrites just
// those lines; any other change redraws the screen.
func (d *Display) Show(s display.Screen) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("term: showing %q screen: display closed", s.State)
	}
	var b bytes.Buffer
	switch {
	case !d.drawn || !sameBlock(s, d.cur) || !d.detailFits(s.Detail):
		d.drawLocked(&b, s)
	default:
		d.cur.Deadline = s.Deadline
		d.countdownLocked(&b)
		if s.Detail != d.cur.Detail {
			d.cur.Detail = s.Detail
			d.detailLocked(&b)
		}
	}
	if err := d.writeLocked(&b); err != nil {
		return fmt.Errorf("term: showing %q screen: %w", s.State, err)
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

// sameBlock reports whether a and b differ at most in the lines that can be
// rewritten in place: the detail, and the deadline when both have one.
func sameBlock(a, b display.Screen) bool {
	return a.State == b.State && a.Headline == b.Headline &&
		a.UserCode == b.UserCode && a.URI == b.URI && a.QR == b.QR &&
		a.Deadline.IsZero() == b.Deadline.IsZero()
}

// detailFits reports whether detail fits the rows the current one has.
func (d *Display) detailFits(detail string) bool {
	return len(wrap(detail, d.lay.textWidth)) <= len(d.lay.detail)
}

// Close stops the countdown, waits for its goroutine, then resets the
// colours, puts the cursor below what was drawn and shows it again. It
// returns the first error of the countdown's writes, if any.
func (d *Display) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	close(d.done)
	d.wg.Wait()

	d.mu.Lock()
	defer d.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(reset)
	if d.drawn {
		fmt.Fprintf(&b, "\x1b[%d;1H\n", d.lay.bottom)
	}
	b.WriteString(showCursor)
	if err := d.writeLocked(&b); err != nil {
		return fmt.Errorf("term: restoring terminal: %w", err)
	}
	return d.tickErr
}

// writeLocked writes b in one Write, so that a terminal never shows half
// an update.
func (d *Display) writeLocked(b *bytes.Buffer) error {
	if b.Len() == 0 {
		return nil
	}
	_, err := d.out.Write(b.Bytes())
	return err
}
