// Package clockset tells when the system's wall clock is set: NTP or an
// RTC driver stepping it, on a board that booted in 1970 or 2000. The
// daemon waits for that instead of failing TLS over and over with a
// clock that makes every certificate "not yet valid".
//
// It uses a timerfd(2) on CLOCK_REALTIME armed with
// TFD_TIMER_CANCEL_ON_SET: its read fails with ECANCELED when the clock
// is set discontinuously.
package clockset

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Watcher tells of the clock being set.
type Watcher struct {
	fd   int
	f    *os.File
	c    chan struct{}
	once sync.Once
}

// Watch starts watching; a kernel without timerfd refuses.
func Watch() (*Watcher, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	w := &Watcher{fd: fd, c: make(chan struct{}, 1)}
	if err := w.arm(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	w.f = os.NewFile(uintptr(fd), "timerfd")
	go w.run()
	return w, nil
}

// arm sets the timer far ahead (as far as a 32-bit time_t reaches),
// cancelled by a clock set.
func (w *Watcher) arm() error {
	spec := unix.ItimerSpec{Value: unix.Timespec{Sec: 1<<31 - 1}}
	if err := unix.TimerfdSettime(w.fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil); err != nil {
		return fmt.Errorf("timerfd settime: %w", err)
	}
	return nil
}

// Changes receives after the clock was set (one pending value for any
// number of times); it closes when the Watcher does.
func (w *Watcher) Changes() <-chan struct{} { return w.c }

func (w *Watcher) run() {
	buf := make([]byte, 8)
	for {
		_, err := w.f.Read(buf)
		switch {
		case errors.Is(err, unix.ECANCELED):
			select {
			case w.c <- struct{}{}:
			default:
			}
			if w.arm() != nil {
				close(w.c)
				return
			}
		case err != nil:
			close(w.c)
			return
		default:
			// It expired (2038): arm it again.
			if w.arm() != nil {
				close(w.c)
				return
			}
		}
	}
}

// Close stops watching.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() { err = w.f.Close() })
	return err
}
