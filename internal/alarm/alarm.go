package alarm

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Clock is wall and monotonic time with After on a timerfd. It serves
// one waiter: each After replaces the one before it, whose channel then
// never fires, as a loop that waits on the newest deadline wants. A
// kernel that refuses a timerfd gets time.After instead.
type Clock struct {
	origin time.Time

	mu   sync.Mutex
	last *os.File // the timerfd of the newest After
}

// New returns a Clock whose monotonic time starts now.
func New() *Clock { return &Clock{origin: time.Now()} }

// Now returns the wall-clock time.
func (c *Clock) Now() time.Time { return time.Now() }

// Mono returns monotonic time since New.
func (c *Clock) Mono() time.Duration { return time.Since(c.origin) }

// After fires once d has passed on the monotonic clock, and cancels the
// wait of the After before it.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f, err := arm(d)
	c.mu.Lock()
	if c.last != nil {
		c.last.Close() // its reader ends without firing
	}
	c.last = f
	c.mu.Unlock()
	if err != nil {
		return time.After(d)
	}
	go func() {
		var buf [8]byte
		if _, err := f.Read(buf[:]); err == nil {
			ch <- time.Now()
		}
		c.mu.Lock()
		if c.last == f {
			c.last = nil
		}
		c.mu.Unlock()
		f.Close()
	}()
	return ch
}

// arm is a new timerfd that expires once after d.
func arm(d time.Duration) (*os.File, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A zero it_value disarms a timerfd: a wait of 0 is 1 ns.
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "timerfd"), nil
}

// Close cancels the pending wait, if any.
func (c *Clock) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil {
		c.last.Close()
		c.last = nil
	}
	return nil
}
