package displaytest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pairingd/pairingd/display"
)

var _ display.Display = (*Fake)(nil)

// Fake is a display.Display that records every Screen it is shown. The zero
// value is ready to use, and its methods are safe for concurrent use, so a
// test can wait for screens while the code under test shows them.
type Fake struct {
	// Err, when set before use, is returned by every Show, which still
	// records the screen; tests use it to check that display errors are
	// not fatal.
	Err error

	mu      sync.Mutex
	screens []display.Screen
	closed  bool
	changed chan struct{} // closed and replaced on every Show and Close
}

// Show records s. It fails after Close, since showing on a closed display
// is a bug in the caller.
func (f *Fake) Show(s display.Screen) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("displaytest: Show(%q) after Close", s.Headline)
	}
	f.screens = append(f.screens, s)
	f.notifyLocked()
	return f.Err
}

// Close marks the display closed.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.notifyLocked()
	return nil
}

// notifyLocked wakes every WaitFor. f.mu must be held.
func (f *Fake) notifyLocked() {
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// Screens returns a copy of the screens shown so far, oldest first.
func (f *Fake) Screens() []display.Screen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]display.Screen(nil), f.screens...)
}

// Last returns the screen shown last, or the zero Screen if none was.
func (f *Fake) Last() display.Screen {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.screens) == 0 {
		return display.Screen{}
	}
	return f.screens[len(f.screens)-1]
}

// Closed reports whether Close was called.
func (f *Fake) Closed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// ErrClosedWaiting is returned by WaitFor when the display is closed before a
// matching screen was shown.
var ErrClosedWaiting = errors.New("displaytest: display closed while waiting for a screen")

// WaitFor returns the first screen, in the order shown, for which match
// returns true. Screens shown before the call count, so a test cannot miss
// a screen by calling WaitFor late. It blocks until such a screen is shown,
// the display is closed (ErrClosedWaiting) or ctx is done.
func (f *Fake) WaitFor(ctx context.Context, match func(display.Screen) bool) (display.Screen, error) {
	next := 0
	for {
		f.mu.Lock()
		for ; next < len(f.screens); next++ {
			if s := f.screens[next]; match(s) {
				f.mu.Unlock()
				return s, nil
			}
		}
		if f.closed {
			f.mu.Unlock()
			return display.Screen{}, ErrClosedWaiting
		}
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		changed := f.changed
		f.mu.Unlock()

		select {
		case <-changed:
		case <-ctx.Done():
			return display.Screen{}, fmt.Errorf("displaytest: waiting for a screen after %d shown: %w", next, ctx.Err())
		}
	}
}
