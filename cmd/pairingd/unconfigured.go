package main

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
)

// waitConfigured is the daemon of a configuration that names no server yet
// (a fresh install): it records and shows which keys to set in which file,
// tells systemd it is ready with that as its status line, and waits to be
// stopped (or, as an app, for a quit key) without asking anything of any
// server. Failing instead would only have it restarted over and over; a
// restart after the file is edited pairs.
func waitConfigured(ctx context.Context, cfg config.Config, missing []string, logger *slog.Logger, e env, text *msg.Catalog) error {
	file := cmp.Or(cfg.File, config.DefaultFile)
	// English for the log, the status line and `pairingd status`.
	hint := pairing.NotConfiguredDetail(nil, missing, file)
	statusLine := "Not configured: " + strings.ToLower(hint[:1]) + hint[1:]

	keys := make(chan display.Key, 4)
	press := func(k display.Key) {
		select {
		case keys <- k:
		default:
		}
	}
	ctx, f, err := openFrontEnd(ctx, cfg, logger, e.stdout, text, press)
	if err != nil {
		return err
	}
	defer f.Close()
	ctl := func() pairing.Controls {
		c := pairing.Controls{Text: text, Quit: f.quits(cfg)}
		if style := f.style(); style != nil {
			c.Style = style()
		}
		return c
	}
	clock := pairing.SystemClock()
	st, err := f.openStore(ctx)
	if err != nil {
		f.notifier.Stopping()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer st.Close()
	// Recorded, so that `pairingd status` says it too; a grant the record
	// holds stays for when the server is configured again.
	rec, err := st.Update(ctx, func(p *store.Pairing) error {
		if pairing.State(p.State) != pairing.NotConfigured || p.StateSince.IsZero() {
			p.StateSince = clock.Now()
		}
		p.State = int(pairing.NotConfigured)
		p.Message = hint
		return nil
	})
	if err != nil {
		return err
	}
	// The local API answers status, says what to set for the rest, and
	// its events start with not_configured; a hook hears of it too.
	dev, _ := st.Device(ctx) // for the hook; an unreadable id leaves it empty
	progs := startPrograms(ctx, cfg, logger, e.environ, dev.ID, newBackend(cfg, st, nil))
	defer progs.Close()
	progs.changed(pairing.Change{Old: pairing.NotConfigured, New: pairing.NotConfigured, First: true, At: rec.StateSince,
		Detail: hint, Server: rec.Server.Issuer, BoundDeviceID: rec.BoundDeviceID, Account: rec.Account})
	logger.Warn("pairingd is not configured: it asks no server for a code until it is", "file", file,
		"set", strings.Join(missing, " "), "version", version)
	show := func() {
		detail := pairing.NotConfiguredDetail(text, missing, file)
		if err := f.disp.Show(pairing.Screen(pairing.NotConfigured, store.Code{}, detail, time.Time{}, ctl())); err != nil {
			logger.Warn("display", "err", err)
		}
	}
	show()
	if !f.wait.ready {
		f.notifier.Ready()
	}
	f.notifier.Status(statusLine)

	beat, stopBeats := f.wait.beats()
	defer stopBeats()
	for {
		select {
		case <-ctx.Done():
			f.notifier.Stopping()
			logger.Info("pairingd stopping")
			return nil
		case k := <-keys:
			if (k == display.KeyB || k == display.KeyMenu) && ctl().Quit {
				f.cancel()
				continue
			}
			// Another input may have appeared: name its keys.
			show()
		case <-beat:
			f.wd.Beat()
		}
	}
}
