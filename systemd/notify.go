package systemd

import (
	"log/slog"
	"sync"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends sd_notify messages. The zero value is not usable; use New.
// It is safe for concurrent use.
type Notifier struct {
	logger *slog.Logger
	// send is daemon.SdNotify; tests replace it.
	send   func(unsetEnv bool, state string) (bool, error)
	warned sync.Once
}

// New returns a Notifier that logs a failed send once, at warning level.
func New(logger *slog.Logger) *Notifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{logger: logger, send: daemon.SdNotify}
}

// notify sends state; it is a no-op without NOTIFY_SOCKET.
func (n *Notifier) notify(state string) {
	// unsetEnv false: later calls (STATUS=, WATCHDOG=1) still need it.
	if _, err := n.send(false, state); err != nil {
		n.warned.Do(func() { n.logger.Warn("sd_notify failed", "err", err) })
	}
}

// Ready sends READY=1.
func (n *Notifier) Ready() { n.notify(daemon.SdNotifyReady) }

// Status sends STATUS=line.
func (n *Notifier) Status(line string) { n.notify("STATUS=" + line) }

// Stopping sends STOPPING=1.
func (n *Notifier) Stopping() { n.notify(daemon.SdNotifyStopping) }
