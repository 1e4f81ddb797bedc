package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// reportTimeout bounds one error report: a down endpoint never holds up
// anything.
const reportTimeout = 10 * time.Second

// newCheck composes the daemon's checks: the health check URL, when one is
// configured (with the access token as a Bearer token when paired), then
// the profile's own check of the grant (RomM's /api/users/me). nil when
// there is nothing to check.
func newCheck(c *oauth.Client, healthURL string) func(ctx context.Context, access, bound string) (string, error) {
	checker, _ := c.Profile.(oauth.Checker)
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

// newReporter returns the daemon's failure reporter for a profile that
// takes reports (the Data Exporter API), or nil. Reports go out in the
// background with a timeout, fire and forget, and only while the device
// holds an unexpired access token. A report refused with 401 or 403 marks
// the token expired, so that the daemon exchanges its credential again.
//
// wait blocks until every report sent so far is done (each is bounded by
// reportTimeout and by ctx): the daemon calls it before it closes the
// store that the reports read and write.
func newReporter(ctx context.Context, c *oauth.Client, st store.Store, logger *slog.Logger) (report func(oauth.Report), wait func()) {
	var wg sync.WaitGroup
	rep, ok := c.Profile.(oauth.Reporter)
	if !ok {
		return nil, wg.Wait
	}
	return func(r oauth.Report) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, reportTimeout)
			defer cancel()
			rec, err := st.Pairing(ctx)
			if err != nil || rec.Tokens.AccessToken == "" || !rec.Tokens.ExpiresAt.After(time.Now()) {
				return
			}
			err = rep.Report(ctx, c, rec.Tokens.AccessToken, r)
			switch {
			case errors.Is(err, oauth.ErrGrantRejected):
				logger.Warn("error report refused; the token will be exchanged again", "err", err)
				st.Update(ctx, func(p *store.Pairing) error {
					if p.Tokens.AccessToken == rec.Tokens.AccessToken {
						p.Tokens.ExpiresAt = time.Now()
					}
					return nil
				})
			case err != nil:
				logger.Debug("error report not delivered", "err", err)
			}
		}()
	}, wg.Wait
}
