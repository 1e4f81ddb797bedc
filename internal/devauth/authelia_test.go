package devauth

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func autheliaEnv(t *testing.T, o Options) *env {
	o.Profile = ProfileAuthelia
	if o.TokenRateLimits == nil {
		o.TokenRateLimits = []RateLimit{} // most tests poll freely
	}
	return newEnv(t, o)
}

func (e *env) autheliaAuthorize(form url.Values) response {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("client_id") {
		form.Set("client_id", "tv")
	}
	return e.post("/api/oidc/device-authorization", form, nil)
}

func (e *env) autheliaPoll(deviceCode string) response {
	e.t.Helper()
	return e.post("/api/oidc/token", url.Values{
		"grant_type": {GrantDeviceCode}, "device_code": {deviceCode}, "client_id": {"tv"},
	}, nil)
}

func (e *env) autheliaRefresh(rt string) response {
	e.t.Helper()
	return e.post("/api/oidc/token", url.Values{
		"grant_type": {GrantRefreshToken}, "refresh_token": {rt}, "client_id": {"tv"},
	}, nil)
}

// autheliaPair runs a whole flow with scope and returns the token answer.
func (e *env) autheliaPair(scope string) response {
	e.t.Helper()
	da := e.autheliaAuthorize(url.Values{"scope": {scope}})
	if da.status != http.StatusOK {
		e.t.Fatalf("device authorization: %d %s", da.status, da.body)
	}
	if err := e.srv.Approve(da.str("user_code")); err != nil {
		e.t.Fatal(err)
	}
	tok := e.autheliaPoll(da.str("device_code"))
	if tok.status != http.StatusOK {
		e.t.Fatalf("poll after approval: %d %s", tok.status, tok.body)
	}
	return tok
}

var autheliaUserCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{8}$`)

func TestAutheliaFlow(t *testing.T) {
	e := autheliaEnv(t, Options{})
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		m := e.get(path, nil)
		if m.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, m.status)
		}
		for key, want := range map[string]string{
			"issuer":                        e.url,
			"device_authorization_endpoint": e.url + "/api/oidc/device-authorization",
			"token_endpoint":                e.url + "/api/oidc/token",
			"revocation_endpoint":           e.url + "/api/oidc/revocation",
			"userinfo_endpoint":             e.url + "/api/oidc/userinfo",
		} {
			if got := m.str(key); got != want {
				t.Errorf("%s %s = %q, want %q", path, key, got, want)
			}
		}
	}

	da := e.autheliaAuthorize(nil)
	if da.status != http.StatusOK {
		t.Fatalf("device authorization: %d %s", da.status, da.body)
	}
	uc, dc := da.str("user_code"), da.str("device_code")
	if !autheliaUserCodeRE.MatchString(uc) {
		t.Errorf("user_code %q does not match %s", uc, autheliaUserCodeRE)
	}
	if !strings.HasPrefix(dc, "authelia_dc_") {
		t.Errorf("device_code does not start with authelia_dc_")
	}
	vu := e.url + "/consent/openid/device-authorization"
	if da.str("verification_uri") != vu || da.str("verification_uri_complete") != vu+"?user_code="+uc {
		t.Errorf("verification URIs %q, %q; want %q(?user_code=)", da.str("verification_uri"), da.str("verification_uri_complete"), vu)
	}
	if ei := da.json["expires_in"]; ei != float64(600) && ei != float64(599) {
		t.Errorf("expires_in = %v, want 599 or 600", ei)
	}
	if da.json["interval"] != float64(10) {
		t.Errorf("interval = %v, want 10", da.json["interval"])
	}
	if da.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", da.header.Get("Cache-Control"))
	}

	// Authelia never says slow_down, however fast the device polls.
	for i := range 3 {
		wantError(t, "early poll", e.autheliaPoll(dc), 400, "authorization_pending")
		e.clk.Advance(time.Duration(i) * time.Second)
	}
	page := e.get("/consent/openid/device-authorization?user_code="+uc, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `value="`+uc+`"`) {
		t.Fatalf("consent page: %d %s", page.status, page.body)
	}
	e.approvePage(strings.ToLower(uc[:4]+"-"+uc[4:]), "APPROVE", nil)

	tok := e.autheliaPoll(dc)
	if tok.status != http.StatusOK {
		t.Fatalf("poll after approval: %d %s", tok.status, tok.body)
	}
	for key, want := range map[string]any{"token_type": "bearer", "expires_in": float64(3599), "scope": "openid offline_access"} {
		if got := tok.json[key]; got != want {
			t.Errorf("token %s = %v, want %v", key, got, want)
		}
	}
	if !strings.HasPrefix(tok.str("access_token"), "authelia_at_") || !strings.HasPrefix(tok.str("refresh_token"), "authelia_rt_") || tok.str("id_token") == "" {
		t.Errorf("token answer lacks authelia_at_/authelia_rt_/id_token: %s", tok.body)
	}
	if r := e.get("/api/oidc/userinfo", bearer(tok.str("access_token"))); r.status != http.StatusOK {
		t.Errorf("userinfo: %d %s", r.status, r.body)
	}

	// A used code, and an unknown one, answer HTTP 500 server_error.
	wantError(t, "poll with a used code", e.autheliaPoll(dc), 500, "server_error")
	r := e.autheliaPoll("authelia_dc_nope")
	wantError(t, "poll with an unknown code", r, 500, "server_error")
	if r.body != "{\"error\":\"server_error\"}\n" {
		t.Errorf("server_error body = %q", r.body)
	}
	e.noSecretsLogged(dc, tok.str("access_token"), tok.str("refresh_token"))
}

func TestAutheliaDenyAndExpiry(t *testing.T) {
	e := autheliaEnv(t, Options{})
	da := e.autheliaAuthorize(nil)
	e.approvePage(da.str("user_code"), "deny", nil)
	for range 2 {
		wantError(t, "poll after deny", e.autheliaPoll(da.str("device_code")), 500, "server_error")
	}

	da = e.autheliaAuthorize(nil)
	e.clk.Advance(11 * time.Minute)
	// No expired_token ever: the client's own deadline must stop it.
	wantError(t, "poll after expiry", e.autheliaPoll(da.str("device_code")), 400, "authorization_pending")
	if err := e.srv.Approve(da.str("user_code")); !errors.Is(err, ErrExpiredUserCode) {
		t.Errorf("Approve(expired) = %v, want ErrExpiredUserCode", err)
	}
	wantError(t, "poll after expiry", e.autheliaPoll(da.str("device_code")), 400, "authorization_pending")
}

func TestAutheliaRateLimit(t *testing.T) {
	if s := New(Options{Issuer: "https://auth.example", Profile: ProfileAuthelia}); len(s.authelia.limiter.limits) != 3 {
		t.Errorf("default limits = %v, want Authelia's three", s.authelia.limiter.limits)
	}
	e := autheliaEnv(t, Options{TokenRateLimits: []RateLimit{{Period: time.Minute, Requests: 3}, {Period: time.Hour, Requests: 5}}})
	dc := e.autheliaAuthorize(nil).str("device_code")
	for range 3 {
		wantError(t, "poll under the limit", e.autheliaPoll(dc), 400, "authorization_pending")
		e.clk.Advance(10 * time.Second)
	}
	r := e.autheliaPoll(dc)
	wantError(t, "poll over the limit", r, 429, "temporarily_unavailable")
	if got := r.header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30 (the first poll leaves the minute window in 30 s)", got)
	}
	e.clk.Advance(30 * time.Second)
	wantError(t, "poll after Retry-After", e.autheliaPoll(dc), 400, "authorization_pending")
	e.clk.Advance(time.Minute)
	wantError(t, "5th counted poll", e.autheliaPoll(dc), 400, "authorization_pending")
	r = e.autheliaPoll(dc)
	wantError(t, "poll over the hourly limit", r, 429, "temporarily_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// Refresh requests share the limit.
	wantError(t, "refresh when limited", e.autheliaRefresh("authelia_rt_x"), 429, "temporarily_unavailable")
}

func TestAutheliaRefresh(t *testing.T) {
	e := autheliaEnv(t, Options{})
	first := e.autheliaPair("openid offline_access")
	second := e.autheliaRefresh(first.str("refresh_token"))
	if second.status != http.StatusOK || second.str("refresh_token") == "" || second.str("refresh_token") == first.str("refresh_token") {
		t.Fatalf("refresh: %d %s", second.status, second.body)
	}
	if r := e.get("/api/oidc/userinfo", bearer(first.str("access_token"))); r.status != http.StatusUnauthorized {
		t.Errorf("old access token after refresh: %d, want 401", r.status)
	}
	if r := e.get("/api/oidc/userinfo", bearer(second.str("access_token"))); r.status != http.StatusOK {
		t.Errorf("new access token: %d, want 200", r.status)
	}
	// No grace period: reusing the old refresh token revokes the family.
	wantError(t, "reuse of a rotated refresh token", e.autheliaRefresh(first.str("refresh_token")), 400, "invalid_grant")
	wantError(t, "newest refresh token after reuse", e.autheliaRefresh(second.str("refresh_token")), 400, "invalid_grant")
	if r := e.get("/api/oidc/userinfo", bearer(second.str("access_token"))); r.status != http.StatusUnauthorized {
		t.Errorf("newest access token after reuse: %d, want 401", r.status)
	}

	// The refresh token dies after 90 minutes by default.
	third := e.autheliaPair("offline_access")
	e.clk.Advance(91 * time.Minute)
	wantError(t, "refresh after 90 min", e.autheliaRefresh(third.str("refresh_token")), 400, "invalid_grant")

	// Revocation endpoint.
	fourth := e.autheliaPair("offline_access")
	if r := e.post("/api/oidc/revocation", url.Values{"token": {fourth.str("refresh_token")}, "client_id": {"tv"}}, nil); r.status != http.StatusOK {
		t.Fatalf("revocation: %d", r.status)
	}
	wantError(t, "refresh after revocation", e.autheliaRefresh(fourth.str("refresh_token")), 400, "invalid_grant")
	e.noSecretsLogged(first.str("refresh_token"), second.str("refresh_token"), second.str("access_token"))
}

func TestAutheliaScopesAndAudience(t *testing.T) {
	e := autheliaEnv(t, Options{})
	wantError(t, "bearer.authz", e.autheliaAuthorize(url.Values{"scope": {"offline_access authelia.bearer.authz"}}), 400, "invalid_scope")
	tok := e.autheliaPair("openid profile")
	if _, ok := tok.json["refresh_token"]; ok {
		t.Errorf("refresh_token without offline_access: %s", tok.body)
	}
	tok = e.autheliaPair("offline")
	if tok.str("refresh_token") == "" || tok.str("id_token") != "" {
		t.Errorf("scope offline: want a refresh token and no id_token: %s", tok.body)
	}
	if r := e.autheliaAuthorize(url.Values{"audience": {"https://any.example"}}); r.status != http.StatusOK {
		t.Errorf("audience without RequireAudience: %d %s", r.status, r.body)
	}

	const api = "https://app.example/hardpy/api/v1"
	e = autheliaEnv(t, Options{RequireAudience: api})
	wantError(t, "missing audience", e.autheliaAuthorize(nil), 400, "invalid_request")
	wantError(t, "other audience", e.autheliaAuthorize(url.Values{"audience": {"https://evil.example"}}), 400, "invalid_request")
	wantError(t, "one good, one other", e.autheliaAuthorize(url.Values{"audience": {api, "https://evil.example"}}), 400, "invalid_request")
	if r := e.autheliaAuthorize(url.Values{"audience": {api, api}, "scope": {"offline_access"}}); r.status != http.StatusOK {
		t.Errorf("repeated good audience: %d %s", r.status, r.body)
	}
}
