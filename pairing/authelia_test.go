package pairing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Authelia 4.39 as measured, which differs from what its library code
// suggests: no slow_down, no expired_token, HTTP 500 server_error for a
// denied, used or unknown code, 429 temporarily_unavailable with
// Retry-After, lowercase "bearer".

const autheliaBase = "https://auth.example.com"

var autheliaEndpoints = Endpoints{
	Issuer:              autheliaBase,
	DeviceAuthorization: autheliaBase + "/api/oidc/device-authorization",
	Token:               autheliaBase + "/api/oidc/token",
}

// Fixtures: bodies as Authelia 4.39 sends them.
const (
	autheliaDeviceAuthBody = `{"device_code":"authelia_dc_secret","user_code":"BCDFGHJK",
 "verification_uri":"https://auth.example.com/consent/openid/device-authorization",
 "verification_uri_complete":"https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGHJK",
 "expires_in":599,"interval":10}`
	autheliaTokenBody    = `{"access_token":"authelia_at_secret","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"authelia_rt_secret"}`
	autheliaServerError  = `{"error":"server_error","error_description":"The authorization server encountered an unexpected condition that prevented it from fulfilling the request."}`
	autheliaRateLimited  = `{"error":"temporarily_unavailable","error_description":"The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the authorization server."}`
	autheliaPendingBody  = `{"error":"authorization_pending","error_description":"The authorization request is still pending as the end user hasn't yet completed the user-interaction steps."}`
	autheliaAccessDenied = `{"error":"access_denied","error_description":"The resource owner or authorization server denied the request."}`
	htmlType             = "text/html; charset=utf-8"
)

func TestAutheliaRequests(t *testing.T) {
	ctx := context.Background()
	c := ClientConfig{ClientID: "standcloud-device", Scope: "offline_access", Params: url.Values{"audience": {"https://app.example.com"}}}
	req, err := Authelia{}.DeviceAuthRequest(ctx, autheliaEndpoints, c)
	if err != nil {
		t.Fatal(err)
	}
	want := wireRequest{Method: "POST", URL: autheliaBase + "/api/oidc/device-authorization", ContentType: formType, Accept: "application/json",
		Form: url.Values{"client_id": {"standcloud-device"}, "scope": {"offline_access"}, "audience": {"https://app.example.com"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("device authorization request = %+v, want %+v", got, want)
	}
	req, err = Authelia{}.TokenRequest(ctx, autheliaEndpoints, c, "authelia_dc_secret")
	if err != nil {
		t.Fatal(err)
	}
	want = wireRequest{Method: "POST", URL: autheliaBase + "/api/oidc/token", ContentType: formType, Accept: "application/json",
		Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"authelia_dc_secret"}, "client_id": {"standcloud-device"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("token request = %+v, want %+v", got, want)
	}
	if strings.Contains(req.URL.String(), "secret") {
		t.Errorf("token request URL %s carries the device code", req.URL)
	}
	req, err = Authelia{}.RefreshRequest(ctx, autheliaEndpoints, c, Grant{RefreshToken: "authelia_rt_secret"})
	if err != nil {
		t.Fatal(err)
	}
	want = wireRequest{Method: "POST", URL: autheliaBase + "/api/oidc/token", ContentType: formType, Accept: "application/json",
		Form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"authelia_rt_secret"}, "client_id": {"standcloud-device"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("refresh request = %+v, want %+v", got, want)
	}
}

func TestAutheliaParseDeviceAuth(t *testing.T) {
	da, err := Authelia{}.ParseDeviceAuth(wireResponse(200, jsonType, autheliaDeviceAuthBody, "Cache-Control", "no-store"))
	want := DeviceAuth{DeviceCode: "authelia_dc_secret", UserCode: "BCDFGHJK",
		VerificationURI:         "https://auth.example.com/consent/openid/device-authorization",
		VerificationURIComplete: "https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGHJK",
		Interval:                10 * time.Second, ExpiresIn: 599 * time.Second}
	if err != nil || !reflect.DeepEqual(da, want) {
		t.Errorf("ParseDeviceAuth = %+v, %v, want %+v", da, err, want)
	}
}

func TestAutheliaParseToken(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Response
		// is is a sentinel the error must match; nil for success.
		is        error
		transient bool
		want      Token
		check     func(t *testing.T, err error)
	}{
		{name: "lowercase bearer", in: wireResponse(200, jsonType, autheliaTokenBody),
			want: Token{AccessToken: "authelia_at_secret", RefreshToken: "authelia_rt_secret", TokenType: "bearer",
				Scope: "offline_access", ExpiresIn: 3599 * time.Second}},
		{name: "pending", in: wireResponse(400, jsonType, autheliaPendingBody), is: ErrAuthorizationPending},
		{name: "500 server_error is a dead code", in: wireResponse(500, jsonType, autheliaServerError), is: ErrAccessDenied,
			check: func(t *testing.T, err error) {
				var oe *OAuthError
				if !errors.As(err, &oe) || oe.HTTPStatus != 500 || !strings.Contains(oe.Description, "denied or cancelled") {
					t.Errorf("err = %#v, want access_denied from HTTP 500 saying denied or cancelled", oe)
				}
			}},
		{name: "500 bare server_error", in: wireResponse(500, "application/json", `{"error":"server_error"}`), is: ErrAccessDenied},
		{name: "plain 500 stays transient", in: wireResponse(500, htmlType, "<html><body>Internal Server Error</body></html>"), transient: true},
		{name: "empty 502 stays transient", in: wireResponse(502, "", ""), transient: true},
		{name: "503 temporarily_unavailable stays transient", in: wireResponse(503, jsonType, autheliaRateLimited), transient: true},
		{name: "429 with Retry-After", in: wireResponse(429, jsonType, autheliaRateLimited, "Retry-After", "60"), is: ErrSlowDown,
			check: func(t *testing.T, err error) {
				var oe *OAuthError
				if !errors.As(err, &oe) || oe.RetryAfter != time.Minute {
					t.Errorf("err = %#v, want RetryAfter 1m", oe)
				}
			}},
		{name: "403 access_denied (library reading)", in: wireResponse(403, jsonType, autheliaAccessDenied), is: ErrAccessDenied},
		{name: "unknown token type", in: wireResponse(200, jsonType, `{"access_token":"authelia_at_secret","token_type":"mac"}`), is: ErrBadToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Authelia{}.ParseToken(tt.in)
			if tt.is == nil && !tt.transient {
				if err != nil || !reflect.DeepEqual(tok, tt.want) {
					t.Errorf("ParseToken = %+v, %v, want %+v", tok, err, tt.want)
				}
				return
			}
			var te *TransientError
			if got := errors.As(err, &te); got != tt.transient {
				t.Errorf("err = %v: transient %v, want %v", err, got, tt.transient)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to match %v", err, tt.is)
			}
			if tt.transient && errors.Is(err, ErrAccessDenied) {
				t.Errorf("err = %v: a plain 5xx must not end the flow", err)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

// Through the client, a dead code's 500 never quotes the device code.
func TestAutheliaClientDeadCode(t *testing.T) {
	srv := newProfServer()
	srv.script("POST /api/oidc/token", scripted{status: 500, body: `{"error":"server_error","error_description":"code secret-device-code-1 is unknown"}`})
	c := &Client{HTTP: &http.Client{Transport: srv}, Profile: Authelia{}, Endpoints: autheliaEndpoints, Config: ClientConfig{ClientID: "standcloud-device"}}
	_, err := c.PollToken(context.Background(), "secret-device-code-1")
	if !errors.Is(err, ErrAccessDenied) {
		t.Errorf("err = %v, want access_denied", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret-device-code") {
		t.Errorf("err %q quotes the device code", err)
	}
}

// autheliaServer is a stock Authelia: fresh codes (599 s, interval 10 s)
// and pending forever unless scripted.
func autheliaServer() *profServer {
	srv := newProfServer()
	srv.defaults["POST /api/oidc/device-authorization"] = func(n int, _ *http.Request, _ []byte) scripted {
		return scripted{status: 200, header: http.Header{"Cache-Control": {"no-store"}}, body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":"BCDFGH%02d","verification_uri":"https://auth.example.com/consent/openid/device-authorization","verification_uri_complete":"https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGH%02d","expires_in":599,"interval":10}`,
			n+1, n+1, n+1)}
	}
	srv.defaults["POST /api/oidc/token"] = func(int, *http.Request, []byte) scripted {
		return scripted{status: 400, body: autheliaPendingBody}
	}
	return srv
}

func newAutheliaHarness(t *testing.T, srv *profServer) *profHarness {
	h := newProfHarness(t, Authelia{}, autheliaBase, srv, nil)
	h.m.Client.Endpoints = autheliaEndpoints
	h.m.Server.TokenEndpoint = autheliaEndpoints.Token
	return h
}

// polledCode is the device code a token request polled.
func polledCode(r profReq) string {
	f, _ := url.ParseQuery(string(r.body))
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
		dev := srv.requests("POST /api/oidc/device-authorization")
		if len(dev) != 2 {
			t.Fatalf("%d device codes in 11 min of 599 s codes, want 2", len(dev))
		}
		deadline := dev[0].at + 599*time.Second
		if dev[1].at != deadline {
			t.Errorf("second code asked for at %v, want at the first code's deadline %v", dev[1].at, deadline)
		}
		var polled int
		for _, p := range srv.requests("POST /api/oidc/token") {
			if polledCode(p) == "secret-device-code-1" {
				polled++
				if p.at >= deadline {
					t.Errorf("the first code was polled at %v, at or after its deadline %v", p.at, deadline)
				}
			}
		}
		if polled < 40 {
			t.Errorf("the first code was polled %d times in its 10 min, want about 45", polled)
		}
		if !h.sawDetail("The code expired") {
			t.Errorf("no screen said the code expired")
		}
		if s := h.last(); s.State != "awaiting_user" || s.UserCode != "BCDFGH02" {
			t.Errorf("screen = %+v, want the second code", s)
		}
	})
}

// A 500 server_error is a denied, used or unknown code: "denied or
// cancelled", then a new code after the cool-down. A plain 500 is an outage.
func TestAutheliaServerErrorIsDenied(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.script("POST /api/oidc/token", scripted{status: 400, body: autheliaPendingBody},
			scripted{status: 500, body: autheliaServerError})
		h := newAutheliaHarness(t, srv)
		h.m.DeniedCooldown = 30 * time.Second
		h.start()
		advance(20*time.Second + time.Millisecond) // polls at 10 s (pending) and 20 s (500)
		s := h.last()
		if s.State != "denied" || !strings.Contains(s.Detail, "denied or cancelled") || s.QR != "" {
			t.Errorf("screen after a 500 server_error = %+v, want denied, saying denied or cancelled, without the QR code", s)
		}
		if got := State(h.record().State); got != Denied {
			t.Errorf("stored state = %v, want denied", got)
		}
		if got := h.reports.types(); !reflect.DeepEqual(got, []string{"PAIRING_DENIED"}) {
			t.Errorf("reports = %v, want one PAIRING_DENIED", got)
		}
		advance(29 * time.Second)
		if n := len(srv.requests("POST /api/oidc/device-authorization")); n != 1 {
			t.Errorf("%d codes during the cool-down, want 1", n)
		}
		advance(2 * time.Second)
		h.stop()
		if n := len(srv.requests("POST /api/oidc/device-authorization")); n != 2 {
			t.Errorf("%d codes after the cool-down, want 2", n)
		}
		if s := h.last(); s.State != "awaiting_user" || s.UserCode != "BCDFGH02" {
			t.Errorf("screen after the cool-down = %+v, want the new code", s)
		}
		if n := len(srv.requests("POST /api/oidc/token")); n != 2 {
			t.Errorf("%d polls, want 2: the dead code is not polled again", n)
		}
	})
}

func TestAutheliaPlain500IsTransient(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.script("POST /api/oidc/token", scripted{status: 500, body: "<html>Internal Server Error</html>", header: http.Header{"Content-Type": {htmlType}}})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		s := h.last()
		if s.State != "awaiting_user" || s.UserCode != "BCDFGH01" || !strings.Contains(s.Detail, "HTTP 500") {
			t.Errorf("screen after a plain 500 = %+v, want the same code and a note about HTTP 500", s)
		}
		advance(15 * time.Second)
		h.stop()
		if n := len(srv.requests("POST /api/oidc/device-authorization")); n != 1 {
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
		polls := srv.requests("POST /api/oidc/token")
		var times []time.Duration
		for _, p := range polls {
			times = append(times, p.at)
		}
		for _, l := range []RateLimit{{27, time.Minute}, {45, 10 * time.Minute}, {90, time.Hour}} {
			if n, at := windowMax(times, l.Per); n > l.N {
				t.Errorf("%d polls in the %v from %v, want at most %d", n, l.Per, at, l.N)
			}
		}
		if len(polls) < 80 {
			t.Errorf("only %d polls in an hour: pacing starves the flow", len(polls))
		}
		for i, g := range gaps2(polls) {
			if g < 10*time.Second {
				t.Errorf("gap %d = %v, below Authelia's interval of 10 s", i, g)
			}
		}
		// Every code on screen must be polled while it lives: an approval
		// of a code that is never polled is lost.
		dev := srv.requests("POST /api/oidc/device-authorization")
		var unpolled []int
		for i := range dev {
			code := fmt.Sprintf("secret-device-code-%d", i+1)
			end := dev[i].at + 599*time.Second
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

// gaps2 is gaps for profReq: from the end of each response to the next
// request.
func gaps2(reqs []profReq) []time.Duration {
	var g []time.Duration
	for i := 1; i < len(reqs); i++ {
		g = append(g, reqs[i].at-reqs[i-1].done)
	}
	return g
}

// A 429 with Retry-After: 60 is honoured: the next poll comes a minute
// later, and the interval grows as for slow_down.
func TestAutheliaRetryAfter(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.script("POST /api/oidc/token",
			scripted{status: 400, body: autheliaPendingBody},
			scripted{status: 429, body: autheliaRateLimited, header: http.Header{"Retry-After": {"60"}}},
			scripted{status: 400, body: autheliaPendingBody},
			scripted{status: 400, body: autheliaPendingBody})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(2 * time.Minute)
		h.stop()
		g := gaps2(srv.requests("POST /api/oidc/token"))
		want := []time.Duration{10 * time.Second, 60 * time.Second, 15 * time.Second}
		if len(g) < len(want) {
			t.Fatalf("gaps %v, want at least %d", g, len(want))
		}
		for i, w := range want {
			if g[i] != w {
				t.Errorf("gap %d = %v, want %v (all %v)", i, g[i], w, g)
			}
		}
		if n := len(srv.requests("POST /api/oidc/device-authorization")); n != 1 {
			t.Errorf("%d codes, want 1: a rate limit keeps the code", n)
		}
	})
}

// Lowercase "bearer" pairs, and the token is refreshed 10 s before expiry.
func TestAutheliaPairAndRefreshLead(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := autheliaServer()
		srv.script("POST /api/oidc/token",
			scripted{status: 200, body: `{"access_token":"secret-access-1","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"secret-refresh-1"}`},
			scripted{status: 200, body: `{"access_token":"secret-access-2","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"secret-refresh-2"}`})
		h := newAutheliaHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		if rec := h.record(); State(rec.State) != Paired || rec.Tokens.RefreshToken != "secret-refresh-1" {
			t.Fatalf("state %v, want paired with the refresh token", State(rec.State))
		}
		advance(3589*time.Second - 2*time.Millisecond)
		if n := len(srv.requests("POST /api/oidc/token")); n != 1 {
			t.Errorf("refreshed before 10 s ahead of expiry (%d token requests)", n)
		}
		advance(2 * time.Millisecond)
		h.stop()
		reqs := srv.requests("POST /api/oidc/token")
		if len(reqs) != 2 {
			t.Fatalf("%d token requests, want the poll and one refresh", len(reqs))
		}
		if got := reqs[1].at - reqs[0].done; got != 3589*time.Second {
			t.Errorf("refresh %v after pairing, want 3589 s (10 s before expiry)", got)
		}
		if rec := h.record(); rec.Tokens.RefreshToken != "secret-refresh-2" {
			t.Errorf("rotated refresh token not stored")
		}
	})
}
