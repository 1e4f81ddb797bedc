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

func dfcEnv(t *testing.T, o Options) *env {
	o.Profile = ProfileDFC
	return newEnv(t, o)
}

func (e *env) dfcAuthorize(name string) response {
	e.t.Helper()
	r := e.postJSON("/api/v1/device/authorize", map[string]any{
		"device_name": name, "device_type": "raspberry-pi", "firmware_version": "2.1.0",
	}, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	return r
}

func (e *env) dfcPoll(dc string) response {
	e.t.Helper()
	return e.postJSON("/api/v1/device/token", map[string]string{"device_code": dc, "grant_type": GrantDeviceCode}, nil)
}

// dfcPair authorizes a device for site ("" for the default) and returns
// the credentials answer.
func (e *env) dfcPair(name, site string) response {
	e.t.Helper()
	da := e.dfcAuthorize(name)
	var extra url.Values
	if site != "" {
		extra = url.Values{"site": {site}}
	}
	e.approvePage(da.str("user_code"), "approve", extra)
	r := e.dfcPoll(da.str("device_code"))
	if r.status != http.StatusOK {
		e.t.Fatalf("poll after approval: %d %s", r.status, r.body)
	}
	return r
}

func (e *env) dfcExchange(domain, secret string) response {
	e.t.Helper()
	return e.post("/api/dfc/auth/token", nil, func(r *http.Request) { r.SetBasicAuth(domain, secret) })
}

func (e *env) dfcReport(jwt string, body any) response {
	e.t.Helper()
	var edit func(*http.Request)
	if jwt != "" {
		edit = bearer(jwt)
	}
	return e.postJSON("/api/dfc/error", body, edit)
}

var dfcUserCodeRE = regexp.MustCompile(`^[A-HJ-NP-Z]{4}-[2-9]{4}$`)

func TestDFCFlow(t *testing.T) {
	e := dfcEnv(t, Options{})
	da := e.dfcAuthorize("Warehouse Scanner #1")
	uc, dc := da.str("user_code"), da.str("device_code")
	if !dfcUserCodeRE.MatchString(uc) || len(dc) != 64 {
		t.Errorf("user_code %q (want XXXX-1234) or device code length %d", uc, len(dc))
	}
	if da.str("verification_uri") != e.url+"/device-verify" || da.str("verification_uri_complete") != e.url+"/device-verify?user_code="+uc {
		t.Errorf("verification URIs: %s", da.body)
	}
	if da.json["expires_in"] != float64(900) || da.json["interval"] != float64(5) {
		t.Errorf("expires_in/interval: %s", da.body)
	}

	wantError(t, "first poll", e.dfcPoll(dc), 400, "authorization_pending")
	e.clk.Advance(time.Second)
	wantError(t, "early poll", e.dfcPoll(dc), 400, "slow_down")
	e.clk.Advance(10 * time.Second)
	// Form-encoded polls work too.
	wantError(t, "form poll", e.post("/api/v1/device/token", url.Values{"device_code": {dc}, "grant_type": {GrantDeviceCode}}, nil), 400, "authorization_pending")

	page := e.get("/device-verify?user_code="+uc, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `name="site" value="site1.example.com"`) {
		t.Fatalf("verify page: %d %s", page.status, page.body)
	}
	e.approvePage(strings.ToLower(strings.ReplaceAll(uc, "-", "")), "approve", url.Values{"site": {"warehouse.example.com"}})
	e.clk.Advance(10 * time.Second)
	cred := e.dfcPoll(dc)
	secret := cred.str("client_secret")
	if cred.status != http.StatusOK || cred.str("domain") != "warehouse.example.com" || !regexp.MustCompile(`^cs_[0-9a-f]{32}$`).MatchString(secret) {
		t.Fatalf("credentials: %d %s", cred.status, cred.body)
	}
	if _, ok := cred.json["clientSecret"]; ok {
		t.Errorf("credentials carry clientSecret as well: %s", cred.body)
	}
	e.clk.Advance(10 * time.Second)
	wantError(t, "poll with a used code", e.dfcPoll(dc), 400, "invalid_grant")

	jwt := e.dfcExchange("warehouse.example.com", secret)
	if jwt.status != http.StatusOK || jwt.json["expiresIn"] != float64(86400) || jwt.str("tokenType") != "Bearer" || strings.Count(jwt.str("token"), ".") != 2 {
		t.Fatalf("JWT exchange: %d %s", jwt.status, jwt.body)
	}
	r := e.dfcReport(jwt.str("token"), map[string]any{
		"type": "CONNECTION_FAILED", "message": "timeout after 30s", "severity": "CRITICAL",
		"metadata": map[string]any{"host": "db.example.com", "port": 5432},
	})
	if r.status != http.StatusNoContent {
		t.Fatalf("error report: %d %s", r.status, r.body)
	}
	if r := e.dfcReport(jwt.str("token"), map[string]any{"type": "STARTUP_SUCCESS", "message": "started"}); r.status != http.StatusNoContent {
		t.Fatalf("error report without severity: %d %s", r.status, r.body)
	}
	reps := e.srv.ErrorReports()
	if len(reps) != 2 || reps[0].Domain != "warehouse.example.com" || reps[0].Type != "CONNECTION_FAILED" ||
		reps[0].Severity != "CRITICAL" || reps[0].Metadata["host"] != "db.example.com" || reps[1].Severity != "ERROR" {
		t.Errorf("ErrorReports() = %+v", reps)
	}
	e.noSecretsLogged(dc, secret, jwt.str("token"))
}

func TestDFCOneDevicePerSite(t *testing.T) {
	e := dfcEnv(t, Options{})
	first := e.dfcPair("scanner 1", "")
	if first.str("domain") != "site1.example.com" {
		t.Errorf("default site = %q", first.str("domain"))
	}
	if r := e.dfcExchange("site1.example.com", first.str("client_secret")); r.status != http.StatusOK {
		t.Fatalf("first device's exchange: %d", r.status)
	}
	other := e.dfcPair("scanner at site 2", "site2.example.com")
	second := e.dfcPair("scanner 2", "site1.example.com")

	r := e.dfcExchange("site1.example.com", first.str("client_secret"))
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("revoked first device's exchange: %d %s, want 401 with a challenge", r.status, r.body)
	}
	for _, c := range []response{second, other} {
		if r := e.dfcExchange(c.str("domain"), c.str("client_secret")); r.status != http.StatusOK {
			t.Errorf("exchange for %s: %d", c.str("domain"), r.status)
		}
	}
	wantStatus := func(what string, r response, want int) {
		t.Helper()
		if r.status != want {
			t.Errorf("%s: %d %s, want %d", what, r.status, r.body, want)
		}
	}
	wantStatus("wrong secret", e.dfcExchange("site2.example.com", second.str("client_secret")), 401)
	wantStatus("unknown site", e.dfcExchange("nowhere.example.com", "cs_x"), 401)
	wantStatus("no Basic", e.post("/api/dfc/auth/token", nil, nil), 401)
	if !e.srv.RevokeToken(other.str("client_secret")) {
		t.Errorf("RevokeToken(client secret) = false")
	}
	wantStatus("revoked secret", e.dfcExchange("site2.example.com", other.str("client_secret")), 401)
}

func TestDFCErrors(t *testing.T) {
	e := dfcEnv(t, Options{JWTTTL: time.Minute})
	wantError(t, "no device_name", e.postJSON("/api/v1/device/authorize", map[string]any{"device_type": "x"}, nil), 400, "invalid_request")
	wantError(t, "device_name not a string", e.postJSON("/api/v1/device/authorize", map[string]any{"device_name": 3}, nil), 400, "invalid_request")
	form := e.post("/api/v1/device/authorize", url.Values{"device_name": {"form device"}}, nil)
	if form.status != http.StatusOK {
		t.Fatalf("form-encoded authorize: %d %s", form.status, form.body)
	}
	wantError(t, "unknown code", e.dfcPoll("nope"), 400, "invalid_grant")
	wantError(t, "no grant_type", e.postJSON("/api/v1/device/token", map[string]string{"device_code": "x"}, nil), 400, "invalid_request")
	wantError(t, "other grant_type", e.postJSON("/api/v1/device/token", map[string]string{"device_code": "x", "grant_type": "password"}, nil), 400, "unsupported_grant_type")

	denied := e.dfcAuthorize("denied")
	e.approvePage(denied.str("user_code"), "deny", nil)
	wantError(t, "poll after deny", e.dfcPoll(denied.str("device_code")), 400, "access_denied")
	if err := e.srv.Approve(denied.str("user_code")); !errors.Is(err, ErrAlreadyDecided) {
		t.Errorf("Approve after Deny = %v", err)
	}
	if r := e.post("/device", url.Values{"user_code": {form.str("user_code")}, "action": {"approve"}, "site": {"bad site!"}}, nil); r.status != http.StatusBadRequest {
		t.Errorf("approve with a bad site: %d, want 400", r.status)
	}

	cred := e.dfcPair("reporter", "")
	jwt := e.dfcExchange(cred.str("domain"), cred.str("client_secret")).str("token")
	meta := map[string]any{}
	for i := range 21 {
		meta[fmt.Sprint("k", i)] = i
	}
	for _, tt := range []struct {
		name   string
		jwt    string
		body   any
		status int
	}{
		{"no token", "", map[string]any{"type": "X", "message": "m"}, 401},
		{"garbage token", "abc.def.ghi", map[string]any{"type": "X", "message": "m"}, 403},
		{"tampered token", jwt[:len(jwt)-2] + "AA", map[string]any{"type": "X", "message": "m"}, 403},
		{"type too long", jwt, map[string]any{"type": strings.Repeat("T", 101), "message": "m"}, 400},
		{"message too long", jwt, map[string]any{"type": "X", "message": strings.Repeat("m", 10001)}, 400},
		{"no message", jwt, map[string]any{"type": "X"}, 400},
		{"bad severity", jwt, map[string]any{"type": "X", "message": "m", "severity": "FATAL"}, 400},
		{"21 metadata keys", jwt, map[string]any{"type": "X", "message": "m", "metadata": meta}, 400},
		{"metadata over 10 KB", jwt, map[string]any{"type": "X", "message": "m", "metadata": map[string]any{"big": strings.Repeat("b", 10<<10)}}, 400},
		{"metadata not an object", jwt, map[string]any{"type": "X", "message": "m", "metadata": []int{1}}, 400},
		{"not JSON", jwt, "{", 400},
		{"limits exactly", jwt, map[string]any{"type": strings.Repeat("T", 100), "message": strings.Repeat("m", 10000), "severity": "WARNING"}, 204},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.dfcReport(tt.jwt, tt.body); r.status != tt.status {
				t.Errorf("status %d %s, want %d", r.status, r.body, tt.status)
			}
		})
	}
	if n := len(e.srv.ErrorReports()); n != 1 {
		t.Errorf("%d reports recorded, want 1", n)
	}

	e.clk.Advance(time.Minute)
	r := e.dfcReport(jwt, map[string]any{"type": "X", "message": "m"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("expired JWT: %d %s, want 401", r.status, r.body)
	}

	expiring := e.dfcAuthorize("slow")
	e.clk.Advance(901 * time.Second)
	wantError(t, "poll after 15 min", e.dfcPoll(expiring.str("device_code")), 400, "expired_token")
}

// TestDevicePostEveryProfile checks the contract scripts rely on:
// /device takes user_code + action in every profile, and Approve/Deny
// work, whatever the profile's own page is.
func TestDevicePostEveryProfile(t *testing.T) {
	for _, p := range Profiles {
		t.Run(p, func(t *testing.T) {
			e := newEnv(t, Options{Profile: p, TokenRateLimits: []RateLimit{}})
			start := map[string]func() response{
				ProfileRFC8628:  func() response { return e.authorize("") },
				ProfileAuthelia: func() response { return e.autheliaAuthorize(nil) },
				ProfileRomM:     func() response { return e.rommInit(rommInitBody("x")) },
				ProfileDFC:      func() response { return e.dfcAuthorize("d") },
			}[p]
			uc := start().str("user_code")
			if page := e.get("/device?user_code="+url.QueryEscape(uc), nil); page.status != 200 || !strings.Contains(page.body, uc) {
				t.Errorf("GET /device: %d", page.status)
			}
			if vp := strings.TrimPrefix(e.srv.VerificationURI(), e.url); e.get(vp, nil).status != 200 {
				t.Errorf("GET %s: not 200", vp)
			}
			e.approvePage(strings.ToLower(uc), "approve", nil)
			if err := e.srv.Approve(uc); err != nil {
				t.Errorf("Approve twice = %v", err)
			}
			uc2 := start().str("user_code")
			if err := e.srv.Deny(uc2); err != nil {
				t.Errorf("Deny = %v", err)
			}
			if r := e.post("/device", url.Values{"user_code": {"ZZZZ-ZZZZ"}, "action": {"approve"}}, nil); r.status != 404 {
				t.Errorf("unknown code: %d", r.status)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Errorf("New with an unknown profile did not panic")
		}
	}()
	New(Options{Issuer: "http://127.0.0.1:1", Profile: "keycloak"})
}
