package pairing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/internal/logtest"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// request is what the fake server saw, and when (bubble time since start).
type request struct {
	path string
	form url.Values
	at   time.Duration // when the request arrived
	done time.Duration // when its response was sent
}

// fakeServer answers device authorization requests with fresh codes and
// token requests from a script; an empty script answers pending.
type fakeServer struct {
	mu        sync.Mutex
	start     time.Time
	interval  int // seconds; 0 leaves it out
	expiresIn int
	devices   []oauthtest.Reply // oauthtest.Reply device authorization replies, then normal ones
	tokens    []oauthtest.Reply
	refreshes []oauthtest.Reply
	revokes   []oauthtest.Reply // revocation replies, then 200s
	reqs      []request
	codes     int
	// tokenDefault, when set, answers polls once tokens is used up
	// (instead of authorization_pending).
	tokenDefault *oauthtest.Reply
	// refreshTTL, when set, answers refreshes once refreshes is used up
	// like a rotating server: a fresh access token living refreshTTL
	// seconds and a new refresh token, accepting only the newest one.
	refreshTTL int
	rotations  int
	current    string // the refresh token the server accepts now ("" any)
}

func newFakeServer() *fakeServer {
	return &fakeServer{start: time.Now(), interval: 5, expiresIn: 600}
}

func (s *fakeServer) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	req := request{path: r.URL.Path, form: r.PostForm, at: time.Since(s.start)}
	var rep oauthtest.Reply
	switch {
	case r.URL.Path == "/device" && len(s.devices) > 0:
		rep, s.devices = s.devices[0], s.devices[1:]
	case r.URL.Path == "/device":
		s.codes++
		rep = oauthtest.Reply{Status: 200, Body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":"CODE-%04d","verification_uri":"https://auth.example/device","verification_uri_complete":"https://auth.example/device?user_code=CODE-%04d","expires_in":%d,"interval":%d}`,
			s.codes, s.codes, s.codes, s.expiresIn, s.interval)}
	case r.URL.Path == "/revoke" && len(s.revokes) > 0:
		rep, s.revokes = s.revokes[0], s.revokes[1:]
	case r.URL.Path == "/revoke":
		rep = oauthtest.Reply{Status: 200}
	case r.URL.Path == "/token" && r.PostForm.Get("grant_type") == "refresh_token":
		switch {
		case len(s.refreshes) > 0:
			rep, s.refreshes = s.refreshes[0], s.refreshes[1:]
		case s.refreshTTL > 0 && s.current != "" && r.PostForm.Get("refresh_token") != s.current:
			rep = oauthtest.OAuthReply(400, "invalid_grant") // a spent refresh token
		case s.refreshTTL > 0:
			s.rotations++
			s.current = fmt.Sprintf("secret-refresh-r%d", s.rotations)
			rep = oauthtest.TokenReply(fmt.Sprintf("secret-access-r%d", s.rotations), s.current, s.refreshTTL)
		default:
			rep = oauthtest.OAuthReply(400, "invalid_grant")
		}
	case r.URL.Path == "/token" && len(s.tokens) > 0:
		rep, s.tokens = s.tokens[0], s.tokens[1:]
	case r.URL.Path == "/token" && s.tokenDefault != nil:
		rep = *s.tokenDefault
	case r.URL.Path == "/token":
		rep = oauthtest.Pending()
	default:
		rep = oauthtest.Reply{Status: 404, Body: "not found"}
	}
	s.mu.Unlock()

	if rep.Delay > 0 {
		time.Sleep(rep.Delay) // virtual time: the server is slow
	}
	s.mu.Lock()
	req.done = time.Since(s.start)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return rep.Respond(r)
}

func (s *fakeServer) requests(path string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []request
	for _, r := range s.reqs {
		if path == "" || r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// polls returns the device_code token requests.
func (s *fakeServer) polls() []request {
	var out []request
	for _, r := range s.requests("/token") {
		if r.form.Get("grant_type") != "refresh_token" {
			out = append(out, r)
		}
	}
	return out
}

// harness runs a Machine against a fakeServer, a fake store and a fake
// display, capturing the log at debug level.
type harness struct {
	t      *testing.T
	srv    *fakeServer
	st     *storetest.Fake
	disp   *displaytest.Fake
	m      *Machine
	log    *logtest.Buffer
	status *lines
	cancel context.CancelFunc
	done   chan error
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.l = append(l.l, s); l.mu.Unlock() }
func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

func newHarness(t *testing.T, srv *fakeServer, st *storetest.Fake) *harness {
	t.Helper()
	if st == nil {
		st = storetest.NewFake()
	}
	h := &harness{t: t, srv: srv, st: st, disp: &displaytest.Fake{}, log: &logtest.Buffer{}, status: &lines{}}
	logger := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.m = &Machine{
		Client: &oauth.Client{
			HTTP: &http.Client{Transport: srv},
			Endpoints: oauth.Endpoints{
				Issuer:              "https://auth.example",
				DeviceAuthorization: "https://auth.example/device",
				Token:               "https://auth.example/token",
				Revocation:          "https://auth.example/revoke",
			},
			Config: oauth.ClientConfig{ClientID: "pairingd-test"},
			Logger: logger,
		},
		Server:  store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test", TokenEndpoint: "https://auth.example/token"},
		Store:   st,
		Display: h.disp,
		Status:  h.status.add,
		Clock:   testClock(),
		Logger:  logger,
	}
	return h
}

// start runs the machine in the bubble.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	// A t.Fatal mid-test must not leave the loop running in the bubble.
	h.t.Cleanup(cancel)
	h.done = make(chan error, 1)
	go func() { h.done <- h.m.Run(ctx) }()
}

// stop cancels the machine and checks that it returns at once.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	synctest.Wait()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run returned %v, want nil", err)
		}
	default:
		h.t.Fatalf("Run did not return after cancel")
	}
	h.checkNoSecrets()
}

// advance lets d of virtual time pass.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (h *harness) record() store.Pairing {
	h.t.Helper()
	p, err := h.st.Pairing(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) last() display.Screen { return h.disp.Last() }

// shows reports whether s is what the user sees in state st: its headline,
// tone and actions are those Screen gives st. Headlines differ between
// states, so this tells every state apart.
func shows(s display.Screen, st State) bool {
	w := Screen(st, store.Code{}, "", time.Time{}, Controls{})
	return s.Headline == w.Headline && s.Tone == w.Tone && slices.Equal(s.Actions, w.Actions)
}

// checkNoSecrets scans the log, the status lines and every screen for the
// fake server's secrets.
func (h *harness) checkNoSecrets() {
	h.t.Helper()
	var all strings.Builder
	all.WriteString(h.log.String())
	for _, s := range h.status.all() {
		all.WriteString(s + "\n")
	}
	for _, s := range h.disp.Screens() {
		fmt.Fprintf(&all, "%+v\n", s)
	}
	for _, secret := range []string{"secret-device-code", "secret-access", "secret-refresh"} {
		if strings.Contains(all.String(), secret) {
			h.t.Errorf("output contains a secret (%q):\n%s", secret, all.String())
		}
	}
}

func gaps(reqs []request) []time.Duration {
	var g []time.Duration
	for i := 1; i < len(reqs); i++ {
		g = append(g, reqs[i].at-reqs[i-1].done)
	}
	return g
}

func bubble(t *testing.T, f func(t *testing.T)) {
	synctest.Test(t, f)
}

// The first poll comes one interval after the code, and each next one an
// interval after the previous response ended, even when the server is
// slower than the interval.
func TestPollTiming(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		slow := oauthtest.Reply{Status: 400, Body: `{"error":"authorization_pending"}`, Delay: 7 * time.Second}
		srv.tokens = []oauthtest.Reply{slow, slow, slow}
		h := newHarness(t, srv, nil)
		h.start()
		advance(40 * time.Second)
		h.stop()

		dev := srv.requests("/device")
		polls := srv.polls()
		if len(dev) != 1 || len(polls) < 3 {
			t.Fatalf("got %d device and %d token requests, want 1 and at least 3", len(dev), len(polls))
		}
		if got, want := polls[0].at-dev[0].done, 5*time.Second; got != want {
			t.Errorf("first poll %v after the code, want %v", got, want)
		}
		for i, g := range gaps(polls) {
			if g != 5*time.Second {
				t.Errorf("gap between response %d and request %d = %v, want 5s", i, i+1, g)
			}
		}
	})
}

// A slow_down adds 5 s for this and every later poll, stacking, or takes
// the server's larger interval.
func TestSlowDown(t *testing.T) {
	for _, tt := range []struct {
		name    string
		replies []oauthtest.Reply
		want    []time.Duration
	}{
		{"stacks", []oauthtest.Reply{oauthtest.OAuthReply(400, "slow_down"), oauthtest.OAuthReply(400, "slow_down"), oauthtest.Pending(), oauthtest.Pending()},
			[]time.Duration{10 * time.Second, 15 * time.Second, 15 * time.Second, 15 * time.Second}},
		{"server interval larger", []oauthtest.Reply{{Status: 400, Body: `{"error":"slow_down","interval":30}`}, oauthtest.Pending()},
			[]time.Duration{30 * time.Second, 30 * time.Second}},
		{"429 without Retry-After", []oauthtest.Reply{{Status: 429, Body: "too many"}, oauthtest.Pending()},
			[]time.Duration{10 * time.Second, 10 * time.Second}},
		{"429 with Retry-After", []oauthtest.Reply{{Status: 429, Header: http.Header{"Retry-After": {"40"}}}, oauthtest.Pending()},
			[]time.Duration{40 * time.Second, 10 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				srv.tokens = tt.replies
				h := newHarness(t, srv, nil)
				h.start()
				advance(5*time.Second + 150*time.Second)
				h.stop()
				g := gaps(srv.polls())
				if len(g) < len(tt.want) {
					t.Fatalf("got %d gaps %v, want at least %d", len(g), g, len(tt.want))
				}
				for i, w := range tt.want {
					if g[i] != w {
						t.Errorf("gap %d = %v, want %v (all: %v)", i, g[i], w, g)
					}
				}
			})
		})
	}
}

// Exactly one request per tick, with a client secret too (the x/oauth2
// auth-style probing sent two).
func TestOneRequestPerTick(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		h := newHarness(t, srv, nil)
		h.m.Client.Config.ClientSecret = "s3cret"
		h.start()
		advance(5*time.Second + 60*time.Second)
		h.stop()
		// Polls at 5, 10, ..., 65 s.
		if got, want := len(srv.polls()), 13; got != want {
			t.Errorf("%d token requests in 65 s at a 5 s interval, want %d", got, want)
		}
	})
}

// Network errors and 5xx back off, capped, while the QR code stays on
// screen; an approval during the outage pairs once the server is back.
func TestOutageThenApproval(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		refused := oauthtest.Reply{Err: errors.New("dial tcp 127.0.0.1:443: connect: connection refused")}
		html := oauthtest.Reply{Status: 502, Body: "<html>Bad Gateway</html>", Header: http.Header{"Content-Type": {"text/html"}}}
		srv.tokens = []oauthtest.Reply{oauthtest.Pending(), refused, html, refused, refused, refused, refused, oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		h := newHarness(t, srv, nil)
		h.start()
		advance(6 * time.Second) // first poll: pending
		var outage []display.Screen
		for i := 0; i < 60 && shows(h.last(), AwaitingUser); i++ {
			advance(5 * time.Second)
			outage = append(outage, h.last())
		}
		h.stop()
		if got := State(h.record().State); got != Paired {
			t.Fatalf("state after the outage = %v, want paired", got)
		}
		for _, s := range outage[:len(outage)-1] {
			if !shows(s, AwaitingUser) || s.QR == "" || s.UserCode == "" {
				t.Errorf("during the outage the screen was %+v, want the QR code and user code", s)
			}
		}
		var sawRetry bool
		for _, s := range h.disp.Screens() {
			sawRetry = sawRetry || strings.Contains(s.Detail, "Can't reach the server")
		}
		if !sawRetry {
			t.Errorf("no screen said the server can't be reached")
		}
		g := gaps(srv.polls())
		want := []time.Duration{5, 5, 10, 20, 40, 60, 60}
		for i, w := range want {
			if g[i] != w*time.Second {
				t.Errorf("gap %d = %v, want %v (all %v)", i, g[i], w*time.Second, g)
			}
		}
		if n := len(srv.requests("/device")); n != 1 {
			t.Errorf("%d device codes requested, want 1: the code stays valid through the outage", n)
		}
	})
}

// A 200 whose body is lost is not retried blindly: a new code.
func TestLostSuccessBody(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{{Status: 200, Body: `{"access_token":"secret-access-1","tok`}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(5*time.Second + time.Millisecond)
		if s := h.last(); !shows(s, Error) {
			t.Errorf("screen after a broken 200 = %+v, want error", s)
		}
		advance(6 * time.Second)
		h.stop()
		if n := len(srv.requests("/device")); n != 2 {
			t.Errorf("%d device codes requested, want 2", n)
		}
	})
}

// An access_denied shows "denied", and a new code follows after the
// cool-down, not before.
func TestDenied(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.OAuthReply(400, "access_denied")}
		h := newHarness(t, srv, nil)
		h.m.DeniedCooldown = 30 * time.Second
		h.start()
		advance(5*time.Second + time.Millisecond)
		if s := h.last(); !shows(s, Denied) || s.QR != "" {
			t.Errorf("screen after denial = %+v, want state denied and no QR code", s)
		}
		if got := State(h.record().State); got != Denied {
			t.Errorf("stored state = %v, want denied", got)
		}
		advance(29 * time.Second)
		if n := len(srv.requests("/device")); n != 1 {
			t.Errorf("%d device codes during the cool-down, want 1", n)
		}
		advance(2 * time.Second)
		if n := len(srv.requests("/device")); n != 2 {
			t.Errorf("%d device codes after the cool-down, want 2", n)
		}
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "CODE-0002" {
			t.Errorf("screen after the cool-down = %+v, want the new code CODE-0002", s)
		}
		h.stop()
	})
}

// The Machine's catalogue names the screens: a denial in German, while
// the systemd status stays English like the log.
func TestMachineText(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.OAuthReply(400, "access_denied")}
		h := newHarness(t, srv, nil)
		h.m.Text = msg.Lookup("de")
		h.m.KeyStyle = func() display.KeyStyle { return display.StyleGamepad }
		h.start()
		advance(5*time.Second + time.Millisecond)
		s := h.last()
		if got, want := s.Headline, "Die Kopplung wurde abgelehnt"; got != want {
			t.Errorf("headline after denial = %q, want %q", got, want)
		}
		if got, want := actionText(s.Actions), "A: neuer Code, Y: Details"; got != want {
			t.Errorf("actions after denial = %q, want %q", got, want)
		}
		if st := h.status.all(); len(st) == 0 || !strings.HasPrefix(st[len(st)-1], "Pairing was denied: ") {
			t.Errorf("last status = %q, want the English \"Pairing was denied: …\"", st)
		}
		h.stop()
	})
}

// An expired_token, an invalid_grant and our own deadline lead to a new
// code; a dead code is never polled past its deadline.
func TestExpiry(t *testing.T) {
	for _, tt := range []struct {
		name    string
		replies []oauthtest.Reply
	}{
		{"expired_token", []oauthtest.Reply{oauthtest.OAuthReply(400, "expired_token")}},
		{"invalid_grant", []oauthtest.Reply{oauthtest.OAuthReply(400, "invalid_grant")}},
		{"local deadline", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				srv.expiresIn = 22
				srv.tokens = tt.replies
				h := newHarness(t, srv, nil)
				h.start()
				advance(23 * time.Second)
				h.stop()
				dev := srv.requests("/device")
				if len(dev) != 2 {
					t.Fatalf("%d device codes, want 2", len(dev))
				}
				for _, p := range srv.polls() {
					if p.form.Get("device_code") == "secret-device-code-1" && p.at > dev[0].at+22*time.Second {
						t.Errorf("polled the first code at %v, after its deadline %v", p.at, dev[0].at+22*time.Second)
					}
				}
				if s := h.last(); s.UserCode != "CODE-0002" {
					t.Errorf("screen shows %q, want the new code CODE-0002", s.UserCode)
				}
			})
		})
	}
}

// An unknown error stops polling, shows its description, and starts over
// after a backoff.
func TestUnknownError(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{{Status: 400, Body: `{"error":"weird_thing","error_description":"The \u001b[31mmoon\u001b[0m is full"}`}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(5*time.Second + time.Millisecond)
		s := h.last()
		if !shows(s, Error) || !strings.Contains(s.Detail, "moon") {
			t.Errorf("screen = %+v, want state error with the description", s)
		}
		if strings.ContainsRune(s.Detail, 0x1b) {
			t.Errorf("detail %q contains an escape character from the server", s.Detail)
		}
		advance(9 * time.Second)
		if n := len(srv.requests("/device")); n != 1 {
			t.Errorf("%d device codes before the backoff ended, want 1", n)
		}
		advance(2 * time.Second)
		if n := len(srv.requests("/device")); n != 2 {
			t.Errorf("%d device codes after the backoff, want 2", n)
		}
		if n := len(srv.polls()); n != 1 {
			t.Errorf("%d polls of the failed code, want 1", n)
		}
		h.stop()
	})
}

// Cancellation during a sleep and during a request returns at once;
// synctest fails the test if a goroutine is left behind.
func TestCancel(t *testing.T) {
	t.Run("during sleep", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, newFakeServer(), nil)
			h.start()
			advance(2 * time.Second)
			h.stop()
		})
	})
	t.Run("during request", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			srv := newFakeServer()
			h := newHarness(t, srv, nil)
			block := make(chan struct{})
			h.m.Client.HTTP.Transport = oauthtest.TransportFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Path == "/token" {
					select {
					case <-r.Context().Done():
						close(block)
						return nil, r.Context().Err()
					case <-time.After(time.Hour):
					}
				}
				return srv.RoundTrip(r)
			})
			h.start()
			advance(6 * time.Second) // the first poll hangs
			h.stop()
			select {
			case <-block:
			default:
				t.Errorf("the request in flight was not cancelled")
			}
		})
	})
}

// A success without a Bearer token is rejected.
func TestBadTokenType(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{{Status: 200, Body: `{"access_token":"secret-access-1","token_type":"mac"}`}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(5*time.Second + time.Millisecond)
		h.stop()
		if got := State(h.record().State); got == Paired {
			t.Errorf("paired with a mac token, want it rejected")
		}
		if !h.record().Tokens.IsZero() {
			t.Errorf("stored a rejected token")
		}
		// After the user approved, the screen says why it starts over.
		if d := h.last().Detail; !strings.Contains(d, `token_type "mac"`) {
			t.Errorf("screen detail %q does not say what was wrong with the answer", d)
		}
	})
}

// The tokens and the state are committed together before the screen or
// systemd hear "paired"; a failing store is retried.
func TestPairedCommittedFirst(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.Pending(), {Status: 200, Body: `{"access_token":"secret-access-1","token_type":"bearer","expires_in":3600,"refresh_token":"secret-refresh-1"}`}}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		var bad []string
		h.m.Display = showFunc(func(s display.Screen) error {
			if shows(s, Paired) {
				p, _ := st.Pairing(context.Background())
				if State(p.State) != Paired || p.Tokens.AccessToken != "secret-access-1" || p.Tokens.RefreshToken != "secret-refresh-1" {
					bad = append(bad, fmt.Sprintf("state %v", State(p.State)))
				}
			}
			return h.disp.Show(s)
		})
		h.start()
		advance(6 * time.Second) // pending
		st.FailNextUpdate(errors.New("disk I/O error"))
		advance(4*time.Second + 500*time.Millisecond) // approved at 10 s, the commit fails, retry at 11 s
		if s := h.last(); shows(s, Paired) {
			t.Errorf("state is paired although the commit failed")
		}
		advance(time.Second)
		h.stop()
		if len(bad) > 0 {
			t.Errorf("the screen said paired before the store did: %v", bad)
		}
		if got := State(h.record().State); got != Paired {
			t.Errorf("stored state = %v, want paired after the retry", got)
		}
		if st := h.status.all(); len(st) == 0 || !strings.HasPrefix(st[len(st)-1], "Paired with https://auth.example") {
			t.Errorf("last status = %q, want Paired with …", st)
		}
	})
}

type showFunc func(display.Screen) error

func (f showFunc) Show(s display.Screen) error { return f(s) }
func (f showFunc) Close() error                { return nil }

// Nothing is written while polling: SD cards wear out. Nor is the record
// read at each poll: the store tells of changes, and a read through cgo
// at every wake costs more wake-ups than the wake itself.
func TestNoWritesWhilePolling(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.Pending(), oauthtest.OAuthReply(400, "slow_down"), oauthtest.Pending(), {Err: errors.New("connection reset")}, oauthtest.Pending()}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		h.start()
		advance(time.Second)
		before, reads := st.Writes(), st.Reads()
		advance(120 * time.Second)
		h.stop()
		if n := len(srv.polls()); n < 8 {
			t.Fatalf("only %d polls", n)
		}
		if got := st.Writes() - before; got != 0 {
			t.Errorf("%d store writes while polling, want 0", got)
		}
		// One look a WatchEvery (a minute) in case a change was missed.
		if got := st.Reads() - reads; got > 2 {
			t.Errorf("%d reads of the record in 120 s of polling, want at most 2", got)
		}
	})
}

// Refresh before expiry; a rotated refresh token is stored, an omitted one
// kept; invalid_grant pairs again; network errors keep the tokens.
func TestRefresh(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 100)}
		srv.refreshes = []oauthtest.Reply{
			oauthtest.TokenReply("secret-access-2", "secret-refresh-2", 100), // rotated
			oauthtest.TokenReply("secret-access-3", "", 100),                 // not rotated
			{Err: errors.New("connection refused")},
			{Status: 503, Body: "down"},
			oauthtest.OAuthReply(400, "invalid_grant"),
		}
		h := newHarness(t, srv, nil)
		h.start()
		advance(5*time.Second + time.Millisecond)
		if got := h.record().Tokens.AccessToken; got != "secret-access-1" {
			t.Fatalf("paired with %q", got)
		}
		// Lifetime 100 s: refresh at 90 s (lead max(10 s, 10 %)).
		advance(89 * time.Second)
		if n := len(srv.requests("/token")) - len(srv.polls()); n != 0 {
			t.Errorf("refreshed %d times before 90 s", n)
		}
		advance(2 * time.Second)
		rec := h.record()
		if rec.Tokens.AccessToken != "secret-access-2" || rec.Tokens.RefreshToken != "secret-refresh-2" {
			t.Errorf("after the first refresh: access %q refresh %q, want the rotated pair", rec.Tokens.AccessToken, rec.Tokens.RefreshToken)
		}
		advance(90 * time.Second)
		rec = h.record()
		if rec.Tokens.AccessToken != "secret-access-3" || rec.Tokens.RefreshToken != "secret-refresh-2" {
			t.Errorf("after a refresh without refresh_token: access %q refresh %q, want the old refresh token kept", rec.Tokens.AccessToken, rec.Tokens.RefreshToken)
		}
		// The next refresh fails twice (network, 503): tokens kept.
		advance(95 * time.Second)
		if rec := h.record(); rec.Tokens.AccessToken != "secret-access-3" || State(rec.State) != Paired {
			t.Errorf("after failed refreshes: state %v access %q, want paired with the tokens kept", State(rec.State), rec.Tokens.AccessToken)
		}
		if s := h.last(); !strings.Contains(s.Detail, "Can't refresh") {
			t.Errorf("screen detail %q, want it to say the refresh failed", s.Detail)
		}
		// Then invalid_grant: the grant is gone, a new code is shown.
		advance(30 * time.Second)
		h.stop()
		rec = h.record()
		if !rec.Tokens.IsZero() {
			t.Errorf("tokens kept after invalid_grant")
		}
		if State(rec.State) != AwaitingUser || rec.Code.UserCode != "CODE-0002" {
			t.Errorf("after invalid_grant: state %v code %q, want awaiting_user with a new code", State(rec.State), rec.Code.UserCode)
		}
		refreshes := 0
		for _, r := range srv.requests("/token") {
			if r.form.Get("grant_type") == "refresh_token" {
				refreshes++
			}
		}
		if refreshes != 5 {
			t.Errorf("%d refresh requests, want 5", refreshes)
		}
	})
}

// A restart while the code is valid shows the same code; an expired stored
// code is never reused.
func TestResume(t *testing.T) {
	for _, tt := range []struct {
		name     string
		left     time.Duration
		wantCode string
		wantDev  int
	}{
		{"valid code resumed", 5 * time.Minute, "KEEP-CODE", 0},
		{"expired code replaced", -time.Minute, "CODE-0001", 1},
		{"nearly expired code replaced", 3 * time.Second, "CODE-0001", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				st := storetest.NewFake()
				now := testClock().Now()
				st.Update(context.Background(), func(p *store.Pairing) error {
					p.State = int(AwaitingUser)
					p.Server = store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test"}
					p.Code = store.Code{DeviceCode: "secret-device-code-0", UserCode: "KEEP-CODE",
						VerificationURI: "https://auth.example/device", Interval: 5 * time.Second,
						IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(tt.left)}
					return nil
				})
				h := newHarness(t, srv, st)
				h.start()
				advance(time.Second)
				if s := h.last(); s.UserCode != tt.wantCode {
					t.Errorf("screen shows %q, want %q", s.UserCode, tt.wantCode)
				}
				if n := len(srv.requests("/device")); n != tt.wantDev {
					t.Errorf("%d device codes requested, want %d", n, tt.wantDev)
				}
				advance(5 * time.Second)
				h.stop()
				if tt.wantDev == 0 {
					p := srv.polls()
					if len(p) == 0 || p[0].form.Get("device_code") != "secret-device-code-0" {
						t.Errorf("the resumed code was not polled")
					}
				}
			})
		})
	}
}

// testClock is the bubble's clock with the wall clock set to a plausible
// date: synctest bubbles start at 2000-01-01, which the machine rightly
// distrusts.
func testClock() *jumpClock {
	return &jumpClock{Clock: SystemClock(), jump: time.Until(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))}
}

// jumpClock is the system clock with a wall clock that an NTP step moved.
type jumpClock struct {
	Clock
	mu   sync.Mutex
	jump time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Clock.Now().Add(c.jump)
}

func (c *jumpClock) set(d time.Duration) { c.mu.Lock(); c.jump = d; c.mu.Unlock() }

// Wall clock steps do not change the polling rhythm or the code's deadline.
func TestWallClockJump(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.expiresIn = 60
		h := newHarness(t, srv, nil)
		clk := h.m.Clock.(*jumpClock)
		base := clk.jump
		h.start()
		advance(12 * time.Second)
		clk.set(base - 50*365*24*time.Hour) // back to 1970-ish
		advance(20 * time.Second)
		clk.set(base + 2*time.Hour) // forward
		advance(20 * time.Second)
		h.stop()
		for i, g := range gaps(srv.polls()) {
			if g != 5*time.Second {
				t.Errorf("gap %d = %v, want 5s", i, g)
			}
		}
		if n := len(srv.requests("/device")); n != 1 {
			t.Errorf("%d device codes in 52 s of a 60 s code, want 1", n)
		}
	})
}

// Another process unpairing (pairingd unpair) makes the daemon show a new
// code; the device id stays.
func TestUnpairedUnderUs(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		st := storetest.NewFake()
		h := newHarness(t, srv, st)
		h.start()
		advance(6 * time.Second)
		if s := h.last(); !shows(s, Paired) {
			t.Fatalf("screen %+v, want paired", s)
		}
		dev, _ := st.Device(context.Background())
		c := *h.m.Client
		revokeErr, err := Unpair(context.Background(), st, &c, h.m.Clock.Now())
		if err != nil || revokeErr != nil {
			t.Fatalf("Unpair: %v, %v", revokeErr, err)
		}
		advance(3 * time.Second)
		h.stop()
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "CODE-0002" {
			t.Errorf("screen after unpair = %+v, want a new code", s)
		}
		if n := len(srv.requests("/revoke")); n != 2 {
			t.Errorf("%d revocation requests, want 2 (refresh and access token)", n)
		}
		if d, _ := st.Device(context.Background()); d.ID != dev.ID {
			t.Errorf("device id changed from %s to %s", dev.ID, d.ID)
		}
	})
}

// Status lines follow every state, the one the daemon starts in too, and
// hold no secret.
func TestStatusLines(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.Pending(), oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		h := newHarness(t, srv, nil)
		h.start()
		advance(11 * time.Second)
		h.stop()
		st := h.status.all()
		want := []string{"Unpaired: getting a pairing code", "Waiting for approval: code CODE-0001 at auth.example/device, 10 min left", "Paired with https://auth.example"}
		if len(st) != len(want) {
			t.Fatalf("status lines %q, want %d", st, len(want))
		}
		for i, w := range want {
			if !strings.HasPrefix(st[i], w) {
				t.Errorf("status %d = %q, want prefix %q", i, st[i], w)
			}
		}
	})
}

// Discovery failures keep the daemon alive: it backs off and says why.
func TestDiscoveryRetries(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		h := newHarness(t, srv, nil)
		h.m.Client.Endpoints = oauth.Endpoints{}
		calls := 0
		h.m.Discover = func(ctx context.Context) (oauth.Endpoints, error) {
			calls++
			if calls < 3 {
				return oauth.Endpoints{}, &oauth.TransientError{Op: "discovery", Err: errors.New("connection refused")}
			}
			return oauth.Endpoints{Issuer: "https://auth.example", DeviceAuthorization: "https://auth.example/device", Token: "https://auth.example/token"}, nil
		}
		h.start()
		advance(time.Second)
		if s := h.last(); !shows(s, Error) || !strings.Contains(s.Detail, "Can't reach the server") {
			t.Errorf("screen = %+v, want an error saying the server can't be reached", s)
		}
		advance(31 * time.Second) // backoff 10 s, then 20 s
		h.stop()
		if calls != 3 {
			t.Errorf("%d discovery attempts, want 3", calls)
		}
		if s := h.last(); !shows(s, AwaitingUser) {
			t.Errorf("screen after discovery succeeded = %+v, want a code (awaiting_user)", s)
		}
	})
}

// A server that does not offer the device flow gets a clear message and an
// increasing backoff, not a hot loop.
func TestUnsupportedBacksOff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		notFound := oauthtest.Reply{Status: 404, Body: "not found", Header: http.Header{"Content-Type": {"text/plain"}}}
		srv.devices = []oauthtest.Reply{notFound, notFound, notFound, notFound}
		h := newHarness(t, srv, nil)
		h.start()
		advance(time.Second)
		if s := h.last(); !shows(s, Error) || !strings.Contains(s.Detail, "does not offer device pairing") {
			t.Errorf("screen = %+v, want an error saying the server does not offer device pairing", s)
		}
		advance(10*time.Second + 20*time.Second + 40*time.Second + 80*time.Second)
		h.stop()
		dev := srv.requests("/device")
		if len(dev) != 5 {
			t.Fatalf("%d device authorization requests, want 5 (4 refused, then a code)", len(dev))
		}
		for i, want := range []time.Duration{10, 20, 40, 80} {
			if got := dev[i+1].at - dev[i].done; got != want*time.Second {
				t.Errorf("wait %d = %v, want %v", i, got, want*time.Second)
			}
		}
		if s := h.last(); !shows(s, AwaitingUser) {
			t.Errorf("screen after the server recovered = %+v, want a code (awaiting_user)", s)
		}
	})
}

// Without verification_uri_complete the QR code carries verification_uri,
// and the user code and URI are shown as text.
func TestNoCompleteURI(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.devices = []oauthtest.Reply{{Status: 200, Body: `{"device_code":"secret-device-code-9","user_code":"WDJB-MJHT","verification_uri":"https://auth.example/activate","expires_in":600}`}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(time.Second)
		h.stop()
		s := h.last()
		if s.QR != "https://auth.example/activate" || s.UserCode != "WDJB-MJHT" || s.URI != "https://auth.example/activate" {
			t.Errorf("screen = %+v, want QR and URI https://auth.example/activate and code WDJB-MJHT", s)
		}
	})
}

// A hostile server's strings never reach the screen raw, and a QR code
// never carries anything but an http(s) URL.
func TestHostileStrings(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.devices = []oauthtest.Reply{{Status: 200, Body: `{"device_code":"secret-device-code-9","user_code":"ABCD-EFGH","verification_uri":"https://auth.example/device","verification_uri_complete":"javascript:alert(1)","expires_in":600}`}}
		h := newHarness(t, srv, nil)
		h.start()
		advance(time.Second)
		h.stop()
		if s := h.last(); s.QR != "https://auth.example/device" {
			t.Errorf("QR payload = %q, want the plain verification URI instead of a javascript: URL", s.QR)
		}
	})
}

// A restarted daemon that finds its endpoints by discovery polls the
// resumed code at the endpoint it was issued by, even while discovery
// fails, and stores that endpoint with the grant for `pairingd token`.
func TestResumeWithDiscovery(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		st := storetest.NewFake()
		now := testClock().Now()
		st.Update(context.Background(), func(p *store.Pairing) error {
			p.State = int(AwaitingUser)
			p.Server = store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test", TokenEndpoint: "https://auth.example/token"}
			p.Code = store.Code{DeviceCode: "secret-device-code-0", UserCode: "KEEP-CODE",
				VerificationURI: "https://auth.example/device", Interval: 5 * time.Second,
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(5 * time.Minute)}
			return nil
		})
		h := newHarness(t, srv, st)
		h.m.Client.Endpoints = oauth.Endpoints{}
		h.m.Server = store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test"}
		h.m.Discover = func(ctx context.Context) (oauth.Endpoints, error) {
			return oauth.Endpoints{}, &oauth.TransientError{Op: "discovery", Err: errors.New("connection refused")}
		}
		h.start()
		advance(6 * time.Second)
		h.stop()
		rec := h.record()
		if State(rec.State) != Paired {
			t.Fatalf("state %v, want paired with the resumed code", State(rec.State))
		}
		if rec.Server.TokenEndpoint != "https://auth.example/token" {
			t.Errorf("stored token endpoint %q, want https://auth.example/token", rec.Server.TokenEndpoint)
		}
	})
}

// The watchdog's heartbeat comes from the loop at least every WatchEvery,
// while it waits for the user and while it is paired.
func TestHeartbeat(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{oauthtest.Pending(), oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
		h := newHarness(t, srv, nil)
		var beats []time.Duration
		start := time.Now()
		h.m.WatchEvery = 500 * time.Millisecond
		h.m.Heartbeat = func() { beats = append(beats, time.Since(start)) }
		h.start()
		advance(30 * time.Second)
		h.stop()
		if len(beats) < 55 {
			t.Errorf("%d heartbeats in 30 s, want at least 55 (every 500 ms)", len(beats))
		}
		for i := 1; i < len(beats); i++ {
			if g := beats[i] - beats[i-1]; g > 500*time.Millisecond {
				t.Errorf("heartbeat gap %v at %v, want at most 500ms", g, beats[i])
			}
		}
	})
}

// Renew (the r key) replaces the code on screen at once, and is safe to
// call before Run.
func TestRenew(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		h := newHarness(t, srv, nil)
		h.m.Renew()
		h.start()
		advance(3 * time.Second)
		h.m.Renew()
		advance(time.Second)
		h.stop()
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "CODE-0002" {
			t.Errorf("screen after r = %+v, want the new code CODE-0002", s)
		}
	})
}

// A token without expires_in is never refreshed, and the loop idles (a
// wrap-around of "forever" once made it refresh in a hot loop).
func TestTokenWithoutExpiry(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.tokens = []oauthtest.Reply{{Status: 200, Body: `{"access_token":"secret-access-1","token_type":"Bearer","refresh_token":"secret-refresh-1"}`}}
		srv.refreshes = []oauthtest.Reply{oauthtest.TokenReply("secret-access-2", "secret-refresh-2", 3600)}
		h := newHarness(t, srv, nil)
		h.start()
		advance(24 * time.Hour)
		h.stop()
		for _, r := range srv.requests("/token") {
			if r.form.Get("grant_type") == "refresh_token" {
				t.Fatalf("refreshed a token that does not expire")
			}
		}
		if got := h.record().Tokens.AccessToken; got != "secret-access-1" {
			t.Errorf("access token %q, want the first one kept", got)
		}
	})
}

// A restart adopts the stored state through the one transition function:
// the status line says where the daemon is at once (a restart while paired
// used to leave systemd's status empty until the first refresh), and
// nothing is written for a state that is still good.
func TestResumeSendsStatusWritesNothing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		st := storetest.NewFake()
		now := testClock().Now()
		storePaired(t, st, store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test"},
			store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0", TokenType: "Bearer",
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)})
		writes := st.Writes()
		h := newHarness(t, srv, st)
		h.start()
		advance(time.Second)
		h.stop()
		if got := h.status.all(); len(got) != 1 || !strings.HasPrefix(got[0], "Paired with https://auth.example") {
			t.Errorf("status lines after a restart while paired: %q, want one saying paired", got)
		}
		if n := st.Writes() - writes; n != 0 {
			t.Errorf("%d writes when resuming a good pairing, want 0", n)
		}
	})
}

// A daemon that ran unconfigured recorded NotConfigured; configured and
// restarted, it pairs at once, or resumes the grant the record still holds.
func TestConfiguredAfterNotConfigured(t *testing.T) {
	for _, tt := range []struct {
		name      string
		grant     bool
		wantState State
		wantDev   int
	}{
		{"no grant: a code at once", false, AwaitingUser, 1},
		{"a grant kept: paired again", true, Paired, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := newFakeServer()
				st := storetest.NewFake()
				st.Update(context.Background(), func(p *store.Pairing) error {
					p.State = int(NotConfigured)
					p.Message = "Set issuer in /etc/pairingd/pairingd.toml, then restart pairingd."
					p.Server = store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test"}
					if now := testClock().Now(); tt.grant {
						p.Tokens = store.Tokens{AccessToken: "secret-access-0", RefreshToken: "secret-refresh-0", TokenType: "Bearer",
							IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}
					}
					return nil
				})
				h := newHarness(t, srv, st)
				h.start()
				advance(time.Second)
				h.stop()
				rec := h.record()
				if got := State(rec.State); got != tt.wantState {
					t.Errorf("state %v, want %v", got, tt.wantState)
				}
				if strings.Contains(rec.Message, "restart pairingd") || strings.Contains(h.last().Detail, "restart pairingd") {
					t.Errorf("the not-configured hint stayed: message %q, screen detail %q", rec.Message, h.last().Detail)
				}
				if n := len(srv.requests("/device")); n != tt.wantDev {
					t.Errorf("%d device codes requested, want %d", n, tt.wantDev)
				}
			})
		})
	}
}
