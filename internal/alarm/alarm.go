package alarm

import (
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Clock is wall and monotonic time with After on a timerfd. It serves
// one waiter: each After replaces the one before it, whose channel then
// never fires, as a loop that waits on the newest deadline wants. A
// kernel that refuses a timerfd gets time.After instead.
//
// One timerfd serves every After, re-armed each time, and one goroutine
// reads it: a wait costs one system call to arm, not a descriptor made,
// registered with the poller and closed.
type Clock struct {
	origin time.Time

	mu     sync.Mutex
	fd     *os.File       // the timerfd; nil until the first After
	raw    int            // its descriptor (File.Fd would make it blocking)
	failed bool           // the kernel refused a timerfd
	closed bool           // Close was called
	ch     chan time.Time // the newest After's; nil once it fired
	due    time.Duration  // when ch fires, in Mono time
}

// New returns a Clock whose monotonic time starts now.
func New() *Clock { return &Clock{origin: time.Now()} }

// Now returns the wall-clock time.
func (c *Clock) Now() time.Time { return time.Now() }

// Mono returns monotonic time since New.
func (c *Clock) Mono() time.Duration { return time.Since(c.origin) }

// After fires once d has passed on the monotonic clock, and cancels the
// wait of the After before it. After Close it never fires.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.afterLocked(d)
}

// afterLocked is After with c.mu held.
func (c *Clock) afterLocked(d time.Duration) <-chan time.Time {
	if c.closed {
		return make(chan time.Time)
	}
	if c.fd == nil && !c.failed {
		raw, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
		if err != nil {
			c.failed = true
		} else {
			c.raw, c.fd = raw, os.NewFile(uintptr(raw), "timerfd")
			go c.read(c.fd)
		}
	}
	if c.failed {
		return time.After(d)
	}
	// due is taken before arming, so the kernel's expiry is never before
	// it and read never drops the expiry it waits for.
	c.ch = make(chan time.Time, 1)
	c.due = c.Mono() + d
	// A zero it_value disarms a timerfd: a wait of 0 is 1 ns. Arming
	// resets the count of expirations, so an earlier wait's expiry not
	// read yet does not fire this one; one read already is dropped by
	// read, as it comes before due.
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	if err := settime(c.raw, &spec); err != nil {
		c.ch = nil
		return time.After(d)
	}
	return c.ch
}

// settime arms the timerfd fd. It is a raw system call: arming never
// blocks, and a call through the runtime's syscall entry would wake its
// monitor thread, sleeping while the daemon waits, for nothing.
func settime(fd int, spec *unix.ItimerSpec) error {
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(spec)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// read fires the newest wait at each expiry of f that comes at or after
// its due time, until f is closed.
func (c *Clock) read(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	var buf [8]byte
	// Each expiry is read by a raw system call, for the reason settime's
	// is raw; the poller waits while there is none (EAGAIN).
	readOne := func(fd uintptr) bool {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return e != unix.EAGAIN
	}
	for {
		if err := rc.Read(readOne); err != nil {
			return
		}
		c.mu.Lock()
		if c.ch != nil && c.Mono() >= c.due {
			c.ch <- time.Now()
			c.ch = nil
		}
		c.mu.Unlock()
	}
}

// Close cancels the pending wait, if any, and frees the timerfd.
func (c *Clock) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.ch = nil
	if c.fd != nil {
		err := c.fd.Close()
		c.fd = nil
		return err
	}
	return nil
}
