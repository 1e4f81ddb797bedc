package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// refreshServer is a token endpoint on loopback that counts refreshes and
// answers them with a rotated pair, or with 503 when down is set.
type refreshServer struct {
	ts   *httptest.Server
	n    atomic.Int32
	down atomic.Bool
}

func startRefreshServer(t *testing.T) *refreshServer {
	t.Helper()
	s := &refreshServer{}
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.n.Add(1)
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at-new","refresh_token":"rt-new","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(s.ts.Close)
	return s
}

// stateWithTokens makes a state directory paired with srv whose token was
// issued at issued and lives life.
func stateWithTokens(t *testing.T, srv *refreshServer, issued time.Time, life time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Update(context.Background(), func(p *store.Pairing) error {
		p.State = int(pairing.Paired)
		p.Server = store.Server{Issuer: srv.ts.URL, ClientID: "c", TokenEndpoint: srv.ts.URL + "/token"}
		p.Tokens = store.Tokens{AccessToken: "at-old", RefreshToken: "rt-old", TokenType: "Bearer",
			IssuedAt: issued, ExpiresAt: issued.Add(life)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Paired with the wall clock 20 years ahead, then corrected: the stored
// token's age cannot be told, so token refreshes it, and when the refresh
// fails it does not hand out the old token as valid.
func TestTokenClockSteppedBack(t *testing.T) {
	srv := startRefreshServer(t)
	future := time.Now().AddDate(20, 0, 0)

	dir := stateWithTokens(t, srv, future, time.Hour)
	r := pairingd(t, "token", "--state-dir", dir)
	if r.code != exitOK || strings.TrimSpace(r.stdout) != "at-new" || srv.n.Load() != 1 {
		t.Errorf("token: exit %d, stdout %q, %d refreshes; want the refreshed token after 1 refresh\nstderr: %s",
			r.code, r.stdout, srv.n.Load(), r.stderr)
	}

	srv.down.Store(true)
	dir = stateWithTokens(t, srv, future, time.Hour)
	r = pairingd(t, "token", "--state-dir", dir)
	if r.code != exitError || strings.Contains(r.stdout, "at-old") {
		t.Errorf("token with the refresh failing: exit %d, stdout %q; want exit %d and no token", r.code, r.stdout, exitError)
	}
}

// On a state directory it cannot write, token never spends the refresh
// token (the rotated one could not be saved): a due but valid token is
// handed out with a note, an expired one is an error.
func TestTokenReadOnlyNeverRefreshes(t *testing.T) {
	needReadOnlyMount(t)
	srv := startRefreshServer(t)
	now := time.Now()
	for _, tt := range []struct {
		name     string
		issued   time.Time
		wantCode int
		wantOut  string
	}{
		{"due, still valid", now.Add(-58 * time.Minute), exitOK, "at-old"},
		{"expired", now.Add(-2 * time.Hour), exitError, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := stateWithTokens(t, srv, tt.issued, time.Hour)
			before := srv.n.Load()
			r := inReadOnlyMount(t, dir, "token", "--state-dir", dir)
			if r.code != tt.wantCode || strings.TrimSpace(r.stdout) != tt.wantOut {
				t.Errorf("token: exit %d, stdout %q; want %d, %q\nstderr: %s", r.code, r.stdout, tt.wantCode, tt.wantOut, r.stderr)
			}
			if n := srv.n.Load() - before; n != 0 {
				t.Errorf("%d refresh requests from a read-only state directory, want 0", n)
			}
			if !strings.Contains(r.stderr, "cannot be written") {
				t.Errorf("stderr %q does not say why the token was not refreshed", r.stderr)
			}
		})
	}
}

// On a clock that restarted in 1970, token refreshes a token whose age it
// cannot tell, but not beside a running daemon, which stamps tokens on the
// clock of this boot and keeps them fresh: a call per minute must not
// spend a refresh token per minute.
func TestTokenUntrustedClock(t *testing.T) {
	srv := startRefreshServer(t)
	boot := time.Unix(600, 0)
	for _, tt := range []struct {
		name         string
		daemon       bool
		wantRefresh  int32
		wantTokenOut string
	}{
		{"no daemon", false, 1, "at-new"},
		{"beside a running daemon", true, 0, "at-old"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := stateWithTokens(t, srv, boot.Add(-time.Minute), time.Hour)
			if tt.daemon {
				l, err := sqlite.LockDaemon(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
			}
			before := srv.n.Load()
			var stdout, stderr strings.Builder
			code := cli(context.Background(), []string{"token", "--state-dir", dir},
				env{stdout: &stdout, stderr: &stderr, now: func() time.Time { return boot }})
			if code != exitOK || strings.TrimSpace(stdout.String()) != tt.wantTokenOut {
				t.Errorf("token: exit %d, stdout %q, want %q\nstderr: %s", code, stdout.String(), tt.wantTokenOut, stderr.String())
			}
			if n := srv.n.Load() - before; n != tt.wantRefresh {
				t.Errorf("%d refreshes, want %d", n, tt.wantRefresh)
			}
		})
	}
}
