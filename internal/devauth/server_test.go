package devauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMetadata(t *testing.T) {
	for _, tt := range []struct {
		name     string
		secret   string
		path     string
		wantAuth string
	}{
		{"rfc8414 public", "", "/.well-known/oauth-authorization-server", `["none"]`},
		{"oidc public", "", "/.well-known/openid-configuration", `["none"]`},
		{"rfc8414 confidential", "s3cret", "/.well-known/oauth-authorization-server", `["client_secret_basic","client_secret_post"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{ClientSecret: tt.secret})
			r := e.get(tt.path, nil)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", tt.path, r.status)
			}
			for key, want := range map[string]string{
				"issuer":                        e.url,
				"device_authorization_endpoint": e.url + "/device_authorization",
				"token_endpoint":                e.url + "/token",
				"revocation_endpoint":           e.url + "/revoke",
				"userinfo_endpoint":             e.url + "/userinfo",
			} {
				if got := r.str(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if got, want := fmt.Sprint(r.json["grant_types_supported"]), "["+GrantDeviceCode+" refresh_token]"; got != want {
				t.Errorf("grant_types_supported = %s, want %s", got, want)
			}
			if !strings.Contains(r.body, `"token_endpoint_auth_methods_supported":`+tt.wantAuth) {
				t.Errorf("token_endpoint_auth_methods_supported: body %s, want %s", r.body, tt.wantAuth)
			}
			if _, ok := r.json["response_types_supported"]; !ok {
				t.Errorf("response_types_supported missing (RFC 8414 requires it)")
			}
		})
	}
}

var userCodeRE = regexp.MustCompile(`^[` + UserCodeAlphabet + `]{4}-[` + UserCodeAlphabet + `]{4}$`)

func TestDeviceAuthorizationResponse(t *testing.T) {
	e := newEnv(t, Options{})
	seen := make(map[string]bool)
	for range 200 {
		r := e.authorize("openid profile")
		uc, dc := r.str("user_code"), r.str("device_code")
		if !userCodeRE.MatchString(uc) {
			t.Fatalf("user_code %q does not match %s", uc, userCodeRE)
		}
		if !regexp.MustCompile(`^dc_[0-9a-f]{32}$`).MatchString(dc) {
			t.Fatalf("device_code %q is not dc_ and 32 hex digits", dc)
		}
		if seen[uc] || seen[dc] {
			t.Fatalf("user_code %q or its device code issued twice", uc)
		}
		seen[uc], seen[dc] = true, true
		if got, want := r.str("verification_uri"), e.url+"/device"; got != want {
			t.Errorf("verification_uri = %q, want %q", got, want)
		}
		if got, want := r.str("verification_uri_complete"), e.url+"/device?user_code="+uc; got != want {
			t.Errorf("verification_uri_complete = %q, want %q", got, want)
		}
		if got, want := r.json["interval"], float64(5); got != want {
			t.Errorf("interval = %v, want %v", got, want)
		}
		if got, want := r.json["expires_in"], float64(600); got != want {
			t.Errorf("expires_in = %v, want %v", got, want)
		}
	}
}

func TestDeviceAuthorizationErrors(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tt := range []struct {
		name   string
		body   string
		ctype  string
		method string
		status int
		code   string
	}{
		{"missing client_id", "scope=x", "application/x-www-form-urlencoded", "POST", 400, "invalid_request"},
		{"empty client_id", "client_id=", "application/x-www-form-urlencoded", "POST", 400, "invalid_request"},
		{"json body", `{"client_id":"tv"}`, "application/json", "POST", 400, "invalid_request"},
		{"client_id twice", "client_id=a&client_id=b", "application/x-www-form-urlencoded", "POST", 400, "invalid_request"},
		{"body too large", "client_id=tv&pad=" + strings.Repeat("x", maxBody), "application/x-www-form-urlencoded", "POST", 413, "invalid_request"},
		{"GET", "", "", "GET", 405, ""},
		{"extra params ignored", "client_id=tv&audience=x", "application/x-www-form-urlencoded; charset=utf-8", "POST", 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+"/device_authorization", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			wantError(t, tt.name, e.do(req), tt.status, tt.code)
		})
	}
}

// TestDeviceFlow walks the polling rules: pending, slow_down when polled
// early (stacking +5 s), approval on the page, tokens, and a device code
// that works once.
func TestDeviceFlow(t *testing.T) {
	e := newEnv(t, Options{})
	da := e.authorize("openid")
	dc, uc := da.str("device_code"), da.str("user_code")

	steps := []struct {
		advance time.Duration
		status  int
		code    string
	}{
		{0, 400, "authorization_pending"},   // first poll: nothing to be early against
		{1 * time.Second, 400, "slow_down"}, // interval 5 s; now 10 s
		{9 * time.Second, 400, "slow_down"}, // 9 s < 10 s; now 15 s
		{15 * time.Second, 400, "authorization_pending"},
		{15 * time.Second, 400, "authorization_pending"},
	}
	for i, st := range steps {
		e.clk.Advance(st.advance)
		wantError(t, fmt.Sprintf("poll %d", i), e.poll(dc), st.status, st.code)
	}

	// Approve as a user would from curl: lower case, no dash.
	page := e.post("/device", url.Values{
		"user_code": {strings.ToLower(strings.ReplaceAll(uc, "-", ""))},
		"action":    {"approve"},
	}, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Device approved") {
		t.Fatalf("POST /device approve: status %d, body %s", page.status, page.body)
	}

	e.clk.Advance(15 * time.Second)
	tok := e.poll(dc)
	if tok.status != http.StatusOK {
		t.Fatalf("poll after approval: status %d, body %s", tok.status, tok.body)
	}
	for key, want := range map[string]any{"token_type": "Bearer", "expires_in": float64(300), "scope": "openid"} {
		if got := tok.json[key]; got != want {
			t.Errorf("token %s = %v, want %v", key, got, want)
		}
	}
	if tok.str("access_token") == "" || tok.str("refresh_token") == "" {
		t.Errorf("token response lacks access_token or refresh_token: %s", tok.body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache"} {
		if got := tok.header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}

	e.clk.Advance(15 * time.Second)
	wantError(t, "poll with a consumed code", e.poll(dc), 400, "invalid_grant")
	if err := e.srv.Approve(uc); !errors.Is(err, ErrUnknownUserCode) {
		t.Errorf("Approve(consumed %q) = %v, want ErrUnknownUserCode", uc, err)
	}
	if got, want := e.srv.Polls(), len(steps)+2; got != want {
		t.Errorf("Polls() = %d, want %d", got, want)
	}
}

func TestDeny(t *testing.T) {
	e := newEnv(t, Options{})
	da := e.authorize("")
	page := e.post("/device", url.Values{"user_code": {da.str("user_code")}, "action": {"deny"}}, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Device denied") {
		t.Fatalf("POST /device deny: status %d, body %s", page.status, page.body)
	}
	wantError(t, "poll after deny", e.poll(da.str("device_code")), 400, "access_denied")
	e.clk.Advance(5 * time.Second)
	wantError(t, "second poll after deny", e.poll(da.str("device_code")), 400, "access_denied")
	if err := e.srv.Approve(da.str("user_code")); !errors.Is(err, ErrAlreadyDecided) {
		t.Errorf("Approve after Deny = %v, want ErrAlreadyDecided", err)
	}
	if err := e.srv.Deny(da.str("user_code")); err != nil {
		t.Errorf("Deny twice = %v, want nil", err)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, Options{CodeTTL: 60 * time.Second})
	da := e.authorize("")
	dc, uc := da.str("device_code"), da.str("user_code")
	if got, want := da.json["expires_in"], float64(60); got != want {
		t.Errorf("expires_in = %v, want %v", got, want)
	}

	e.clk.Advance(60 * time.Second) // exactly at expiry: still valid; a code dies after expires_in, not at it
	wantError(t, "poll at expiry", e.poll(dc), 400, "authorization_pending")

	e.clk.Advance(time.Second)
	wantError(t, "poll after expiry", e.poll(dc), 400, "expired_token")
	if err := e.srv.Approve(uc); !errors.Is(err, ErrExpiredUserCode) {
		t.Errorf("Approve(expired) = %v, want ErrExpiredUserCode", err)
	}
	page := e.post("/device", url.Values{"user_code": {uc}, "action": {"approve"}}, nil)
	if page.status != http.StatusBadRequest || !strings.Contains(page.body, "expired") {
		t.Errorf("POST /device with expired code: status %d, want 400 with \"expired\"; body %s", page.status, page.body)
	}

	// Long after expiry the code is dropped.
	e.clk.Advance(2 * time.Minute)
	wantError(t, "poll long after expiry", e.poll(dc), 400, "invalid_grant")
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t, Options{})
	dc := e.authorize("").str("device_code")
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown device code", url.Values{"grant_type": {GrantDeviceCode}, "device_code": {"dc_nope"}, "client_id": {"tv"}}, 400, "invalid_grant"},
		{"other client", url.Values{"grant_type": {GrantDeviceCode}, "device_code": {dc}, "client_id": {"radio"}}, 400, "invalid_grant"},
		{"missing client_id", url.Values{"grant_type": {GrantDeviceCode}, "device_code": {dc}}, 400, "invalid_request"},
		{"missing device_code", url.Values{"grant_type": {GrantDeviceCode}, "client_id": {"tv"}}, 400, "invalid_request"},
		{"missing grant_type", url.Values{"client_id": {"tv"}}, 400, "invalid_request"},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "client_id": {"tv"}}, 400, "unsupported_grant_type"},
		{"unknown refresh token", url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {"rt_nope"}}, 400, "invalid_grant"},
		{"missing refresh token", url.Values{"grant_type": {GrantRefreshToken}}, 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.name, e.post("/token", tt.form, nil), tt.status, tt.code)
		})
	}
	// The failed polls by another client did not start its poll clock:
	// the real client's first poll is not slow_down.
	wantError(t, "first poll by the owner", e.poll(dc), 400, "authorization_pending")
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t, Options{RefreshTTL: time.Hour})
	first := e.pair("openid profile")

	second := e.refresh(first.str("refresh_token"))
	if second.status != http.StatusOK {
		t.Fatalf("refresh: status %d, body %s", second.status, second.body)
	}
	if second.str("refresh_token") == first.str("refresh_token") || second.str("access_token") == first.str("access_token") {
		t.Errorf("refresh did not rotate both tokens: %s", second.body)
	}
	if got, want := second.str("scope"), "openid profile"; got != want {
		t.Errorf("refreshed scope = %q, want %q", got, want)
	}
	if got := second.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("refresh Cache-Control = %q, want no-store", got)
	}
	wantError(t, "reusing a rotated refresh token", e.refresh(first.str("refresh_token")), 400, "invalid_grant")
	wantError(t, "refresh by another client", e.post("/token", url.Values{
		"grant_type": {GrantRefreshToken}, "refresh_token": {second.str("refresh_token")}, "client_id": {"radio"},
	}, nil), 400, "invalid_grant")
	wantError(t, "widening the scope", e.post("/token", url.Values{
		"grant_type": {GrantRefreshToken}, "refresh_token": {second.str("refresh_token")}, "scope": {"openid admin"},
	}, nil), 400, "invalid_scope")

	// A public client may leave out client_id; a narrower scope is fine.
	third := e.post("/token", url.Values{
		"grant_type": {GrantRefreshToken}, "refresh_token": {second.str("refresh_token")}, "scope": {"openid"},
	}, nil)
	if third.status != http.StatusOK || third.str("scope") != "openid" {
		t.Fatalf("narrowing refresh: status %d, body %s; want 200 with scope openid", third.status, third.body)
	}

	e.clk.Advance(time.Hour + time.Second)
	wantError(t, "expired refresh token", e.refresh(third.str("refresh_token")), 400, "invalid_grant")
}

func TestUserinfo(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Minute})
	tok := e.pair("openid")
	bearer := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", v) }
	}

	r := e.get("/userinfo", bearer("Bearer "+tok.str("access_token")))
	if r.status != http.StatusOK {
		t.Fatalf("userinfo: status %d, body %s", r.status, r.body)
	}
	for key, want := range map[string]string{"sub": "demo-user", "name": "Demo User", "client_id": "tv", "scope": "openid"} {
		if got := r.str(key); got != want {
			t.Errorf("userinfo %s = %q, want %q", key, got, want)
		}
	}

	for _, tt := range []struct {
		name      string
		edit      func(*http.Request)
		advance   time.Duration
		wantError bool
	}{
		{"no header", nil, 0, false},
		{"basic scheme", bearer("Basic dHY6eA=="), 0, false},
		{"unknown token", bearer("Bearer at_nope"), 0, true},
		{"expired token", bearer("bearer " + tok.str("access_token")), time.Minute + time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.Advance(tt.advance)
			r := e.get("/userinfo", tt.edit)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.status)
			}
			h := r.header.Get("WWW-Authenticate")
			if !strings.HasPrefix(h, "Bearer ") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
			}
			if got := strings.Contains(h, `error="invalid_token"`); got != tt.wantError {
				t.Errorf("WWW-Authenticate = %q; has invalid_token = %v, want %v", h, got, tt.wantError)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t, Options{})
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	revoke := func(form url.Values) {
		t.Helper()
		if r := e.post("/revoke", form, nil); r.status != http.StatusOK {
			t.Fatalf("revoke %v: status %d, body %s", form.Get("token_type_hint"), r.status, r.body)
		}
	}

	tok := e.pair("")
	revoke(url.Values{"token": {tok.str("access_token")}, "token_type_hint": {"access_token"}, "client_id": {"tv"}})
	if r := e.get("/userinfo", bearer(tok.str("access_token"))); r.status != http.StatusUnauthorized {
		t.Errorf("userinfo with revoked access token: status %d, want 401", r.status)
	}
	// Revoking an access token leaves the grant: refresh still works.
	next := e.refresh(tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatalf("refresh after access token revocation: status %d, body %s", next.status, next.body)
	}

	// Revoking the refresh token (with a wrong hint: only a hint) kills
	// its access tokens too.
	revoke(url.Values{"token": {next.str("refresh_token")}, "token_type_hint": {"access_token"}})
	if r := e.get("/userinfo", bearer(next.str("access_token"))); r.status != http.StatusUnauthorized {
		t.Errorf("userinfo after refresh token revocation: status %d, want 401", r.status)
	}
	wantError(t, "refresh with revoked token", e.refresh(next.str("refresh_token")), 400, "invalid_grant")

	revoke(url.Values{"token": {"rt_unknown"}})
	wantError(t, "revoke without token", e.post("/revoke", url.Values{"client_id": {"tv"}}, nil), 400, "invalid_request")

	// Another client cannot revoke tv's tokens.
	other := e.pair("")
	revoke(url.Values{"token": {other.str("access_token")}, "client_id": {"radio"}})
	if r := e.get("/userinfo", bearer(other.str("access_token"))); r.status != http.StatusOK {
		t.Errorf("userinfo after another client's revoke: status %d, want 200", r.status)
	}
}

func TestClientSecret(t *testing.T) {
	const secret = "s3cr:t+/%"
	e := newEnv(t, Options{ClientSecret: secret})
	basic := func(id, pw string) func(*http.Request) {
		// RFC 6749 §2.3.1: form-encode, then base64, as x/oauth2 does.
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(pw)) }
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"none", url.Values{"client_id": {"tv"}}, nil, 401, "invalid_client"},
		{"basic", nil, basic("tv", secret), 200, ""},
		{"basic with client_id in form too", url.Values{"client_id": {"tv"}}, basic("tv", secret), 200, ""},
		{"basic, other client_id in form", url.Values{"client_id": {"radio"}}, basic("tv", secret), 400, "invalid_request"},
		{"basic, wrong secret", nil, basic("tv", "nope"), 401, "invalid_client"},
		{"basic, not form-encoded", nil, func(r *http.Request) { r.SetBasicAuth("tv", "s3cr:t /%") }, 401, "invalid_client"},
		{"post", url.Values{"client_id": {"tv"}, "client_secret": {secret}}, nil, 200, ""},
		{"post, wrong secret", url.Values{"client_id": {"tv"}, "client_secret": {"nope"}}, nil, 401, "invalid_client"},
		{"post, empty secret", url.Values{"client_id": {"tv"}, "client_secret": {""}}, nil, 401, "invalid_client"},
		{"both methods", url.Values{"client_id": {"tv"}, "client_secret": {secret}}, basic("tv", secret), 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			r := e.post("/device_authorization", form, tt.edit)
			wantError(t, "device authorization", r, tt.status, tt.code)
			if r.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if r.status != http.StatusOK {
				return
			}
			// The token endpoint enforces the same rules.
			dc := r.str("device_code")
			wantError(t, "poll with credentials", e.post("/token", url.Values{
				"grant_type": {GrantDeviceCode}, "device_code": {dc}, "client_id": {"tv"}, "client_secret": {secret},
			}, nil), 400, "authorization_pending")
			e.clk.Advance(time.Minute)
			wantError(t, "poll without credentials", e.poll(dc), 401, "invalid_client")
		})
	}
	wantError(t, "revoke without credentials", e.post("/revoke", url.Values{"token": {"x"}, "client_id": {"tv"}}, nil), 401, "invalid_client")
}

func TestVerificationPage(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.post("/device_authorization", url.Values{"client_id": {`<b>tv</b>`}, "scope": {`"><script>x</script>`}}, nil)
	uc := r.str("user_code")

	for _, tt := range []struct {
		name    string
		query   string
		want    []string
		notWant []string
	}{
		{"empty", "", []string{`name="user_code" value=""`, "Approve", "Deny", "DEVELOPMENT"}, nil},
		{"known code, sloppy", "?user_code=" + url.QueryEscape(strings.ToLower(uc)), []string{`value="` + uc + `"`, "&lt;b&gt;tv&lt;/b&gt;"}, []string{"<b>tv", "<script>"}},
		{"unknown code", "?user_code=ZZZZ-ZZZZ", []string{`value="ZZZZ-ZZZZ"`}, []string{"&lt;b&gt;"}},
		{"hostile", "?user_code=" + url.QueryEscape(`"><script>alert(1)</script>`), []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>", `value="">`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.get("/device"+tt.query, nil)
			if p.status != http.StatusOK {
				t.Fatalf("GET /device%s: status %d", tt.query, p.status)
			}
			if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			if !regexp.MustCompile(`<title>[^<]*development[^<]*</title>`).MatchString(p.body) {
				t.Errorf("title does not say development:\n%s", p.body)
			}
			for _, s := range tt.want {
				if !strings.Contains(p.body, s) {
					t.Errorf("page lacks %q:\n%s", s, p.body)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(p.body, s) {
					t.Errorf("page contains %q:\n%s", s, p.body)
				}
			}
		})
	}
}

func TestDeviceDecisionErrors(t *testing.T) {
	e := newEnv(t, Options{})
	uc := e.authorize("").str("user_code")
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
	}{
		{"unknown code", url.Values{"user_code": {"ZZZZ-ZZZZ"}, "action": {"approve"}}, 404},
		{"no code", url.Values{"action": {"approve"}}, 400},
		{"bad action", url.Values{"user_code": {uc}, "action": {"maybe"}}, 400},
		{"no action", url.Values{"user_code": {uc}}, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post("/device", tt.form, nil)
			if r.status != tt.status || !strings.Contains(r.body, "<form") {
				t.Errorf("POST /device %v: status %d, want %d with the form again", tt.form, r.status, tt.status)
			}
		})
	}
	if err := e.srv.Approve(uc); err != nil {
		t.Errorf("Approve after failed attempts = %v, want nil", err)
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/", 404, ""},
		{"GET", "/token", 405, "POST"},
		{"PUT", "/device", 405, "GET, HEAD, POST"},
		{"POST", "/userinfo", 405, "GET, HEAD"},
		{"POST", "/.well-known/openid-configuration", 405, "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := e.do(req)
			if r.status != tt.status || r.header.Get("Allow") != tt.allow {
				t.Errorf("status %d, Allow %q; want %d, %q", r.status, r.header.Get("Allow"), tt.status, tt.allow)
			}
		})
	}
}

func TestIssuerWithPath(t *testing.T) {
	s := New(Options{Issuer: "https://auth.example/dev/"})
	if got, want := s.VerificationURI(), "https://auth.example/dev/device"; got != want {
		t.Errorf("VerificationURI() = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://x/?a=b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(Issuer: %q) did not panic", bad)
				}
			}()
			New(Options{Issuer: bad})
		}()
	}
}

// TestNoSecretsInLogs checks the server side: device codes and tokens
// never reach the log; user codes do.
func TestNoSecretsInLogs(t *testing.T) {
	e := newEnv(t, Options{})
	da := e.authorize("openid")
	e.poll(da.str("device_code"))
	e.post("/device", url.Values{"user_code": {da.str("user_code")}, "action": {"approve"}}, nil)
	e.clk.Advance(5 * time.Second)
	tok := e.poll(da.str("device_code"))
	next := e.refresh(tok.str("refresh_token"))
	e.refresh(tok.str("refresh_token"))
	e.post("/revoke", url.Values{"token": {next.str("refresh_token")}}, nil)

	logs := e.logs.String()
	for _, secret := range []string{da.str("device_code"), tok.str("access_token"), tok.str("refresh_token"), next.str("access_token"), next.str("refresh_token")} {
		if secret == "" {
			t.Fatalf("flow did not complete; logs:\n%s", logs)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{da.str("user_code"), "device approved", "tokens issued", "token revoked"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
