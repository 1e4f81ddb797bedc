package pairing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// ErrNotPaired means there is no grant to use.
var ErrNotPaired = errors.New("not paired")

// errNoRefreshToken means the access token is due and there is no refresh
// token to renew it with: the device has to pair again.
var errNoRefreshToken = errors.New("access token expired and there is no refresh token")

// minRefreshGap is the least time between two refreshes by the daemon,
// whatever the tokens' lifetime and whatever the wall clock says. Each
// refresh is a request, an fsync and a rotated refresh token in flight, so
// a server that hands out 1 s tokens gets one every 5 s, not a loop.
const minRefreshGap = 5 * time.Second

// leadFor is how long before expiry a token of this lifetime is refreshed:
// the profile's lead, but at most half the lifetime, so that a token that
// lives no longer than the lead is not due the moment it arrives.
func leadFor(c *oauth.Client, lifetime time.Duration) time.Duration {
	return min(c.RefreshLead(lifetime), lifetime/2)
}

// refreshIn returns how long from now (wall) until t should be refreshed:
// its refresh lead before expiry; forever when it does not expire; and 0
// when there is no access token yet (the Data Exporter API's credential).
//
// The token's age is judged by the wall clock against its IssuedAt, both
// read on the same clock, so a clock that is wrong but runs on (a board in
// 1970) still schedules correctly. A token issued in what is now the
// future (the clock was stepped back since) has an age nobody can tell:
// it is due now.
func refreshIn(c *oauth.Client, t store.Tokens, now time.Time) time.Duration {
	switch {
	case t.AccessToken == "" && t.RefreshToken != "":
		return 0
	case t.ExpiresAt.IsZero():
		return forever
	}
	lifetime := t.ExpiresAt.Sub(t.IssuedAt)
	age := now.Sub(t.IssuedAt)
	if t.IssuedAt.IsZero() || lifetime <= 0 || age < 0 {
		return 0
	}
	return max(lifetime-leadFor(c, lifetime)-age, 0)
}

// RefreshDue reports whether the stored access token should be refreshed
// before use. On a wall clock that cannot be trusted (before 2025: a board
// without a real-time clock that has not reached NTP) an expiring token is
// due, since its age cannot be told from a clock that restarted; unless
// stampedThisBoot: a running daemon refreshed at its start and stamps the
// tokens on this boot's clock, so their age can be read on it.
func RefreshDue(c *oauth.Client, t store.Tokens, now time.Time, stampedThisBoot bool) bool {
	if t.IsZero() {
		return false
	}
	in := refreshIn(c, t, now)
	return in == 0 || (in != forever && !clockSane(now) && !stampedThisBoot)
}

// TokenValid reports whether the wall clock vouches for t's access token at
// now: it has no expiry, or it was issued before now and expires after it,
// on a clock that can be trusted. A token issued in the future of a clock
// that was stepped back is not vouched for.
func TokenValid(t store.Tokens, now time.Time) bool {
	switch {
	case t.AccessToken == "":
		return false
	case t.ExpiresAt.IsZero():
		return true
	}
	return clockSane(now) && !now.Before(t.IssuedAt) && now.Before(t.ExpiresAt)
}

// tokensFrom turns a token response into stored tokens. A response without
// refresh_token keeps the old one (RFC 6749 §6: the server "MAY issue a new
// refresh token").
func tokensFrom(tok oauth.Token, old store.Tokens, now time.Time) store.Tokens {
	t := store.Tokens{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		Scope:        tok.Scope,
		IssuedAt:     now,
	}
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	if t.Scope == "" {
		t.Scope = old.Scope
	}
	if tok.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(tok.ExpiresIn)
	}
	return t
}

// Refresh renews the access token with the refresh token, if the record is
// still at revision rev (otherwise another process got there first, and the
// current record is returned untouched). The daemon and `pairingd token` both
// use it, under the store's refresh lock: refresh tokens rotate and a used
// one dies, so two processes must never spend the same one.
//
// The new tokens, including a rotated refresh token, are committed in one
// transaction before Refresh returns; a failed commit is retried, with the
// tokens held in memory and the lock held, until it succeeds or ctx ends
// (the server has already spent the old refresh token, so the new one is
// all there is). Retries are logged on the client's logger. invalid_grant
// clears the grant in the store (the device pairs again) and returns an
// error matching ErrInvalidGrant; network and server errors keep the
// tokens.
func Refresh(ctx context.Context, st store.Store, c *oauth.Client, clock Clock, rev int64) (store.Pairing, error) {
	return refresh(ctx, st, c, clock, rev, refreshHooks{onRetry: func(err error, wait time.Duration) {
		c.Log().Warn("saving the refreshed tokens failed; retrying", "err", err, "retry_in", wait)
	}})
}

// refreshHooks let the daemon's loop stay alive and say what happens while
// a refresh waits: for the lock (a `pairingd token` holds it), or to retry
// a commit.
type refreshHooks struct {
	// onRetry is told of each failed commit of new tokens, before the
	// wait for the next try.
	onRetry func(err error, wait time.Duration)
	// alive, when set, is called at least every aliveEvery while the
	// refresh waits: the systemd watchdog hangs off it.
	alive      func()
	aliveEvery time.Duration
}

// lock takes the store's refresh lock, calling alive while it waits.
func (h refreshHooks) lock(ctx context.Context, st store.Store) (func(), error) {
	if h.alive == nil || h.aliveEvery <= 0 {
		return st.RefreshLock(ctx)
	}
	for {
		lctx, cancel := context.WithTimeout(ctx, h.aliveEvery)
		release, err := st.RefreshLock(lctx)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return release, err
		}
		h.alive()
	}
}

// wait lets d of monotonic time pass, calling alive meanwhile; it returns
// false when ctx ends first.
func (h refreshHooks) wait(ctx context.Context, clock Clock, d time.Duration) bool {
	for d > 0 {
		step := d
		if h.alive != nil && h.aliveEvery > 0 {
			step = min(d, h.aliveEvery)
		}
		select {
		case <-ctx.Done():
			return false
		case <-clock.After(step):
		}
		d -= step
		if h.alive != nil {
			h.alive()
		}
	}
	return true
}

// refresh is Refresh with the daemon's hooks.
func refresh(ctx context.Context, st store.Store, c *oauth.Client, clock Clock, rev int64, h refreshHooks) (store.Pairing, error) {
	release, err := h.lock(ctx, st)
	if err != nil {
		return store.Pairing{}, err // it says "refresh lock"
	}
	defer release()
	rec, err := st.Pairing(ctx)
	if err != nil {
		return rec, fmt.Errorf("refresh: read pairing: %w", err)
	}
	if rec.Rev != rev {
		return rec, nil
	}
	if State(rec.State) != Paired || rec.Tokens.IsZero() {
		return rec, ErrNotPaired
	}
	if rec.Tokens.RefreshToken == "" {
		rec, err = forget(ctx, st, rec.Rev, "The access token expired. Pair again.", clock.Now())
		if err != nil {
			return rec, err
		}
		return rec, errNoRefreshToken
	}
	if c.Endpoints.Token == "" {
		c.Endpoints.Token = rec.Server.TokenEndpoint
	}
	now := clock.Now()
	spent := rec.Tokens.RefreshToken
	tok, err := c.Refresh(ctx, oauth.Grant{RefreshToken: spent, BoundDeviceID: rec.BoundDeviceID})
	switch {
	case errors.Is(err, oauth.ErrInvalidGrant):
		why := "The server no longer accepts this device."
		var oe *oauth.OAuthError
		if errors.As(err, &oe) && oe.Description != "" {
			why = sanitize.Line(oe.Description, 200) + "."
		}
		if _, ferr := forget(ctx, st, rec.Rev, why+" Pairing again.", clock.Now()); ferr != nil {
			return rec, ferr
		}
		return rec, err
	case errors.Is(err, oauth.ErrBadToken) && tok.RefreshToken != "" && tok.RefreshToken != rec.Tokens.RefreshToken:
		// The answer is refused, but the server rotated the refresh token
		// in it: keep that one, or the next refresh presents a dead one.
		kept, serr := commitRefresh(ctx, st, clock, spent, h, func(p *store.Pairing) {
			p.Tokens.RefreshToken = tok.RefreshToken
		})
		if serr != nil {
			return rec, errors.Join(err, serr)
		}
		return kept, err
	case err != nil:
		return rec, err
	}
	tokens := tokensFrom(tok, rec.Tokens, now)
	return commitRefresh(ctx, st, clock, spent, h, func(p *store.Pairing) {
		p.Tokens = tokens
		if tok.BoundDeviceID != "" {
			p.BoundDeviceID = tok.BoundDeviceID
		}
	})
}

// commitRefresh commits what a refresh answered, if the record still holds
// the grant whose refresh token was spent, retrying a failed commit with
// backoff until it succeeds or ctx ends. Writes that leave the grant alone
// (a health check, a report marking the token expired) do not stop it;
// a grant that is gone (errChanged) does: only the daemon's own check
// forgets one without the refresh lock, and then the new tokens belong to
// nobody.
func commitRefresh(ctx context.Context, st store.Store, clock Clock, spent string, h refreshHooks, edit func(*store.Pairing)) (store.Pairing, error) {
	for failures := 1; ; failures++ {
		rec, err := st.Update(ctx, func(p *store.Pairing) error {
			if State(p.State) != Paired || p.Tokens.RefreshToken != spent {
				return errChanged
			}
			edit(p)
			return nil
		})
		if err == nil || errors.Is(err, errChanged) {
			return rec, err
		}
		if errors.Is(err, store.ErrReadOnly) {
			return rec, fmt.Errorf("save the refreshed tokens: %w", err)
		}
		if ctx.Err() != nil {
			return rec, fmt.Errorf("save the refreshed tokens: %w", err)
		}
		wait := backoff(time.Second, failures, 30*time.Second)
		if h.onRetry != nil {
			h.onRetry(err, wait)
		}
		if !h.wait(ctx, clock, wait) {
			return rec, fmt.Errorf("save the refreshed tokens: %w", err)
		}
	}
}

// unpairLockWait bounds Unpair's wait for the refresh lock.
const unpairLockWait = 2 * time.Minute

// forget clears the grant and puts the record back to Unpaired.
func forget(ctx context.Context, st store.Store, rev int64, why string, now time.Time) (store.Pairing, error) {
	return st.Update(ctx, func(p *store.Pairing) error {
		if p.Rev != rev {
			return errChanged
		}
		clearGrant(p)
		p.State = int(Unpaired)
		p.StateSince = now
		p.Message = why
		return nil
	})
}

// Unpair forgets the grant and keeps the device's own id. When the server
// has a revocation endpoint (RFC 7009) the refresh token, then the access
// token, are revoked first; a failed revocation is returned but the grant is
// forgotten all the same, since the user asked for it. A running daemon
// notices the change and shows a new code.
//
// The refresh lock is waited for at most unpairLockWait: the daemon holds it
// while it retries saving rotated tokens to a failing disk, and a person
// who typed `pairingd unpair` must hear why nothing happens.
func Unpair(ctx context.Context, st store.Store, c *oauth.Client, now time.Time) (revokeErr, err error) {
	return unpair(ctx, st, c, now, "Unpaired by pairingd unpair.")
}

// unpair is Unpair with why, the message the unpaired record keeps (the
// next code's screen shows it).
func unpair(ctx context.Context, st store.Store, c *oauth.Client, now time.Time, why string) (revokeErr, err error) {
	lctx, cancel := context.WithTimeout(ctx, unpairLockWait)
	release, err := st.RefreshLock(lctx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, fmt.Errorf("another pairingd process has held the refresh lock for %v (the daemon retrying to save tokens to a failing disk?); see its log: %w", unpairLockWait, err)
	}
	if err != nil {
		return nil, err // it says "refresh lock"
	}
	defer release()
	rec, err := st.Pairing(ctx)
	if err != nil {
		return nil, fmt.Errorf("read pairing: %w", err)
	}
	if c != nil && !rec.Tokens.IsZero() {
		if c.Endpoints.Revocation == "" {
			c.Endpoints.Revocation = rec.Server.RevocationEndpoint
		}
		if c.Endpoints.Revocation != "" {
			var errs []error
			if rt := rec.Tokens.RefreshToken; rt != "" {
				errs = append(errs, c.Revoke(ctx, rt, "refresh_token"))
			}
			errs = append(errs, c.Revoke(ctx, rec.Tokens.AccessToken, "access_token"))
			revokeErr = errors.Join(errs...)
		}
	}
	_, err = forget(ctx, st, rec.Rev, why, now)
	if err != nil {
		return revokeErr, fmt.Errorf("forget the pairing: %w", err)
	}
	return revokeErr, nil
}
