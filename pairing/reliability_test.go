package pairing

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// The tests in this file each reproduce a way a hostile server, a failing
// disk or a wrong clock used to lose a grant or spin the loop.

var errDiskFull = errors.New("database or disk is full")

func TestRefreshIn(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tokens := func(issued time.Time, life time.Duration) store.Tokens {
		return store.Tokens{AccessToken: "a", RefreshToken: "r", IssuedAt: issued, ExpiresAt: issued.Add(life)}
	}
	c := &oauth.Client{}
	for _, tt := range []struct {
		name string
		t    store.Tokens
		want time.Duration
	}{
		{"1 h token just issued: 10 % lead", tokens(now, time.Hour), 54 * time.Minute},
		{"1 h token half used", tokens(now.Add(-30*time.Minute), time.Hour), 24 * time.Minute},
		{"100 s token: 10 s lead", tokens(now, 100*time.Second), 90 * time.Second},
		{"10 s token: half its life, not due at once", tokens(now, 10*time.Second), 5 * time.Second},
		{"2 s token", tokens(now, 2*time.Second), time.Second},
		{"1 s token", tokens(now, time.Second), 500 * time.Millisecond},
		{"expired token", tokens(now.Add(-2*time.Hour), time.Hour), 0},
		{"issued on a clock in 1970 that runs on", tokens(now.AddDate(-56, 0, 0).Add(-time.Minute), time.Hour),
			0}, // judged at a sane now: 56 years old
		{"issued in the future (clock stepped back)", tokens(now.AddDate(20, 0, 0), time.Hour), 0},
		{"no expiry", store.Tokens{AccessToken: "a", IssuedAt: now}, forever},
		{"credential only", store.Tokens{RefreshToken: "r"}, 0},
	} {
		if got := refreshIn(c, tt.t, now); got != tt.want {
			t.Errorf("%s: refreshIn = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A clock that is wrong but runs on schedules as a right one does.
	in1970 := time.Date(1970, 1, 1, 0, 10, 0, 0, time.UTC)
	if got, want := refreshIn(c, tokens(in1970.Add(-time.Minute), time.Hour), in1970), 53*time.Minute; got != want {
		t.Errorf("1 h token issued a minute ago on a 1970 clock: refreshIn = %v, want %v", got, want)
	}
}

func TestTokenValidAndDue(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := &oauth.Client{}
	for _, tt := range []struct {
		name             string
		t                store.Tokens
		now              time.Time
		wantValid, wantD bool
	}{
		{"fresh", store.Tokens{AccessToken: "a", RefreshToken: "r", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}, now, true, false},
		{"near expiry", store.Tokens{AccessToken: "a", RefreshToken: "r", IssuedAt: now.Add(-58 * time.Minute), ExpiresAt: now.Add(2 * time.Minute)}, now, true, true},
		{"expired", store.Tokens{AccessToken: "a", RefreshToken: "r", IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}, now, false, true},
		{"paired 20 years ahead, clock corrected", store.Tokens{AccessToken: "a", RefreshToken: "r",
			IssuedAt: now.AddDate(20, 0, 0), ExpiresAt: now.AddDate(20, 0, 0).Add(time.Hour)}, now, false, true},
		{"clock in 1970", store.Tokens{AccessToken: "a", RefreshToken: "r",
			IssuedAt: time.Unix(60, 0), ExpiresAt: time.Unix(3660, 0)}, time.Unix(120, 0), false, true},
		{"no expiry", store.Tokens{AccessToken: "a"}, now, true, false},
		{"no expiry, clock in 1970", store.Tokens{AccessToken: "a"}, time.Unix(120, 0), true, false},
	} {
		if got := TokenValid(tt.t, tt.now); got != tt.wantValid {
			t.Errorf("%s: TokenValid = %v, want %v", tt.name, got, tt.wantValid)
		}
		if got := RefreshDue(c, tt.t, tt.now, false); got != tt.wantD {
			t.Errorf("%s: RefreshDue = %v, want %v", tt.name, got, tt.wantD)
		}
	}
	// Stamped on this boot's clock by a running daemon, a young token is
	// not due on a 1970 clock; an old one still is.
	young := store.Tokens{AccessToken: "a", RefreshToken: "r", IssuedAt: time.Unix(60, 0), ExpiresAt: time.Unix(3660, 0)}
	if RefreshDue(c, young, time.Unix(120, 0), true) {
		t.Errorf("RefreshDue of a token stamped a minute ago this boot = true, want false")
	}
	if !RefreshDue(c, young, time.Unix(3600, 0), true) {
		t.Errorf("RefreshDue of a token stamped near its expiry this boot = false, want true")
	}
}

// storePaired writes a paired record with tokens to st, as a daemon that
// paired before a restart left it.
func storePaired(t *testing.T, st *storetest.Fake, srv store.Server, tokens store.Tokens) store.Pairing {
	t.Helper()
	rec, err := st.Update(context.Background(), func(p *store.Pairing) error {
		p.State = int(Paired)
		p.Server = srv
		p.Tokens = tokens
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// refreshCount counts refresh_token requests.
func (s *fakeServer) refreshCount() int {
	n := 0
	for _, r := range s.requests("/token") {
		if r.form.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

// TestRefreshRate runs a paired daemon for a while against a server whose
// tokens live 1 s, 5 s, 10 s or 1 h, and with the wall clock in 1970, and
// counts refresh requests and commits per minute. Whatever the lifetime or
// the clock, refreshes are at least minRefreshGap apart, and a token that
// lives longer than that is refreshed before it expires.
func TestRefreshRate(t *testing.T) {
	const run = 10 * time.Minute
	for _, tt := range []struct {
		name    string
		life    int // seconds
		in1970  bool
		restart bool // resume stored tokens at start instead of pairing
		// wantMax is the most refreshes allowed in run; wantMin the fewest
		// that keep the token fresh.
		wantMin, wantMax int
	}{
		{"1 s tokens", 1, false, false, 100, 120},
		{"5 s tokens", 5, false, false, 100, 120},
		{"10 s tokens", 10, false, false, 100, 120},
		{"1 h tokens", 3600, false, false, 0, 0},
		{"1 h tokens, clock in 1970", 3600, true, false, 0, 0},
		{"1 h tokens resumed, clock in 1970", 3600, true, true, 1, 1},
		{"2 s tokens, clock in 1970", 2, true, false, 100, 120},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				srv.refreshTTL = tt.life
				st := storetest.NewFake()
				h := newHarness(t, srv, st)
				clk := h.m.Clock.(*jumpClock)
				if tt.in1970 {
					clk.set(-time.Since(time.Unix(1000, 0)))
				}
				if tt.restart {
					now := clk.Now()
					storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
						TokenType: "Bearer", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(59 * time.Minute)})
				} else {
					srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", tt.life)}
				}
				w0, r0 := st.Writes(), 0
				h.start()
				advance(6 * time.Second) // paired by now
				if !tt.restart {
					w0, r0 = st.Writes(), srv.refreshCount()
				}
				advance(run)
				h.stop()
				refreshes, writes := srv.refreshCount()-r0, st.Writes()-w0
				t.Logf("%s: %.1f refreshes/min, %.1f commits/min", tt.name,
					float64(refreshes)/run.Minutes(), float64(writes)/run.Minutes())
				if refreshes > tt.wantMax || refreshes < tt.wantMin {
					t.Errorf("%d refreshes in %v, want %d to %d", refreshes, run, tt.wantMin, tt.wantMax)
				}
				if writes > refreshes+1 {
					t.Errorf("%d commits for %d refreshes", writes, refreshes)
				}
				if rec := h.record(); State(rec.State) != Paired {
					t.Errorf("state %v after %v, want paired", State(rec.State), run)
				}
				if tt.life >= 10 && !tt.restart {
					// Refreshed before expiry: every gap between refreshes is
					// shorter than the lifetime.
					var at []time.Duration
					for _, r := range srv.requests("/token") {
						if r.form.Get("grant_type") == "refresh_token" {
							at = append(at, r.at)
						}
					}
					for i := 1; i < len(at); i++ {
						if g := at[i] - at[i-1]; g >= time.Duration(tt.life)*time.Second || g < minRefreshGap {
							t.Errorf("refresh %d came %v after the one before, want %v to %ds", i, g, minRefreshGap, tt.life)
						}
					}
				}
			})
		})
	}
}

// A commit that fails after the server rotated the refresh token is
// retried with the new tokens kept in memory: the next refresh presents the
// rotated token, and the server accepts it.
func TestRefreshCommitRetried(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 100)}
		srv.refreshTTL = 100
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		h.start()
		advance(6 * time.Second) // paired at 5 s
		advance(88 * time.Second)
		st.FailNextUpdate(errDiskFull) // the refresh at 95 s
		advance(2 * time.Second)
		if n := srv.refreshCount(); n != 1 {
			t.Fatalf("%d refreshes by 96 s, want 1", n)
		}
		rec := h.record()
		if rec.Tokens.RefreshToken != "secret-refresh-r1" {
			t.Errorf("after a failed commit the stored refresh token is not the rotated one")
		}
		advance(100 * time.Second) // the next refresh, with the rotated token
		h.stop()
		if got := State(h.record().State); got != Paired {
			t.Errorf("state %v after the next refresh, want paired (the server got a dead refresh token)", got)
		}
		if n := srv.refreshCount(); n != 2 {
			t.Errorf("%d refreshes, want 2", n)
		}
		if !strings.Contains(h.log.String(), "saving the refreshed tokens") {
			t.Errorf("the failed commit was not logged:\n%s", h.log.String())
		}
	})
}

// Refresh as `pairingd token` calls it retries a failed commit too.
func TestRefreshFuncCommitRetried(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.refreshTTL = 3600
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		now := h.m.Clock.Now()
		rec := storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
		st.FailNextUpdate(errDiskFull)
		got, err := Refresh(context.Background(), st, h.m.Client, h.m.Clock, rec.Rev)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got.Tokens.RefreshToken != "secret-refresh-r1" || h.record().Tokens.RefreshToken != "secret-refresh-r1" {
			t.Errorf("the rotated refresh token was not committed after the retry")
		}
	})
}

// A refused refresh answer (token_type mac) still carries the rotated
// refresh token, which is kept.
func TestRefreshBadAnswerKeepsRotated(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.refreshes = []oauthtest.Reply{{Status: 200, Body: `{"access_token":"secret-access-2","token_type":"mac","refresh_token":"secret-refresh-2","expires_in":3600}`}}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		now := h.m.Clock.Now()
		rec := storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
		_, err := Refresh(context.Background(), st, h.m.Client, h.m.Clock, rec.Rev)
		if !errors.Is(err, oauth.ErrBadToken) {
			t.Fatalf("Refresh error %v, want ErrBadToken", err)
		}
		if got := h.record(); got.Tokens.RefreshToken != "secret-refresh-2" || State(got.State) != Paired {
			t.Errorf("after a refused answer with a rotated refresh token: state %v, rotated token kept %v",
				State(got.State), got.Tokens.RefreshToken == "secret-refresh-2")
		}
		if strings.Contains(err.Error(), "secret-") {
			t.Errorf("the error holds a secret: %v", err)
		}
	})
}

// Paired with the wall clock 20 years ahead, corrected, restarted: the
// token's age cannot be told, so it is refreshed at once, and then on
// schedule.
func TestClockSteppedBackAfterPairing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.refreshTTL = 3600
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		future := h.m.Clock.Now().AddDate(20, 0, 0)
		storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			IssuedAt: future, ExpiresAt: future.Add(time.Hour)})
		h.start()
		advance(time.Second)
		if n := srv.refreshCount(); n != 1 {
			t.Errorf("%d refreshes in the first second, want 1", n)
		}
		advance(70 * time.Second)
		h.stop()
		if n := srv.refreshCount(); n != 1 {
			t.Errorf("%d refreshes in 71 s, want 1 (then on the 1 h schedule)", n)
		}
		if rec := h.record(); rec.Tokens.AccessToken != "secret-access-r1" {
			t.Errorf("the stored token is not the refreshed one")
		}
	})
}

// When every code dies young (a server answering expires_in=1, or
// expired_token or an unusable 200 at the first poll), new codes back off
// to one per 5 min instead of a loop.
func TestCodeDeathsBackOff(t *testing.T) {
	expired := oauthtest.OAuthReply(400, "expired_token")
	consumed := oauthtest.Reply{Status: 200, Body: `{"access_token":`}
	mac := oauthtest.Reply{Status: 200, Body: `{"access_token":"secret-access-x","token_type":"mac"}`}
	for _, tt := range []struct {
		name      string
		expiresIn int
		reply     *oauthtest.Reply
	}{
		{"expires_in=1", 1, nil},
		{"expired_token at once", 600, &expired},
		{"200 that cannot be read", 600, &consumed},
		{"200 that cannot be used", 600, &mac},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				srv.expiresIn = tt.expiresIn
				srv.tokenDefault = tt.reply
				st := storetest.NewFake()
				h := newHarness(t, srv, st)
				h.start()
				advance(30 * time.Minute)
				h.stop()
				codes := srv.requests("/device")
				t.Logf("%s: %d codes and %d commits in 30 min", tt.name, len(codes), st.Writes())
				// 0, 10, 20, 40, 80, 160 s, then every 5 min.
				if len(codes) > 14 {
					t.Errorf("%d codes in 30 min, want at most 14", len(codes))
				}
				if n := len(codes); n >= 8 {
					if g := codes[n-1].at - codes[n-2].at; g < 5*time.Minute {
						t.Errorf("the last codes came %v apart, want 5 min", g)
					}
				} else {
					t.Errorf("%d codes in 30 min, want the server tried again", n)
				}
			})
		})
	}
}

// A code that lives its normal life and expires is replaced at once, every
// time: only codes that die young back off.
func TestExpiredCodesReplacedAtOnce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.expiresIn = 120
		h := newHarness(t, srv, nil)
		h.start()
		advance(10*time.Minute + time.Second)
		h.stop()
		codes := srv.requests("/device")
		if len(codes) != 6 {
			t.Errorf("%d codes in 10 min of 2 min codes, want 6", len(codes))
		}
	})
}

// After a clock step back of a day, a restart does not resume the stored
// code with the day added to its life.
func TestResumeAfterClockStepBack(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		issued := h.m.Clock.Now().Add(24 * time.Hour) // the clock was a day ahead
		st.Update(context.Background(), func(p *store.Pairing) error {
			p.State = int(AwaitingUser)
			p.Server = h.m.Server
			p.Code = store.Code{DeviceCode: "secret-device-code-0", UserCode: "OLD-CODE",
				VerificationURI: "https://auth.example/device", Interval: 5 * time.Second,
				IssuedAt: issued, ExpiresAt: issued.Add(10 * time.Minute)}
			return nil
		})
		h.start()
		advance(time.Second)
		h.stop()
		s := h.last()
		if s.UserCode == "OLD-CODE" {
			t.Errorf("the code issued a day in the future was resumed, deadline %v", s.Deadline.Sub(h.m.Clock.Now()))
		}
		if left := s.Deadline.Sub(h.m.Clock.Now()); left > 10*time.Minute {
			t.Errorf("the code on screen expires in %v, more than the server granted", left)
		}
	})
}

// Error texts name the step once: no "discovery: discovery:".
func TestNoRepeatedPrefixes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		h := newHarness(t, srv, nil)
		h.m.Client.Endpoints.DeviceAuthorization = ""
		h.m.Discover = func(ctx context.Context) (oauth.Endpoints, error) {
			return oauth.Endpoints{}, &oauth.TransientError{Op: "discovery", Err: errors.New("connection refused")}
		}
		h.start()
		advance(time.Second)
		h.stop()
		out := h.log.String()
		for _, p := range []string{"discovery: discovery", "refresh lock: refresh lock"} {
			if strings.Contains(out, p) {
				t.Errorf("the log repeats %q:\n%s", p, out)
			}
		}
		if !strings.Contains(out, "discovery") {
			t.Errorf("the log does not say discovery failed:\n%s", out)
		}
	})
}

// TLS failures name their cause and what to do, on screen and in the
// stored message that `pairingd status` prints, instead of "no
// connection".
func TestTLSFailureSaysWhy(t *testing.T) {
	untrusted := &url.Error{Op: "Post", URL: "https://auth.example/device",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	expired := &url.Error{Op: "Post", URL: "https://auth.example/device",
		Err: x509.CertificateInvalidError{Reason: x509.Expired}}
	for _, tt := range []struct {
		name  string
		err   error
		words []string
	}{
		{"unknown CA", untrusted, []string{"certificate is not trusted", "ca_file"}},
		{"expired certificate", expired, []string{"expired", "clock"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				srv.devices = []oauthtest.Reply{{Err: tt.err}}
				h := newHarness(t, srv, nil)
				h.start()
				advance(time.Second)
				h.stop()
				for what, text := range map[string]string{"screen": h.last().Detail, "stored message": h.record().Message} {
					for _, w := range tt.words {
						if !strings.Contains(text, w) {
							t.Errorf("%s %q does not say %q", what, text, w)
						}
					}
					if strings.Contains(text, "no connection") {
						t.Errorf("%s %q says no connection", what, text)
					}
				}
			})
		})
	}
}

// A server that refuses every refresh answer (token_type DPoP) but rotates
// the refresh token in it: the kept token is the daemon's own write, not
// another process's, so the refresh backs off (10 s doubling) instead of
// coming back every 5 s.
func TestRefusedRefreshBacksOff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		for i := 1; i <= 300; i++ {
			srv.refreshes = append(srv.refreshes, oauthtest.Reply{Status: 200, Body: fmt.Sprintf(
				`{"access_token":"secret-access-x%d","token_type":"DPoP","refresh_token":"secret-refresh-x%d","expires_in":3600}`, i, i)})
		}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		now := h.m.Clock.Now()
		storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			TokenType: "Bearer", IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
		h.start()
		advance(10 * time.Minute)
		h.stop()
		// At 0, 10, 30, 70, 150, 310 s, then every 5 min.
		t.Logf("%d refreshes in 10 min", srv.refreshCount())
		if n := srv.refreshCount(); n > 8 {
			t.Errorf("%d refreshes in 10 min, want the failures to back off (at most 8)", n)
		}
		if got := h.record().Tokens.RefreshToken; !strings.HasPrefix(got, "secret-refresh-x") {
			t.Errorf("the rotated refresh token was not kept")
		}
		if strings.Contains(h.log.String(), "changed by another process") {
			t.Errorf("the daemon took its own write for another process's")
		}
	})
}

// While another process (pairingd token) holds the refresh lock, the
// daemon waiting for it keeps the watchdog fed.
func TestRefreshLockWaitFeedsWatchdog(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.refreshTTL = 3600
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		var beats []time.Duration
		h.m.Heartbeat = func() { beats = append(beats, h.m.Clock.Mono()) }
		now := h.m.Clock.Now()
		storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			TokenType: "Bearer", IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
		release, err := st.RefreshLock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h.start()
		advance(90 * time.Second)
		n := len(beats)
		release()
		advance(time.Second)
		h.stop()
		if n < 30 {
			t.Errorf("%d heartbeats in 90 s of waiting for the lock, want one at least every 2 s", n)
		}
		if got := srv.refreshCount(); got != 1 {
			t.Errorf("%d refreshes after the lock was released, want 1", got)
		}
	})
}

// A write that leaves the grant alone (a health check, a report marking the
// token expired) while the refresh is in flight does not drop the rotated
// tokens.
func TestRefreshSurvivesOtherWrites(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		slow := oauthtest.TokenReply("secret-access-2", "secret-refresh-2", 3600)
		slow.Delay = 2 * time.Second
		srv.refreshes = []oauthtest.Reply{slow}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		now := h.m.Clock.Now()
		rec := storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
		done := make(chan error, 1)
		go func() {
			_, err := Refresh(context.Background(), st, h.m.Client, h.m.Clock, rec.Rev)
			done <- err
		}()
		advance(time.Second) // the request is in flight
		if _, err := st.Update(context.Background(), func(p *store.Pairing) error { p.Health = "ok"; return nil }); err != nil {
			t.Fatal(err)
		}
		advance(2 * time.Second)
		if err := <-done; err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got := h.record(); got.Tokens.RefreshToken != "secret-refresh-2" || got.Health != "ok" {
			t.Errorf("after a health write during the refresh: rotated token kept %v, health %q",
				got.Tokens.RefreshToken == "secret-refresh-2", got.Health)
		}
	})
}

func TestCodeUsable(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	code := func(issued time.Time, life time.Duration) store.Code {
		return store.Code{DeviceCode: "d", Interval: 5 * time.Second, IssuedAt: issued, ExpiresAt: issued.Add(life)}
	}
	for _, tt := range []struct {
		name string
		c    store.Code
		now  time.Time
		want bool
	}{
		{"valid", code(now.Add(-time.Minute), 10*time.Minute), now, true},
		{"expired", code(now.Add(-time.Hour), 10*time.Minute), now, false},
		{"one interval left", code(now.Add(-10*time.Minute), 10*time.Minute+4*time.Second), now, false},
		{"issued a day ahead (clock stepped back)", code(now.Add(24*time.Hour), 10*time.Minute), now, false},
		{"a life longer than any server grants (bit rot)", code(now.Add(-time.Minute), 200*365*24*time.Hour), now, false},
		{"clock in 1970", code(time.Unix(60, 0), 10*time.Minute), time.Unix(120, 0), false},
		{"no issue time", store.Code{DeviceCode: "d", ExpiresAt: now.Add(time.Minute)}, now, false},
	} {
		if got := codeUsable(tt.c, tt.now); got != tt.want {
			t.Errorf("%s: codeUsable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Unpair does not wait forever for a refresh lock that another process
// keeps (a daemon retrying to save tokens to a failing disk): it says why.
func TestUnpairLockWaitBounded(t *testing.T) {
	bubble(t, func(t *testing.T) {
		st := storetest.NewFake()
		release, err := st.RefreshLock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		done := make(chan error, 1)
		go func() {
			_, err := Unpair(context.Background(), st, nil, time.Now())
			done <- err
		}()
		advance(unpairLockWait + time.Second)
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "held the refresh lock") {
				t.Errorf("Unpair with the lock held: %v, want it to say the lock is held", err)
			}
		default:
			t.Fatalf("Unpair still waiting after %v", unpairLockWait+time.Second)
		}
	})
}

func TestLastClause(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"token request: unusable token response: token_type \"mac\", want Bearer", "token_type \"mac\", want Bearer"},
		{"discovery: no usable metadata for issuer https://h (tried https://h/.well-known/x: HTTP 404)",
			"no usable metadata for issuer https://h (tried https://h/.well-known/x: HTTP 404)"},
		{"no prefix at all", "no prefix at all"},
		{"unbalanced) paren: cause", "cause"},
		{"ends in a colon:", "ends in a colon:"},
	} {
		if got := lastClause(tt.in); got != tt.want {
			t.Errorf("lastClause(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Discovery that finds no metadata says so in few words, and what to check.
func TestDiscoveryFailureSaysWhat(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer() // 404 for the well-known documents
		h := newHarness(t, srv, nil)
		h.m.Client.Endpoints.DeviceAuthorization = ""
		h.m.Discover = func(ctx context.Context) (oauth.Endpoints, error) {
			return oauth.Discover(ctx, h.m.Client.HTTP, "https://auth.example")
		}
		h.start()
		advance(time.Second)
		h.stop()
		want := "The server's OAuth metadata could not be used: none found for https://auth.example (HTTP 404; HTTP 404). Check the issuer URL."
		if d := h.last().Detail; !strings.HasPrefix(d, want) {
			t.Errorf("screen detail %q, want it to start %q", d, want)
		}
	})
}

// When the network is what is missing, every request that fails says so
// in the daemon's own look at the interfaces (Offline), not only "no route":
// the code request (on screen and in the stored message `status` prints),
// a poll while a code is shown, and a refresh while paired (on screen and
// in Unsaved, which the daemon's status reports: polls write nothing).
func TestNetworkFailureSaysWhatIsMissing(t *testing.T) {
	unreachable := func(path string) oauthtest.Reply {
		return oauthtest.Reply{Err: &url.Error{Op: "Post", URL: "https://auth.example" + path,
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ENETUNREACH}}}
	}
	for _, missing := range []string{"no network interface is up", "the network has no address yet"} {
		for _, tt := range []struct {
			scene  string
			setup  func(h *harness, srv *fakeServer, st *storetest.Fake)
			stored bool  // the failure is committed (status prints it)
			in     State // the state it happens in
			want   string
		}{
			{"code request", func(h *harness, srv *fakeServer, st *storetest.Fake) {
				srv.devices = []oauthtest.Reply{unreachable("/device")}
			}, true, Error, "Can't reach the server (" + missing + "). Check the device's network connection."},
			{"poll", func(h *harness, srv *fakeServer, st *storetest.Fake) {
				srv.tokens = []oauthtest.Reply{unreachable("/token")}
			}, false, AwaitingUser, "Can't reach the server (" + missing + "). Retrying in"},
			{"refresh", func(h *harness, srv *fakeServer, st *storetest.Fake) {
				srv.refreshes = []oauthtest.Reply{unreachable("/token")}
				now := h.m.Clock.Now()
				storePaired(t, st, h.m.Server, store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0",
					TokenType: "Bearer", IssuedAt: now.Add(-time.Hour), ExpiresAt: now})
			}, false, Paired, "Can't refresh the token. Can't reach the server (" + missing + "). Retrying in"},
		} {
			t.Run(tt.scene+"/"+missing, func(t *testing.T) {
				bubble(t, func(t *testing.T) {
					srv := newFakeServer()
					st := storetest.NewFake()
					h := newHarness(t, srv, st)
					h.m.Offline = func() string { return missing }
					tt.setup(h, srv, st)
					h.start()
					advance(7 * time.Second) // past the first poll
					h.stop()
					if got := h.last().Detail; !strings.Contains(got, tt.want) {
						t.Errorf("screen %q, want it to say %q", got, tt.want)
					}
					if got := h.record().Message; tt.stored && !strings.Contains(got, tt.want) {
						t.Errorf("stored message %q, want it to say %q", got, tt.want)
					}
					// What is not stored, the daemon's status gets here.
					if state, got := h.m.Unsaved(); !tt.stored && (!strings.Contains(got, tt.want) || state != tt.in) {
						t.Errorf("Unsaved() = %v, %q; want %v, %q", state, got, tt.in, tt.want)
					}
				})
			})
		}
	}
}

// Once the polls get through again, the trouble is gone from the screen
// and from Unsaved: the daemon's status goes back to the stored message.
func TestUnsavedClearsWhenPollsRecover(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{{Err: &url.Error{Op: "Post", URL: "https://auth.example/token",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(7 * time.Second)
		if _, got := h.m.Unsaved(); !strings.Contains(got, "connection refused") {
			t.Errorf("Unsaved() after a refused poll = %q, want it to say connection refused", got)
		}
		advance(30 * time.Second)
		h.stop()
		if len(srv.polls()) < 3 {
			t.Fatalf("%d polls in 37 s, want the polls to go on", len(srv.polls()))
		}
		if _, got := h.m.Unsaved(); got != "" {
			t.Errorf("Unsaved() once polls get through = %q, want \"\"", got)
		}
		if got := h.last().Detail; strings.Contains(got, "refused") {
			t.Errorf("screen still says %q once polls get through", got)
		}
	})
}
