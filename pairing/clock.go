package pairing

import "time"

// Clock is the daemon's view of time. Wall time (Now) is only used for
// timestamps that are stored or shown; every interval and deadline the loop
// keeps in memory runs on monotonic time (Mono, After), so that an NTP step
// from 1970 to today, or backwards, neither fires a poll early nor lets a
// code outlive its expiry.
type Clock interface {
	// Now returns the wall-clock time.
	Now() time.Time
	// Mono returns monotonic time since an arbitrary origin.
	Mono() time.Duration
	// After fires once d of monotonic time has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock returns the real clock. Inside a testing/synctest bubble it
// runs on the bubble's fake time.
func SystemClock() Clock { return systemClock{origin: time.Now()} }

type systemClock struct{ origin time.Time }

func (systemClock) Now() time.Time                         { return time.Now() }
func (c systemClock) Mono() time.Duration                  { return time.Since(c.origin) }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// saneTime is a date before which the wall clock is certainly wrong: a board
// without a real-time clock boots in 1970 until NTP sets it. Stored absolute
// times (code and token expiry) are not trusted before then.
var saneTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// clockSane reports whether the wall clock can be trusted to judge stored
// absolute times.
func clockSane(now time.Time) bool { return now.After(saneTime) }
