package term

import (
	"io"
	"strings"
	"sync"
	"unsafe"

	"github.com/gdamore/tcell/v2"
	"github.com/gdamore/tcell/v2/terminfo"
	"golang.org/x/sys/unix"
)

// directMax is the most cells a draw writes to the terminal itself; a
// countdown tick changes one to five.
const directMax = 32

// direct writes a draw that changed a few plain cells to the terminal
// itself instead of through tcell's Show. Show looks at every cell of the
// screen to find the ones that changed (4,000 on a 100×40 terminal) and
// asks the terminal its size: that was most of a countdown tick's CPU,
// once a second, for the few cells of the countdown.
//
// It writes only cells tcell could not write differently: ASCII
// characters in the default style, never the bottom-right cell (where a
// terminal may scroll), with the terminal's own sequences from the
// terminfo entry tcell drives it by (attributes off, cursor position). The
// cells are in tcell's buffer too (canvas.flush put them there), so its
// next Show sends them once more, which changes nothing on the terminal;
// a resize repaints everything. It writes holding the screen's lock, as
// tcell's own draws do (tcell redraws by itself on SIGWINCH), so that
// neither lands inside the other's escape sequences.
type direct struct {
	w     io.Writer
	lock  sync.Locker  // the screen's
	close func() error // of w, when it is the direct writer's own
	ti    *terminfo.Terminfo
	reset string // attributes off, to the default style
	buf   []byte // reused: a tick allocates nothing for it
}

// newDirect returns the direct writer for scr, or nil where there is none:
// a screen without a terminal (a simulation); a terminal whose entry names
// no cursor positioning, or pads its sequences with delays ("$<5>", which
// tcell turns into waits and would reach the screen as text here); one
// that cannot hide the cursor, which tcell then parks in the corner after
// each draw. own means that scr is the controlling
// terminal, which New opened: then the writes go to a descriptor of the
// direct writer's own (see ttyWriter), else to scr's.
func newDirect(scr tcell.Screen, termName string, own bool) *direct {
	tty, ok := scr.Tty()
	if !ok || tty == nil {
		return nil
	}
	lock, ok := scr.(sync.Locker)
	if !ok {
		return nil
	}
	ti, err := tcell.LookupTerminfo(termName)
	if err != nil || ti.SetCursor == "" || ti.HideCursor == "" ||
		strings.Contains(ti.SetCursor, "$<") || strings.Contains(ti.AttrOff, "$<") {
		return nil
	}
	d := &direct{w: tty, lock: lock, ti: ti, reset: ti.AttrOff}
	if own {
		if tw, err := openTTY(); err == nil {
			d.w, d.close = tw, tw.Close
		}
	}
	return d
}

// Close closes the direct writer's own descriptor, if it has one.
func (d *direct) Close() error {
	if d == nil || d.close == nil {
		return nil
	}
	return d.close()
}

// ttyWriter writes to the controlling terminal (/dev/tty, where tcell
// draws too) by raw system calls on a non-blocking descriptor of its own.
// A write through package syscall tells the runtime that a system call
// starts, which wakes the runtime's monitor thread after a quiet second,
// and the monitor then sleeps in steps of 20 µs up to 10 ms before it
// rests again: three or four context switches for each tick's 15 bytes.
// A write to a non-blocking descriptor returns at once, so it needs none
// of that care; when the terminal takes no more (EAGAIN), the draw goes
// to tcell, whose cells hold it too.
type ttyWriter struct{ fd int }

func openTTY() (*ttyWriter, error) {
	fd, err := unix.Open("/dev/tty", unix.O_WRONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &ttyWriter{fd: fd}, nil
}

func (w *ttyWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(w.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	switch {
	case e != 0:
		return 0, e
	case int(n) < len(b):
		return int(n), io.ErrShortWrite
	}
	return int(n), nil
}

func (w *ttyWriter) Close() error { return unix.Close(w.fd) }

// write sends the cells c's last flush changed, when they are few enough
// and all plain ASCII, and reports whether it did; false leaves them to
// tcell's Show. Nothing changed is done.
func (d *direct) write(c *canvas) bool {
	if d == nil || len(c.changed) > directMax {
		return false
	}
	if len(c.changed) == 0 {
		return true
	}
	for _, i := range c.changed {
		if !plainASCII(c.cells[i]) || i == len(c.cells)-1 {
			return false
		}
	}
	b := append(d.buf[:0], d.reset...)
	next := -1 // where the cursor stands after the last character
	for _, i := range c.changed {
		if i != next || i%c.w == 0 {
			b = append(b, d.ti.TGoto(i%c.w, i/c.w)...)
		}
		ch := byte(' ')
		if s := c.cells[i].str; s != "" {
			ch = s[0]
		}
		b = append(b, ch)
		next = i + 1
	}
	d.buf = b
	d.lock.Lock()
	_, err := d.w.Write(b)
	d.lock.Unlock()
	return err == nil
}

// plainASCII reports whether cell is blank or one printable ASCII
// character, in the default style.
func plainASCII(cell canvasCell) bool {
	if cell.style != 0 || cell.wide || len(cell.str) > 1 {
		return false
	}
	return cell.str == "" || cell.str[0] >= 0x20 && cell.str[0] < 0x7f
}
