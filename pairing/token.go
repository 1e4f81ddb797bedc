package pairing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// TokenTimeout bounds a TokenSource's refresh, including the retries of a
// commit that fails after the server rotated the refresh token (a full
// disk): long enough to ride out a brief failure.
const TokenTimeout = 2 * time.Minute

// TokenSource hands out the stored access token, refreshed first when it
// is due, to `pairingd token` and to the local API's callers. Callers at
// once share one refresh: the first starts it, the others wait for its
// result, so a burst of requests spends one refresh token, not one each.
// The refresh itself runs under the store's refresh lock and at the
// record's revision (see Refresh), so the daemon's loop and other
// processes never spend the same refresh token either.
type TokenSource struct {
	Store store.Store
	// NewClient builds the client for the server the record belongs to;
	// it is called when the stored server changes, not per token.
	NewClient func(rec store.Pairing) (*oauth.Client, error)
	Clock     Clock
	// StampedThisBoot is set in the daemon: it refreshes at its start and
	// stamps tokens on this boot's clock, so an untrusted clock does not
	// make every call due (see RefreshDue).
	StampedThisBoot bool
	// ReadOnly says the store cannot be written by this process: a due
	// token is handed out while valid (with a warning), never refreshed,
	// since a rotated refresh token that cannot be saved loses the grant.
	ReadOnly bool

	mu       sync.Mutex
	flight   *tokenFlight
	client   *oauth.Client
	clientOf store.Server
}

// Fresh is what a TokenSource hands out.
type Fresh struct {
	Tokens store.Tokens
	// Warning says why the token is older than it should be (a refresh
	// failed, or cannot be done here, while it is still valid); nil
	// otherwise.
	Warning error
}

type tokenFlight struct {
	done  chan struct{}
	fresh Fresh
	err   error
}

// Token returns a valid access token. Errors: ErrNotPaired (wrapped, with
// why) when there is no grant, ErrNotConfigured when there is no server;
// otherwise what failed, when the token cannot be vouched for.
func (ts *TokenSource) Token(ctx context.Context) (Fresh, error) {
	rec, err := ts.Store.Pairing(ctx)
	if err != nil {
		return Fresh{}, fmt.Errorf("read pairing: %w", err)
	}
	if err := paired(rec); err != nil {
		return Fresh{}, err
	}
	c, err := ts.clientFor(rec)
	if err != nil {
		return Fresh{}, err
	}
	now := ts.Clock.Now()
	if !RefreshDue(c, rec.Tokens, now, ts.StampedThisBoot) {
		return Fresh{Tokens: rec.Tokens}, nil
	}
	if ts.ReadOnly {
		const why = "the state directory cannot be written by this user, so the token cannot be refreshed here"
		if !TokenValid(rec.Tokens, now) {
			return Fresh{}, fmt.Errorf("the access token expired (or its age cannot be told from the clock), and %s; the daemon refreshes it, or run pairingd token as its user", why)
		}
		return Fresh{Tokens: rec.Tokens, Warning: fmt.Errorf("the token is due for refresh, but %s; it is valid until %s",
			why, rec.Tokens.ExpiresAt.Local().Format(time.TimeOnly))}, nil
	}
	return ts.shared(ctx, rec, c)
}

// paired checks that rec holds a grant.
func paired(rec store.Pairing) error {
	switch {
	case State(rec.State) == NotConfigured:
		return fmt.Errorf("%w: pairingd is not configured: %s", ErrNotConfigured, rec.Message)
	case State(rec.State) != Paired || rec.Tokens.IsZero():
		return fmt.Errorf("%w (state %s)", ErrNotPaired, State(rec.State))
	}
	return nil
}

// clientFor returns the client for rec's server, made once per server.
func (ts *TokenSource) clientFor(rec store.Pairing) (*oauth.Client, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.client != nil && ts.clientOf == rec.Server {
		return ts.client, nil
	}
	c, err := ts.NewClient(rec)
	if err != nil {
		return nil, err
	}
	if c.Endpoints.Token == "" {
		// Set here, so a refresh never writes to a shared client.
		c.Endpoints.Token = rec.Server.TokenEndpoint
	}
	ts.client, ts.clientOf = c, rec.Server
	return c, nil
}

// shared joins the refresh in flight, or starts one. The refresh runs on
// its own deadline, not the first caller's: one that gives up must not
// fail the others, nor cut a commit of rotated tokens short.
func (ts *TokenSource) shared(ctx context.Context, rec store.Pairing, c *oauth.Client) (Fresh, error) {
	ts.mu.Lock()
	f := ts.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		ts.flight = f
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), TokenTimeout)
			f.fresh, f.err = ts.refresh(rctx, rec, c)
			cancel()
			ts.mu.Lock()
			ts.flight = nil
			ts.mu.Unlock()
			close(f.done)
		}()
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.fresh, f.err
	case <-ctx.Done():
		return Fresh{}, ctx.Err()
	}
}

// refresh refreshes rec's tokens and says what the caller gets.
func (ts *TokenSource) refresh(ctx context.Context, rec store.Pairing, c *oauth.Client) (Fresh, error) {
	now := ts.Clock.Now()
	fresh, err := Refresh(ctx, ts.Store, c, ts.Clock, rec.Rev)
	switch {
	case err == nil && State(fresh.State) == Paired && !fresh.Tokens.IsZero():
		return Fresh{Tokens: fresh.Tokens}, nil
	case errors.Is(err, oauth.ErrInvalidGrant):
		return Fresh{}, fmt.Errorf("%w: the server no longer accepts this device; it must pair again", ErrNotPaired)
	case err == nil, errors.Is(err, ErrNotPaired):
		return Fresh{}, fmt.Errorf("%w (unpaired meanwhile)", ErrNotPaired)
	case TokenValid(rec.Tokens, now):
		// Still valid for a while: hand it out, and say why it is old.
		return Fresh{Tokens: rec.Tokens, Warning: fmt.Errorf("refresh failed, the current token is valid until %s: %w",
			rec.Tokens.ExpiresAt.Local().Format(time.TimeOnly), err)}, nil
	}
	return Fresh{}, fmt.Errorf("the access token expired (or its age cannot be told from the clock) and the refresh failed: %w", err)
}
