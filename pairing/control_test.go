package pairing

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
)

// changes records what Machine.Changed was told.
type changes struct {
	mu sync.Mutex
	l  []Change
}

func (c *changes) add(ch Change) { c.mu.Lock(); c.l = append(c.l, ch); c.mu.Unlock() }
func (c *changes) states() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ch := range c.l {
		out = append(out, ch.Old.String()+">"+ch.New.String())
	}
	return out
}

// Changed sees the start and every transition, in order, each after its
// commit, with the code on screen and never a secret; NewCode and Unpair
// are answered by the loop as the keys at the device are.
func TestChangedAndRequests(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.OAuthReply(400, "access_denied"),
			oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		h := newHarness(t, srv, nil)
		h.m.DeniedCooldown = 10 * time.Second
		var got changes
		h.m.Changed = func(c Change) {
			if rec := h.record(); State(rec.State) != c.New {
				t.Errorf("Changed(%v) before the commit: the record says %v", c.New, State(rec.State))
			}
			got.add(c)
		}
		h.start()
		ctx := context.Background()
		synctest.Wait()
		if _, err := h.m.Unpair(ctx); !errors.Is(err, ErrNotPaired) {
			t.Errorf("Unpair while awaiting_user = %v, want ErrNotPaired", err)
		}
		advance(5*time.Second + time.Millisecond) // denied
		advance(10 * time.Second)                 // a new code
		advance(5 * time.Second)                  // approved
		if s := State(h.record().State); s != Paired {
			t.Fatalf("state %v, want paired", s)
		}
		if err := h.m.NewCode(ctx); !errors.Is(err, ErrPaired) {
			t.Errorf("NewCode while paired = %v, want ErrPaired", err)
		}
		if revokeErr, err := h.m.Unpair(ctx); err != nil || revokeErr != nil {
			t.Errorf("Unpair while paired = %v, %v; want nil, nil", revokeErr, err)
		}
		if rec := h.record(); !rec.Tokens.IsZero() {
			t.Errorf("tokens kept after Unpair returned")
		}
		if n := len(srv.requests("/revoke")); n != 2 {
			t.Errorf("%d revocations, want 2 (refresh and access token)", n)
		}
		synctest.Wait()
		if err := h.m.NewCode(ctx); err != nil {
			t.Errorf("NewCode while awaiting_user = %v", err)
		}
		synctest.Wait()
		h.stop()

		want := []string{"unpaired>unpaired", "unpaired>awaiting_user", "awaiting_user>denied",
			"denied>awaiting_user", "awaiting_user>paired", "paired>unpaired", "unpaired>awaiting_user",
			"awaiting_user>unpaired", "unpaired>awaiting_user"}
		if g := got.states(); !slices.Equal(g, want) {
			t.Errorf("changes:\n got %v\nwant %v", g, want)
		}
		got.mu.Lock()
		defer got.mu.Unlock()
		if !got.l[0].First || got.l[1].First {
			t.Errorf("First: %v, %v; want only the first change", got.l[0].First, got.l[1].First)
		}
		if c := got.l[1]; c.UserCode != "CODE-0001" || !strings.Contains(c.VerificationURIComplete, "CODE-0001") {
			t.Errorf("awaiting_user change has code %q and URI %q, want CODE-0001", c.UserCode, c.VerificationURIComplete)
		}
		if c := got.l[4]; c.Server != "https://auth.example" || c.UserCode != "" {
			t.Errorf("paired change: server %q, code %q; want the server and no code", c.Server, c.UserCode)
		}
		if s := fmt.Sprintf("%+v", got.l); strings.Contains(s, "secret-") {
			t.Errorf("a change holds a secret: %s", s)
		}
		st := h.m.Stats()
		if int(st.Polls) != len(srv.polls()) {
			t.Errorf("Stats.Polls = %d, the server saw %d", st.Polls, len(srv.polls()))
		}
	})
}

// Errors are counted by kind, from a fixed set of names.
func TestErrorKinds(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&oauth.TransientError{Op: "token request", Err: errors.New("x"), HTTPStatus: 503}, "server_error"},
		{&oauth.OAuthError{Code: "invalid_client"}, "oauth"},
		{fmt.Errorf("device authorization: %w", oauth.ErrUnsupported), "unsupported"},
		{errors.New("what"), "other"},
	} {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Fifty callers at once while the token is due: one refresh request at
// the server, and all fifty get the new token.
func TestTokenSourceOneRefresh(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		slow := oauthtest.TokenReply("secret-access-new", "secret-refresh-new", 3600)
		slow.Delay = time.Second
		srv.refreshes = []oauthtest.Reply{slow}
		h := newHarness(t, srv, nil)
		now := h.m.Clock.Now()
		if _, err := h.st.Update(context.Background(), func(p *store.Pairing) error {
			p.State = int(Paired)
			p.Server = h.m.Server
			p.Tokens = store.Tokens{AccessToken: "secret-access-old", RefreshToken: "secret-refresh-old",
				IssuedAt: now.Add(-58 * time.Minute), ExpiresAt: now.Add(2 * time.Minute)}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ts := &TokenSource{Store: h.st, Clock: h.m.Clock, StampedThisBoot: true,
			NewClient: func(store.Pairing) (*oauth.Client, error) { return h.m.Client, nil }}
		const callers = 50
		got := make([]string, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				f, err := ts.Token(context.Background())
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
				got[i] = f.Tokens.AccessToken
			})
		}
		wg.Wait()
		refreshes := len(srv.requests("/token")) - len(srv.polls())
		if refreshes != 1 {
			t.Errorf("%d refresh requests for %d callers, want 1", refreshes, callers)
		}
		for i, g := range got {
			if g != "secret-access-new" {
				t.Errorf("caller %d got %q, want the new token", i, g)
			}
		}
		// Fresh now: no request.
		if f, err := ts.Token(context.Background()); err != nil || f.Tokens.AccessToken != "secret-access-new" {
			t.Errorf("after the refresh: %q, %v", f.Tokens.AccessToken, err)
		}
		if n := len(srv.requests("/token")) - len(srv.polls()); n != 1 {
			t.Errorf("%d refresh requests after a fresh token was asked for, want still 1", n)
		}
	})
}

// Without a grant, TokenSource says why, as an error scripts can branch on.
func TestTokenSourceNotPaired(t *testing.T) {
	h := newHarness(t, newFakeServer(), nil)
	ts := &TokenSource{Store: h.st, Clock: h.m.Clock,
		NewClient: func(store.Pairing) (*oauth.Client, error) { return h.m.Client, nil }}
	if _, err := ts.Token(context.Background()); !errors.Is(err, ErrNotPaired) {
		t.Errorf("Token without a grant = %v, want ErrNotPaired", err)
	}
	h.st.Update(context.Background(), func(p *store.Pairing) error {
		p.State, p.Message = int(NotConfigured), "Set issuer."
		return nil
	})
	if _, err := ts.Token(context.Background()); !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "Set issuer.") {
		t.Errorf("Token unconfigured = %v, want ErrNotConfigured with the hint", err)
	}
}

// An unpair the server does not confirm is done all the same, and says so.
func TestUnpairRevocationRefused(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		srv.revokes = []oauthtest.Reply{{Status: 503, Body: "down"}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(5*time.Second + time.Millisecond)
		revokeErr, err := h.m.Unpair(context.Background())
		if err != nil || revokeErr == nil {
			t.Errorf("Unpair with the revocation refused = %v, %v; want a revocation error and no error", revokeErr, err)
		}
		if rec := h.record(); !rec.Tokens.IsZero() {
			t.Errorf("tokens kept when the server refused the revocation")
		}
		synctest.Wait()
		h.stop()
	})
}

// A certificate refused as not yet valid on a clock before the software
// was made: the screen says the device waits for the clock, and when the
// clock is set the code is asked for again at once.
func TestWaitingForTheClock(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		expired := x509.CertificateInvalidError{Reason: x509.Expired}
		srv.devices = []oauthtest.Reply{{Err: &url.Error{Op: "Post", URL: "https://auth.example/device", Err: expired}}}
		h := newHarness(t, srv, nil)
		clockSet := make(chan struct{}, 1)
		h.m.ClockSet = clockSet
		h.m.NotBefore = h.m.Clock.Now().Add(24 * time.Hour) // the clock is a day behind the build
		h.start()
		synctest.Wait()
		if s := h.last(); !shows(s, Error) || !strings.Contains(s.Detail, "Waiting for the clock") {
			t.Fatalf("screen %+v, want the error screen waiting for the clock", s)
		}
		advance(time.Second)
		if n := len(srv.requests("/device")); n != 1 {
			t.Fatalf("%d code requests before the clock is set, want 1", n)
		}
		clockSet <- struct{}{}
		advance(time.Second)
		if n := len(srv.requests("/device")); n != 2 {
			t.Errorf("%d code requests 1 s after the clock was set, want 2 (at once, not after the backoff)", n)
		}
		if s := h.last(); !shows(s, AwaitingUser) {
			t.Errorf("screen %+v after the clock was set, want a code", s)
		}
		h.stop()
	})
}
