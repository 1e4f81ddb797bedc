package systemd

import (
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Watchdog sends WATCHDOG=1 when the unit has WatchdogSec= set. Beat is
// called from the daemon's main loop, not from a free-running goroutine, so
// that a hung loop stops the pings and systemd restarts the service
// (sd_watchdog_enabled(3): "within the specified time after startup and
// after each previous message").
type Watchdog struct {
	n        *Notifier
	interval time.Duration
	mono     func() time.Duration

	mu   sync.Mutex
	last time.Duration
	sent bool
}

// NewWatchdog reads WATCHDOG_USEC and WATCHDOG_PID. It returns nil when the
// watchdog is off or meant for another process; a nil *Watchdog's Beat does
// nothing. mono is a monotonic clock.
func NewWatchdog(n *Notifier, mono func() time.Duration) *Watchdog {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.logger.Warn("watchdog settings", "err", err)
		return nil
	}
	if d <= 0 {
		return nil
	}
	return &Watchdog{n: n, interval: d, mono: mono}
}

// Interval returns WatchdogSec, or 0 for a nil Watchdog.
func (w *Watchdog) Interval() time.Duration {
	if w == nil {
		return 0
	}
	return w.interval
}

// Beat pings systemd if half the watchdog interval has passed since the
// last ping (the interval sd_watchdog_enabled(3) recommends).
func (w *Watchdog) Beat() {
	if w == nil {
		return
	}
	w.mu.Lock()
	now := w.mono()
	due := !w.sent || now-w.last >= w.interval/2
	if due {
		w.last, w.sent = now, true
	}
	w.mu.Unlock()
	if due {
		w.n.notify(daemon.SdNotifyWatchdog)
	}
}
