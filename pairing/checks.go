package pairing

import (
	"context"
	"errors"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// startCheckTimeout bounds the check at start, so a hung health endpoint
// does not hold up the first code.
const startCheckTimeout = 5 * time.Second

// runCheck checks the server and the grant, stores the result when it
// changed, and schedules the next check.
func (m *Machine) runCheck(ctx context.Context) error {
	var access, bound string
	if m.state == Paired {
		access, bound = m.rec.Tokens.AccessToken, m.rec.BoundDeviceID
	}
	account, err := m.Check(ctx, access, bound)
	if ctx.Err() != nil && m.state == Paired {
		return nil
	}
	now := m.Clock.Mono()
	health := "ok"
	switch {
	case err == nil:
		m.checkFails = 0
		m.checkAt = now + m.CheckEvery
	case errors.Is(err, oauth.ErrGrantRejected) && m.state == Paired:
		m.Logger.Warn("the server rejected the grant", "err", err)
		m.report("ERROR", "GRANT_REJECTED", err.Error())
		m.checkAt = now + m.CheckEvery
		if m.rec.Tokens.RefreshToken != "" {
			// A credential to exchange again (the Data Exporter API):
			// a fresh token may be all it takes.
			m.refreshAt = now
			return nil
		}
		_, ferr := forget(ctx, m.Store, m.rec.Rev, sanitize.Line(errText(err), 200)+" Pairing again.", m.Clock.Now())
		if ferr != nil && !errors.Is(ferr, errChanged) {
			return ferr
		}
		return errChanged
	default:
		m.checkFails++
		// RomM briefly refuses a fresh token: retry soon, then rarely.
		m.checkAt = now + backoff(2*time.Second, m.checkFails, m.CheckEvery)
		health = "failed: " + sanitize.Line(errText(err), 200)
		m.Logger.Warn("check failed", "err", err, "next_in", m.checkAt-now)
	}
	if health == m.rec.Health && (account == "" || account == m.rec.Account) {
		return nil
	}
	want := m.rec.Rev
	rec, uerr := m.Store.Update(ctx, func(p *store.Pairing) error {
		if p.Rev != want {
			return errChanged
		}
		if p.Health != health {
			p.Health, p.HealthAt = health, m.Clock.Now()
		}
		if account != "" {
			p.Account = account
		}
		return nil
	})
	if uerr != nil {
		return uerr
	}
	m.rec = rec
	return nil
}
