package pairing

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// autheliaServer is a stock Authelia: fresh codes (599 s, interval 10 s)
// and pending forever unless oauthtest.Reply.
func autheliaServer() *oauthtest.Server {
	srv := oauthtest.NewServer()
	srv.Defaults["POST /api/oidc/device-authorization"] = func(n int, _ *http.Request, _ []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 200, Header: http.Header{"Cache-Control": {"no-store"}}, Body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":"BCDFGH%02d","verification_uri":"https://auth.example.com/consent/openid/device-authorization","verification_uri_complete":"https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGH%02d","expires_in":599,"interval":10}`,
			n+1, n+1, n+1)}
	}
	srv.Defaults["POST /api/oidc/token"] = func(int, *http.Request, []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 400, Body: oauthtest.AutheliaPendingBody}
	}
	return srv
}

// autheliaEndpoints are stock Authelia's, which has no discovery to find.
var autheliaEndpoints = oauth.Endpoints{
	Issuer:              oauthtest.AutheliaBase,
	DeviceAuthorization: oauthtest.AutheliaBase + "/api/oidc/device-authorization",
	Token:               oauthtest.AutheliaBase + "/api/oidc/token",
}

func newAutheliaHarness(t *testing.T, srv *oauthtest.Server) *profHarness {
	h := newProfHarness(t, oauth.Authelia{}, oauthtest.AutheliaBase, srv, nil)
	h.m.Client.Endpoints = autheliaEndpoints
	h.m.Server.TokenEndpoint = autheliaEndpoints.Token
	return h
}

// polledCode is the device code a token request polled.
func polledCode(r oauthtest.Request) string {
	f, _ := url.ParseQuery(string(r.Body))
	return f.Get("device_code")
}

// Authelia never says expired_token: the code is renewed at our own
// deadline, with no poll of the dead code after it.
func TestAutheliaExpiryByDeadline(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(11 * time.Minute)
		h.stop()
		dev := srv.Requests("POST /api/oidc/device-authorization")
		if len(dev) != 2 {
			t.Fatalf("%d device codes in 11 min of 599 s codes, want 2", len(dev))
		}
		deadline := dev[0].At + 599*time.Second
		if dev[1].At != deadline {
			t.Errorf("second code asked for at %v, want at the first code's deadline %v", dev[1].At, deadline)
		}
		var polled int
		for _, p := range srv.Requests("POST /api/oidc/token") {
			if polledCode(p) == "secret-device-code-1" {
				polled++
				if p.At >= deadline {
					t.Errorf("the first code was polled at %v, at or after its deadline %v", p.At, deadline)
				}
			}
		}
		if polled < 40 {
			t.Errorf("the first code was polled %d times in its 10 min, want about 45", polled)
		}
		if !h.sawDetail("The code expired") {
			t.Errorf("no screen said the code expired")
		}
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "BCDFGH02" {
			t.Errorf("screen = %+v, want the second code", s)
		}
	})
}

// A 500 server_error is a denied, used or unknown code: "denied or
// cancelled", then a new code after the cool-down. A plain 500 is an outage.
func TestAutheliaServerErrorIsDenied(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.Script("POST /api/oidc/token", oauthtest.Reply{Status: 400, Body: oauthtest.AutheliaPendingBody},
			oauthtest.Reply{Status: 500, Body: oauthtest.AutheliaServerError})
		h := newAutheliaHarness(t, srv)
		h.m.DeniedCooldown = 30 * time.Second
		h.start()
		advance(20*time.Second + time.Millisecond) // polls at 10 s (pending) and 20 s (500)
		s := h.last()
		if !shows(s, Denied) || !strings.Contains(s.Detail, "denied or cancelled") || s.QR != "" {
			t.Errorf("screen after a 500 server_error = %+v, want denied, saying denied or cancelled, without the QR code", s)
		}
		if got := State(h.record().State); got != Denied {
			t.Errorf("stored state = %v, want denied", got)
		}
		if got := h.reports.types(); !reflect.DeepEqual(got, []string{"PAIRING_DENIED"}) {
			t.Errorf("reports = %v, want one PAIRING_DENIED", got)
		}
		advance(29 * time.Second)
		if n := len(srv.Requests("POST /api/oidc/device-authorization")); n != 1 {
			t.Errorf("%d codes during the cool-down, want 1", n)
		}
		advance(2 * time.Second)
		h.stop()
		if n := len(srv.Requests("POST /api/oidc/device-authorization")); n != 2 {
			t.Errorf("%d codes after the cool-down, want 2", n)
		}
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "BCDFGH02" {
			t.Errorf("screen after the cool-down = %+v, want the new code", s)
		}
		if n := len(srv.Requests("POST /api/oidc/token")); n != 2 {
			t.Errorf("%d polls, want 2: the dead code is not polled again", n)
		}
	})
}

func TestAutheliaPlain500IsTransient(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.Script("POST /api/oidc/token", oauthtest.Reply{Status: 500, Body: "<html>Internal Server Error</html>", Header: http.Header{"Content-Type": {oauthtest.HTMLType}}})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		s := h.last()
		if !shows(s, AwaitingUser) || s.UserCode != "BCDFGH01" || !strings.Contains(s.Detail, "HTTP 500") {
			t.Errorf("screen after a plain 500 = %+v, want the same code and a note about HTTP 500", s)
		}
		advance(15 * time.Second)
		h.stop()
		if n := len(srv.Requests("POST /api/oidc/device-authorization")); n != 1 {
			t.Errorf("%d codes, want 1: a plain 500 keeps the code", n)
		}
		if len(h.reports.all()) != 0 {
			t.Errorf("reports %v for a transient error", h.reports.types())
		}
	})
}

// An hour of a user who never comes: the polls stay under Authelia's
// limits (30/min, 50/10 min, 100/h) with our margin (27, 45, 90), counted
// across codes, since the server counts per address.
func TestAutheliaPacingOverAnHour(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(time.Hour)
		h.stop()
		polls := srv.Requests("POST /api/oidc/token")
		var times []time.Duration
		for _, p := range polls {
			times = append(times, p.At)
		}
		for _, l := range []oauth.RateLimit{{N: 27, Per: time.Minute}, {N: 45, Per: 10 * time.Minute}, {N: 90, Per: time.Hour}} {
			if n, at := windowMax(times, l.Per); n > l.N {
				t.Errorf("%d polls in the %v from %v, want at most %d", n, l.Per, at, l.N)
			}
		}
		if len(polls) < 80 {
			t.Errorf("only %d polls in an hour: pacing starves the flow", len(polls))
		}
		for i, g := range gaps2(polls) {
			if g < 10*time.Second {
				t.Errorf("gap %d = %v, below oauth.Authelia's interval of 10 s", i, g)
			}
		}
		// Every code on screen must be polled while it lives: an approval
		// of a code that is never polled is lost.
		dev := srv.Requests("POST /api/oidc/device-authorization")
		var unpolled []int
		for i := range dev {
			code := fmt.Sprintf("secret-device-code-%d", i+1)
			end := dev[i].At + 599*time.Second
			if end > time.Hour {
				continue // still on screen
			}
			n := 0
			for _, p := range polls {
				if polledCode(p) == code {
					n++
				}
			}
			if n == 0 {
				unpolled = append(unpolled, i+1)
			}
		}
		if len(unpolled) > 0 {
			t.Errorf("codes %v of %d were shown for their whole 10 min and never polled: an approval then would be lost", unpolled, len(dev))
		}
	})
}

// gaps2 is gaps for oauthtest.Request: from the end of each response to the next
// request.
func gaps2(reqs []oauthtest.Request) []time.Duration {
	var g []time.Duration
	for i := 1; i < len(reqs); i++ {
		g = append(g, reqs[i].At-reqs[i-1].Done)
	}
	return g
}

// A 429 with Retry-After: 60 is honoured: the next poll comes a minute
// later, and the interval grows as for slow_down.
func TestAutheliaRetryAfter(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.Script("POST /api/oidc/token",
			oauthtest.Reply{Status: 400, Body: oauthtest.AutheliaPendingBody},
			oauthtest.Reply{Status: 429, Body: oauthtest.AutheliaRateLimited, Header: http.Header{"Retry-After": {"60"}}},
			oauthtest.Reply{Status: 400, Body: oauthtest.AutheliaPendingBody},
			oauthtest.Reply{Status: 400, Body: oauthtest.AutheliaPendingBody})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(2 * time.Minute)
		h.stop()
		g := gaps2(srv.Requests("POST /api/oidc/token"))
		want := []time.Duration{10 * time.Second, 60 * time.Second, 15 * time.Second}
		if len(g) < len(want) {
			t.Fatalf("gaps %v, want at least %d", g, len(want))
		}
		for i, w := range want {
			if g[i] != w {
				t.Errorf("gap %d = %v, want %v (all %v)", i, g[i], w, g)
			}
		}
		if n := len(srv.Requests("POST /api/oidc/device-authorization")); n != 1 {
			t.Errorf("%d codes, want 1: a rate limit keeps the code", n)
		}
	})
}

// Lowercase "bearer" pairs, and the token is refreshed 10 s before expiry.
func TestAutheliaPairAndRefreshLead(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.Script("POST /api/oidc/token",
			oauthtest.Reply{Status: 200, Body: `{"access_token":"secret-access-1","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"secret-refresh-1"}`},
			oauthtest.Reply{Status: 200, Body: `{"access_token":"secret-access-2","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"secret-refresh-2"}`})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		if rec := h.record(); State(rec.State) != Paired || rec.Tokens.RefreshToken != "secret-refresh-1" {
			t.Fatalf("state %v, want paired with the refresh token", State(rec.State))
		}
		advance(3589*time.Second - 2*time.Millisecond)
		if n := len(srv.Requests("POST /api/oidc/token")); n != 1 {
			t.Errorf("refreshed before 10 s ahead of expiry (%d token requests)", n)
		}
		advance(2 * time.Millisecond)
		h.stop()
		reqs := srv.Requests("POST /api/oidc/token")
		if len(reqs) != 2 {
			t.Fatalf("%d token requests, want the poll and one refresh", len(reqs))
		}
		if got := reqs[1].At - reqs[0].Done; got != 3589*time.Second {
			t.Errorf("refresh %v after pairing, want 3589 s (10 s before expiry)", got)
		}
		if rec := h.record(); rec.Tokens.RefreshToken != "secret-refresh-2" {
			t.Errorf("rotated refresh token not stored")
		}
	})
}
