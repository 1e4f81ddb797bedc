package fb

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/qr"
	"github.com/pairingd/pairingd/internal/fbdev"
)

var _ display.Display = (*Display)(nil)

// Options configures New and Open.
type Options struct {
	// Rotate is how far the picture is turned clockwise on the panel: 0,
	// 90, 180 or 270, as fbcon=rotate:1 is 90 and muOS's rotate=1 is 90.
	// A panel mounted sideways (muOS RG28XX: a 480×640 framebuffer seen
	// as 640×480) needs 90 or 270; drivers almost never rotate by
	// themselves.
	Rotate int
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
	// After waits for the countdown's next tick; nil means time.After.
	// Only the newest wait is waited on, so each may cancel the one
	// before (as package alarm's kernel timers do, which wake a daemon
	// fewer times than Go's).
	After func(time.Duration) <-chan time.Time
	// Logger gets what goes wrong in the background (the countdown, the
	// console); nil discards it.
	Logger *slog.Logger
	// Console switches the foreground VT to KD_GRAPHICS, so that fbcon
	// and its cursor do not draw over the screen; Close switches it back.
	// Failing to is logged and ignored.
	Console bool
	// NeedConsole, with Console, makes Open fail with ErrConsoleBusy when
	// the machine has a VT that cannot be acquired: its text (a login
	// prompt) would draw over the picture and the picture over it. For
	// choosing a display; one the user asked for draws anyway.
	NeedConsole bool
	// TTY is the VT to acquire when Console is set; "" tries /dev/tty0,
	// then /dev/tty.
	TTY string
	// Keep leaves the last picture on the panel at Close, for a command
	// that draws one screen and exits; the daemon clears it.
	Keep bool
}

// ErrConsoleBusy says the console's VT is not ours to switch to graphics:
// it belongs to a login prompt, or the service was given no tty.
var ErrConsoleBusy = errors.New("fb: the console is not ours")

// Mode is a framebuffer's visible size and depth.
type Mode struct {
	Width, Height, BitsPerPixel int
}

// String is the mode in words: "640x480, 32 bpp".
func (m Mode) String() string {
	return fmt.Sprintf("%dx%d, %d bpp", m.Width, m.Height, m.BitsPerPixel)
}

func modeOf(dev *fbdev.Device) Mode {
	return Mode{Width: int(dev.Var.Xres), Height: int(dev.Var.Yres), BitsPerPixel: int(dev.Var.BitsPerPixel)}
}

// Mode is the framebuffer's mode, as the driver reported it at Open.
func (d *Display) Mode() Mode { return modeOf(d.dev) }

// console is what a Display needs of an acquired VT (*fbdev.Console).
type console interface {
	Active() (bool, error)
	Restore() error
}

// Display draws the pairing screen on a framebuffer. Show and Close may be
// called from any goroutine; the countdown goroutine shares the screen with
// them under a mutex.
type Display struct {
	dev    *fbdev.Device
	ownDev bool // Close closes dev (Open made it)
	keep   bool // Close leaves the picture (Options.Keep)
	now    func() time.Time
	after  func(time.Duration) <-chan time.Time
	log    *slog.Logger

	done chan struct{} // closed by Close to stop the goroutine
	wake chan struct{} // a new screen: recompute when to tick
	wg   sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	con     console // nil without a VT
	hidden  bool    // another VT is in front: draw nothing
	cv      canvas
	pn      panel
	drawn   bool
	cur     display.Screen
	start   time.Time // when the current deadline was first shown
	lay     layout
	qrFor   string                 // payload of qrBits
	qrBits  [][]bool               // QR modules, nil when none
	qrErr   bool                   // whether qrFor is too long for a QR code
	cdBuf   [maxCdPrefix + 16]byte // the countdown text being drawn
	cdShown [maxCdPrefix + 16]byte // the countdown text on the screen
	cdLen   int                    // length of cdShown, -1 for nothing shown
	barW    int                    // width of the bar on the screen
}

// Open opens the framebuffer device at path and returns a Display on it
// (see New). Close closes the device too.
func Open(path string, o Options) (*Display, error) {
	dev, err := fbdev.Open(path)
	if err != nil {
		return nil, err
	}
	d, err := attach(dev, o)
	if err != nil {
		dev.Close()
		return nil, err
	}
	d.ownDev = true
	return d, nil
}

// attach returns a Display drawing on dev, which the caller still owns
// and closes after the Display (Open hands it over). Nothing is drawn until Show. With o.Console it
// acquires the console; it starts the goroutine that keeps the countdown
// current, which Close stops.
func attach(dev *fbdev.Device, o Options) (*Display, error) {
	if dev == nil {
		return nil, errors.New("fb: no framebuffer device")
	}
	pn, err := newPanel(dev, o.Rotate)
	if err != nil {
		return nil, fmt.Errorf("fb: setting up %dx%d framebuffer %s: %w", dev.Var.Xres, dev.Var.Yres, dev.Path, err)
	}
	f, _ := dev.Format() // newPanel checked it
	d := &Display{
		dev:   dev,
		keep:  o.Keep,
		now:   o.Now,
		after: o.After,
		log:   o.Logger,
		done:  make(chan struct{}),
		wake:  make(chan struct{}, 1),
		cv:    newCanvas(pn.lw, pn.lh, f),
		pn:    pn,
		cdLen: -1,
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.after == nil {
		d.after = time.After
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if o.Console {
		c, err := fbdev.AcquireConsole(o.TTY)
		switch {
		case err == nil:
			d.con = c
		case o.NeedConsole && !errors.Is(err, fbdev.ErrNoVT):
			return nil, fmt.Errorf("%w: %w", ErrConsoleBusy, err)
		case !errors.Is(err, fbdev.ErrNoVT):
			d.log.Warn("fb: drawing without owning the console; its text may show through", "err", err)
		}
	}
	d.wg.Add(1)
	go d.run()
	return d, nil
}

// Show draws s. Any change redraws the screen in the back buffer, and only
// device rows that differ from what is shown are written.
func (d *Display) Show(s display.Screen) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("fb: showing %q screen: display closed", s.Headline)
	}
	if d.drawn && sameScreen(s, d.cur) {
		return nil
	}
	if !s.Deadline.Equal(d.cur.Deadline) || !d.drawn {
		d.start = d.now()
	}
	d.cur = s
	d.drawn = true
	d.redrawLocked()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

// sameScreen reports whether a and b look the same.
func sameScreen(a, b display.Screen) bool {
	return a.Headline == b.Headline && a.Tone == b.Tone && a.UserCode == b.UserCode &&
		a.URI == b.URI && a.QR == b.QR && a.Detail == b.Detail && a.Deadline.Equal(b.Deadline) &&
		slices.Equal(a.Actions, b.Actions) && slices.Equal(a.Lines, b.Lines) && a.Words == b.Words
}

// redrawLocked renders the current screen into the back buffer and
// flushes all of it (the flush writes only changed rows).
func (d *Display) redrawLocked() {
	s := d.cur
	bits := d.qrLocked(s)
	problem := ""
	if s.QR != "" && bits == nil && d.qrErr {
		problem = s.Words.OrEnglish().QRTooLong
	}
	d.lay = plan(d.cv.w, d.cv.h, s, bits, problem)
	d.lay.draw(&d.cv, bits)
	d.cdLen = -1
	d.countdownLocked()
	d.flushLocked(d.cv.bounds())
}

// qrLocked returns the modules of s's QR code, encoding it only when the
// payload changed; nil when there is none or it cannot be encoded.
func (d *Display) qrLocked(s display.Screen) [][]bool {
	if s.QR == "" {
		return nil
	}
	if s.QR != d.qrFor {
		d.qrFor, d.qrBits, d.qrErr = s.QR, nil, false
		bits, err := qr.Bitmap(s.QR)
		if err != nil {
			d.log.Error("fb: cannot draw the QR code", "err", err)
			d.qrErr = true
		} else {
			d.qrBits = bits
		}
	}
	return d.qrBits
}

// countdownLocked draws the countdown text and the progress bar into the
// back buffer when they differ from what is there, and reports whether it
// drew. It does not allocate.
func (d *Display) countdownLocked() bool {
	l := &d.lay
	if l.cd.Empty() || d.cur.Deadline.IsZero() {
		return false
	}
	now := d.now()
	b := append(d.cdBuf[:0], l.cdPrefix...)
	b = appendTimeLeft(b, d.cur.Deadline, now)
	bw := barWidth(l.bar.Dx(), d.cur.Deadline.Sub(now), d.cur.Deadline.Sub(d.start))
	if d.cdLen == len(b) && string(d.cdShown[:len(b)]) == string(b) && d.barW == bw {
		return false
	}
	d.cdLen = copy(d.cdShown[:], b)
	d.barW = bw
	c := &d.cv
	c.fillRGB(l.region, colBG)
	c.drawBytes(l.lineX(utf8.RuneCount(b)*regular.advance()*l.cdScale), l.cd.Min.Y, b, regular, l.cdScale, colMuted, colBG)
	c.fillRGB(l.bar, colTrack)
	bar := l.bar
	bar.Max.X = bar.Min.X + bw
	c.fillRGB(bar, colBar)
	return true
}

// flushLocked copies logical rectangle r to the device unless another VT
// is in front.
func (d *Display) flushLocked(r image.Rectangle) {
	if d.hidden {
		return
	}
	d.pn.flush(&d.cv, r)
}

// run keeps the countdown current and watches the VT. It wakes when the
// countdown's text changes (the seconds are rounded up, so on whole
// seconds before the deadline), at most a second apart while it counts
// down or a console is held, and not at all otherwise.
func (d *Display) run() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		wait, ok := d.nextTickLocked()
		d.mu.Unlock()
		var tick <-chan time.Time
		if ok {
			tick = d.after(wait)
		}
		select {
		case <-d.done:
			return
		case <-d.wake:
		case <-tick:
			d.tick()
		}
	}
}

// nextTickLocked returns how long to wait for the next tick, and false
// when nothing needs one.
func (d *Display) nextTickLocked() (time.Duration, bool) {
	if d.closed {
		return 0, false
	}
	wait, ok := time.Duration(0), false
	if d.con != nil {
		wait, ok = time.Second, true
	}
	if d.drawn {
		if w, changes := display.UntilTextChange(d.cur.Deadline, d.now()); changes {
			wait, ok = w, true
		}
	}
	return wait, ok
}

// tick redraws the countdown, and everything when our VT has come back.
func (d *Display) tick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	if d.con != nil {
		active, err := d.con.Active()
		if err != nil {
			d.log.Warn("fb: cannot tell whether our VT is in front; drawing anyway", "err", err)
		}
		switch {
		case !active:
			d.hidden = true
			return
		case d.hidden:
			// Our VT is back: the other VT left its picture behind.
			d.hidden = false
			if err := d.dev.Refresh(); err != nil {
				d.log.Error("fb: the framebuffer changed under us", "err", err)
			}
			d.pn.invalidate()
			if d.drawn {
				d.countdownLocked()
				d.flushLocked(d.cv.bounds())
			}
			return
		}
	}
	if d.drawn && d.countdownLocked() {
		d.flushLocked(d.lay.region)
	}
}

// Close stops the countdown goroutine and waits for it, clears the screen
// to black, gives the VT back to the console (KD_TEXT) and, when Open made
// the device, closes it. Calling it again does nothing.
//
// The screen is cleared rather than left as it was: a pairing code left on
// a screen nobody polls for any more would be scanned in vain, and in
// console mode fbcon repaints the console over the black.
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
	var errs []error
	if d.drawn && !d.hidden && !d.keep {
		d.cv.fillRGB(d.cv.bounds(), rgb{})
		d.pn.flush(&d.cv, d.cv.bounds())
	}
	if d.con != nil {
		if err := d.con.Restore(); err != nil {
			errs = append(errs, fmt.Errorf("fb: %w", err))
		}
	}
	if d.ownDev {
		if err := d.dev.Close(); err != nil {
			errs = append(errs, fmt.Errorf("fb: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Foreground reports whether the display owns the screen now: its VT is in
// front, or it did not take the console. Keys pressed while another VT
// (muOS's frontend, a shell) is in front are not meant for pairingd.
func (d *Display) Foreground() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	if d.con == nil {
		return true
	}
	active, err := d.con.Active()
	return err != nil || active
}
