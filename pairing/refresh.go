package pairing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/store"
)

// ErrNotPaired means there is no grant to use.
var ErrNotPaired = errors.New("not paired")

// errNoRefreshToken means the access token is due and there is no refresh
// token to renew it with: the device has to pair again.
var errNoRefreshToken = errors.New("access token expired and there is no refresh token")

// minRefreshLead is the least time before expiry a refresh starts.
const minRefreshLead = 10 * time.Second

// refreshIn returns how long from now (wall) until t should be refreshed:
// its lifetime's refresh lead (10 % of it, at least 10 s, unless the profile
// says otherwise) before expiry; forever when it does not expire; and 0
// when there is no access token yet (the Data Exporter API's credential)
// or the wall clock cannot be trusted to say.
func (c *Client) refreshIn(t store.Tokens, now time.Time) time.Duration {
	switch {
	case t.AccessToken == "" && t.RefreshToken != "":
		return 0
	case t.ExpiresAt.IsZero():
		return forever
	case !clockSane(now):
		return 0
	}
	lead := c.refreshLead(t.ExpiresAt.Sub(t.IssuedAt))
	return max(t.ExpiresAt.Add(-lead).Sub(now), 0)
}

// RefreshDue reports whether the stored access token should be refreshed
// before use.
func (c *Client) RefreshDue(t store.Tokens, now time.Time) bool {
	return !t.IsZero() && c.refreshIn(t, now) == 0
}

// tokensFrom turns a token response into stored tokens. A response without
// refresh_token keeps the old one (RFC 6749 §6: the server "MAY issue a new
// refresh token").
func tokensFrom(tok Token, old store.Tokens, now time.Time) store.Tokens {
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
// transaction before Refresh returns. invalid_grant clears the grant in the
// store (the device pairs again) and returns an error matching
// ErrInvalidGrant; network and server errors keep the tokens.
func Refresh(ctx context.Context, st store.Store, c *Client, clock Clock, rev int64) (store.Pairing, error) {
	release, err := st.RefreshLock(ctx)
	if err != nil {
		return store.Pairing{}, fmt.Errorf("refresh lock: %w", err)
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
	tok, err := c.Refresh(ctx, Grant{RefreshToken: rec.Tokens.RefreshToken, BoundDeviceID: rec.BoundDeviceID})
	if errors.Is(err, ErrInvalidGrant) {
		why := "The server no longer accepts this device."
		var oe *OAuthError
		if errors.As(err, &oe) && oe.Description != "" {
			why = sanitize.Line(oe.Description, 200) + "."
		}
		if _, ferr := forget(ctx, st, rec.Rev, why+" Pairing again.", clock.Now()); ferr != nil {
			return rec, ferr
		}
		return rec, err
	}
	if err != nil {
		return rec, err
	}
	tokens := tokensFrom(tok, rec.Tokens, now)
	return st.Update(ctx, func(p *store.Pairing) error {
		if p.Rev != rev {
			// Only an unpair can get here while we hold the lock; it
			// wins, and the new grant is dropped.
			return errChanged
		}
		p.Tokens = tokens
		if tok.BoundDeviceID != "" {
			p.BoundDeviceID = tok.BoundDeviceID
		}
		return nil
	})
}

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
func Unpair(ctx context.Context, st store.Store, c *Client, now time.Time) (revokeErr, err error) {
	release, err := st.RefreshLock(ctx)
	if err != nil {
		return nil, fmt.Errorf("refresh lock: %w", err)
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
	_, err = forget(ctx, st, rec.Rev, "Unpaired by pairingd unpair.", now)
	if err != nil {
		return revokeErr, fmt.Errorf("forget the pairing: %w", err)
	}
	return revokeErr, nil
}
