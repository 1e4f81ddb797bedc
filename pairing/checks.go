package pairing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// startCheckTimeout bounds the check at start, so a hung health endpoint
// does not hold up the first code.
const startCheckTimeout = 5 * time.Second

// checkFunc checks the server and the grant; access is "" when there is no
// token. It returns whom the device is paired with, when the server says.
type checkFunc func(ctx context.Context, access, bound string) (account string, err error)

// newCheck composes the checks for c's profile: the health check URL, when
// one is configured (with the access token as a Bearer token when paired),
// then the profile's own check of the grant (RomM's /api/users/me). nil
// when there is nothing to check.
func newCheck(c *oauth.Client, healthURL string) checkFunc {
	checker, _ := c.Wire().(oauth.Checker)
	if healthURL == "" && checker == nil {
		return nil
	}
	return func(ctx context.Context, access, bound string) (string, error) {
		if healthURL != "" {
			if err := healthCheck(ctx, c, healthURL, access); err != nil {
				return "", err
			}
		}
		if checker == nil || access == "" {
			return "", nil
		}
		return checker.Check(ctx, c, access, bound)
	}
}

// healthCheck GETs url; any 2xx is healthy.
func healthCheck(ctx context.Context, c *oauth.Client, url, access string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	resp, err := c.Do(ctx, "health check", req)
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return &oauth.TransientError{Op: "health check", HTTPStatus: resp.Status, Err: errors.New("not healthy")}
	}
	return nil
}

// runCheck checks the server and the grant, stores the result when it
// changed, and schedules the next check.
func (m *Machine) runCheck(ctx context.Context) error {
	var access, bound string
	if m.state == Paired {
		access, bound = m.rec.Tokens.AccessToken, m.rec.BoundDeviceID
	}
	account, err := m.check(ctx, access, bound)
	if ctx.Err() != nil && m.state == Paired {
		return nil
	}
	now := m.Clock.Mono()
	health := "ok"
	switch {
	case err == nil:
		m.checkFails = 0
		m.checkAt = now + spreadCheck(m.CheckEvery, m.rand())
	case errors.Is(err, oauth.ErrGrantRejected) && m.state == Paired:
		m.checkAt = now + spreadCheck(m.CheckEvery, m.rand())
		m.report("ERROR", "GRANT_REJECTED", err.Error())
		return m.grantRejected(ctx, "a check", err)
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

// grantRejected is the one path for a grant the server no longer accepts,
// whoever found out (a check, or a report the server refused): a device
// with a credential to exchange again (the Data Exporter API) does so at
// once, since a fresh token may be all it takes; any other pairs again,
// and the next code's screen says why.
func (m *Machine) grantRejected(ctx context.Context, by string, err error) error {
	m.Logger.Warn("the server rejected the grant", "found_by", by, "err", err)
	if m.rec.Tokens.RefreshToken != "" {
		m.refreshAt = m.Clock.Mono()
		return nil
	}
	why := sanitize.Line(errText(err), 200) + " Pairing again."
	m.reason = why
	m.nextAt = m.Clock.Mono()
	return m.enterState(ctx, Unpaired, why, clearGrant, false)
}
