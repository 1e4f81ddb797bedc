package pairing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"
)

// The Data Exporter "DFC" device API: RFC 8628 with JSON bodies ending in a
// site credential (domain, client_secret), exchanged with HTTP Basic for a
// JWT; error reports on /api/dfc/error.

const dfcBase = "https://dfc.example"

// Fixtures: the API's documented example bodies.
const (
	dfcAuthorizeBody = `{"device_code":"3f1e5c2a-9b7d-4e8f-a1c3-5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d","user_code":"ABCD-2345",
 "verification_uri":"https://app.dataforge.com/device-verify","expires_in":900,"interval":5}`
	dfcCredentialBody  = `{"domain":"warehouse.example.com","client_secret":"cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"}`
	dfcCredentialCamel = `{"domain":"warehouse.example.com","clientSecret":"cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"}`
	dfcJWTBody         = `{"token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJlaG91c2UifQ.sig","expiresIn":86400,"tokenType":"Bearer"}`
	dfcUnauthorized    = `{"statusCode":401,"message":"Unauthorized"}`
	dfcForbidden       = `{"statusCode":403,"message":"Forbidden"}`
)

func TestDFCEndpoints(t *testing.T) {
	want := Endpoints{Issuer: dfcBase, DeviceAuthorization: dfcBase + "/api/v1/device/authorize", Token: dfcBase + "/api/v1/device/token"}
	if got := (DFC{}).Endpoints(dfcBase + "/"); got != want {
		t.Errorf("Endpoints = %+v, want %+v", got, want)
	}
}

func TestDFCRequests(t *testing.T) {
	ctx := context.Background()
	ep := DFC{}.Endpoints(dfcBase)
	p := DFC{Base: dfcBase}
	for _, tt := range []struct {
		name string
		dev  DeviceInfo
		want map[string]any
	}{
		{"full", DeviceInfo{Name: "Warehouse Scanner #1", Model: "raspberry-pi", OSVersion: "2.1.0", ClientVersion: "0.9.0"},
			map[string]any{"device_name": "Warehouse Scanner #1", "device_type": "raspberry-pi", "firmware_version": "2.1.0"}},
		{"version from the client", DeviceInfo{Name: "Scanner", ClientVersion: "0.9.0"},
			map[string]any{"device_name": "Scanner", "firmware_version": "0.9.0"}},
		{"bare", DeviceInfo{}, map[string]any{"device_name": "pairingd device"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := p.DeviceAuthRequest(ctx, ep, ClientConfig{ClientID: "ignored", Device: tt.dev})
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != "POST" || req.URL.String() != dfcBase+"/api/v1/device/authorize" || req.Header.Get("Content-Type") != "application/json" ||
				req.Header.Get("Authorization") != "" {
				t.Errorf("request %s %s %q, want a JSON POST to /api/v1/device/authorize without auth", req.Method, req.URL, req.Header.Get("Content-Type"))
			}
			if got := jsonRequestBody(t, req); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body = %v, want %v", got, tt.want)
			}
		})
	}

	req, err := p.TokenRequest(ctx, ep, ClientConfig{}, "dc-secret")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "dc-secret"}
	if got := jsonRequestBody(t, req); !reflect.DeepEqual(got, want) || req.URL.String() != dfcBase+"/api/v1/device/token" ||
		req.Method != "POST" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("token request %s %s body %v, want a JSON POST to /api/v1/device/token with %v", req.Method, req.URL, got, want)
	}

	// The exchange: Basic domain:client_secret, nothing in the URL.
	g := Grant{RefreshToken: "cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", BoundDeviceID: "warehouse.example.com"}
	req, err = p.RefreshRequest(ctx, ep, ClientConfig{}, g)
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("warehouse.example.com:cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"))
	if req.Method != "POST" || req.URL.String() != dfcBase+"/api/dfc/auth/token" || req.Header.Get("Authorization") != basic {
		t.Errorf("exchange %s %s auth %q, want POST /api/dfc/auth/token with %q", req.Method, req.URL, req.Header.Get("Authorization"), basic)
	}
	if strings.Contains(req.URL.String(), "cs_") || req.URL.User != nil {
		t.Errorf("the secret is in the URL %s", req.URL)
	}
	for _, bad := range []Grant{{BoundDeviceID: "warehouse.example.com"}, {RefreshToken: "cs_x"}} {
		if _, err := p.RefreshRequest(ctx, ep, ClientConfig{}, bad); err == nil {
			t.Errorf("RefreshRequest(%+v): no error", bad)
		}
	}
	if req, err := p.RevokeRequest(ctx, ep, ClientConfig{}, "x", ""); req != nil || err != nil {
		t.Errorf("RevokeRequest = %v, %v, want nil, nil", req, err)
	}
}

func TestDFCParseDeviceAuth(t *testing.T) {
	da, err := DFC{Base: dfcBase}.ParseDeviceAuth(wireResponse(200, "application/json", dfcAuthorizeBody))
	want := DeviceAuth{DeviceCode: "3f1e5c2a-9b7d-4e8f-a1c3-5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d", UserCode: "ABCD-2345",
		VerificationURI: "https://app.dataforge.com/device-verify", Interval: 5 * time.Second, ExpiresIn: 15 * time.Minute}
	if err != nil || !reflect.DeepEqual(da, want) {
		t.Errorf("ParseDeviceAuth = %+v, %v, want %+v", da, err, want)
	}
}

func TestDFCParseToken(t *testing.T) {
	credential := Token{RefreshToken: "cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", TokenType: "Bearer", BoundDeviceID: "warehouse.example.com"}
	for _, tt := range []struct {
		name      string
		in        Response
		want      Token
		is        error
		transient bool
	}{
		{name: "credential, client_secret", in: wireResponse(200, "application/json", dfcCredentialBody), want: credential},
		{name: "credential, clientSecret", in: wireResponse(200, "application/json", dfcCredentialCamel), want: credential},
		{name: "JWT", in: wireResponse(200, "application/json", dfcJWTBody),
			want: Token{AccessToken: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJlaG91c2UifQ.sig", TokenType: "Bearer", ExpiresIn: 24 * time.Hour}},
		{name: "JWT, expiresIn as a string", in: wireResponse(200, "application/json", `{"token":"j","expiresIn":"3600","tokenType":"Bearer"}`),
			want: Token{AccessToken: "j", TokenType: "Bearer", ExpiresIn: time.Hour}},
		{name: "JWT without tokenType or expiry", in: wireResponse(200, "application/json", `{"token":"j"}`),
			want: Token{AccessToken: "j", TokenType: "Bearer"}},
		{name: "JWT, tokenType mac", in: wireResponse(200, "application/json", `{"token":"j","expiresIn":3600,"tokenType":"mac"}`), is: ErrBadToken},
		{name: "exchange 401: the secret is dead", in: wireResponse(401, "application/json", dfcUnauthorized), is: ErrInvalidGrant},
		{name: "exchange 403: the secret is dead", in: wireResponse(403, "application/json", dfcForbidden), is: ErrInvalidGrant},
		// NestJS puts "error":"Unauthorized" in an exception with a
		// message: still a dead secret, not an OAuth error code.
		{name: "exchange 401, NestJS with error", in: wireResponse(401, "application/json",
			`{"statusCode":401,"message":"Invalid client credentials","error":"Unauthorized"}`), is: ErrInvalidGrant},
		{name: "pending", in: wireResponse(400, "application/json", `{"error":"authorization_pending"}`), is: ErrAuthorizationPending},
		{name: "slow_down", in: wireResponse(400, "application/json", `{"error":"slow_down"}`), is: ErrSlowDown},
		{name: "denied", in: wireResponse(400, "application/json", `{"error":"access_denied"}`), is: ErrAccessDenied},
		{name: "expired", in: wireResponse(400, "application/json", `{"error":"expired_token"}`), is: ErrExpiredToken},
		{name: "unknown code", in: wireResponse(400, "application/json", `{"error":"invalid_grant"}`), is: ErrInvalidGrant},
		{name: "pending with 200", in: wireResponse(200, "application/json", `{"error":"authorization_pending"}`), is: ErrAuthorizationPending},
		{name: "500", in: wireResponse(500, "application/json", `{"statusCode":500,"message":"Internal server error"}`), transient: true},
		{name: "200 neither", in: wireResponse(200, "application/json", `{"domain":"warehouse.example.com"}`), is: ErrBadToken},
		{name: "200 not JSON", in: wireResponse(200, "application/json", `{"domain":`), is: ErrConsumed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := DFC{}.ParseToken(tt.in)
			if tt.is == nil && !tt.transient {
				if err != nil || !reflect.DeepEqual(tok, tt.want) {
					t.Errorf("ParseToken = %+v, %v, want %+v", tok, err, tt.want)
				}
				return
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("err = %v, transient %v, want %v", err, !tt.transient, tt.transient)
			}
			if err != nil && strings.Contains(err.Error(), "cs_") {
				t.Errorf("err %q quotes the secret", err)
			}
		})
	}
}

// Through the client, a refused exchange is invalid_grant and never quotes
// the secret.
func TestDFCClientExchangeRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		srv := newProfServer()
		srv.script("POST /api/dfc/auth/token", scripted{status: status, body: `{"statusCode":401,"message":"bad secret cs_live_secret-refresh-1"}`})
		c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: dfcBase}, Endpoints: DFC{}.Endpoints(dfcBase)}
		_, err := c.Refresh(context.Background(), Grant{RefreshToken: "cs_live_secret-refresh-1", BoundDeviceID: "warehouse.example.com"})
		if !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("HTTP %d: err = %v, want invalid_grant", status, err)
		}
		if err != nil && strings.Contains(err.Error(), "cs_live") {
			t.Errorf("HTTP %d: err %q quotes the secret", status, err)
		}
		if r := srv.requests(""); len(r) != 1 || !strings.HasPrefix(r[0].auth, "Basic ") {
			t.Errorf("HTTP %d: requests %+v, want one Basic exchange", status, r)
		}
	}
}

// checkReportBody checks a report body against the API's limits, as the
// server validates them: type 1..100 characters, message 1..10,000,
// severity one of four, metadata at most 20 keys and 10 KB of JSON.
func checkReportBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var body struct {
		Type     *string         `json:"type"`
		Message  *string         `json:"message"`
		Severity *string         `json:"severity"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("report body is not JSON: %v", err)
	}
	if body.Type == nil || *body.Type == "" || utf8.RuneCountInString(*body.Type) > 100 {
		t.Errorf("type %v: want 1..100 characters", body.Type)
	}
	if body.Message == nil || *body.Message == "" || utf8.RuneCountInString(*body.Message) > 10_000 {
		n := -1
		if body.Message != nil {
			n = utf8.RuneCountInString(*body.Message)
		}
		t.Errorf("message of %d characters: want 1..10000", n)
	}
	if body.Severity == nil || !slices.Contains([]string{"CRITICAL", "ERROR", "WARNING", "INFO"}, *body.Severity) {
		t.Errorf("severity %q: want CRITICAL, ERROR, WARNING or INFO", derefString(body.Severity))
	}
	var m map[string]any
	if len(body.Metadata) > 0 {
		if err := json.Unmarshal(body.Metadata, &m); err != nil {
			t.Errorf("metadata is not an object")
		}
		if len(m) > 20 {
			t.Errorf("metadata has %d keys, want at most 20", len(m))
		}
		if b, _ := json.Marshal(m); len(b) > 10<<10 {
			t.Errorf("metadata is %d bytes of JSON, want at most 10 KB", len(b))
		}
	}
	var all map[string]any
	json.Unmarshal(b, &all)
	return all
}

func TestDFCReport(t *testing.T) {
	meta := func(n, size int, char string) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("key%02d", i)] = strings.Repeat(char, size)
		}
		return m
	}
	for _, tt := range []struct {
		name  string
		rep   Report
		check func(t *testing.T, body map[string]any)
	}{
		{name: "as given", rep: Report{Severity: "WARNING", Type: "PAIRING_DENIED", Message: "The code was denied or cancelled.",
			Metadata: map[string]string{"state": "awaiting_user"}},
			check: func(t *testing.T, b map[string]any) {
				want := map[string]any{"type": "PAIRING_DENIED", "message": "The code was denied or cancelled.", "severity": "WARNING",
					"metadata": map[string]any{"state": "awaiting_user"}}
				if !reflect.DeepEqual(b, want) {
					t.Errorf("body %v, want %v", b, want)
				}
			}},
		{name: "defaults", rep: Report{Message: "x"}, check: func(t *testing.T, b map[string]any) {
			if b["type"] != "UNKNOWN_ERROR" || b["severity"] != "ERROR" || b["metadata"] != nil {
				t.Errorf("body %v, want type UNKNOWN_ERROR, severity ERROR, no metadata", b)
			}
		}},
		{name: "type of 150 characters", rep: Report{Type: strings.Repeat("T", 150), Message: "m"}, check: func(t *testing.T, b map[string]any) {
			if n := utf8.RuneCountInString(b["type"].(string)); n != 100 {
				t.Errorf("type of %d characters, want 100", n)
			}
		}},
		{name: "message of 20k characters", rep: Report{Type: "X", Message: strings.Repeat("é", 20_000)}, check: func(t *testing.T, b map[string]any) {
			if n := utf8.RuneCountInString(b["message"].(string)); n != 10_000 {
				t.Errorf("message of %d characters, want 10000", n)
			}
		}},
		{name: "30 metadata keys", rep: Report{Type: "X", Message: "m", Metadata: meta(30, 10, "v")}, check: func(t *testing.T, b map[string]any) {
			if n := len(b["metadata"].(map[string]any)); n != 20 {
				t.Errorf("%d metadata keys, want 20", n)
			}
		}},
		{name: "metadata over 10 KB", rep: Report{Type: "X", Message: "m", Metadata: meta(15, 1000, "v")}, check: func(t *testing.T, b map[string]any) {
			m := b["metadata"].(map[string]any)
			if len(m) == 0 || len(m) >= 15 {
				t.Errorf("%d metadata keys of 1000 bytes kept, want some but not all 15", len(m))
			}
		}},
		// JSON escapes < > & as \u003c and " as \": raw lengths undercount.
		{name: "metadata over 10 KB once escaped", rep: Report{Type: "X", Message: "m", Metadata: meta(15, 900, `<"`)}},
		{name: "huge everything", rep: Report{Severity: "CRITICAL", Type: strings.Repeat("t", 1<<20), Message: strings.Repeat("m", 1<<20),
			Metadata: meta(1000, 1<<12, "v")}},
		{name: "control characters", rep: Report{Type: "X\x1b[2J", Message: "line 1\nline 2\x07", Metadata: map[string]string{"k\x1b": "v\r\n"}},
			check: func(t *testing.T, b map[string]any) {
				if b["type"] != "X[2J" || b["message"] != "line 1 line 2" || !reflect.DeepEqual(b["metadata"], map[string]any{"k": "v"}) {
					t.Errorf("body %v, want control characters dropped", b)
				}
			}},
		{name: "empty message", rep: Report{Type: "STARTUP_ERROR"}, check: func(t *testing.T, b map[string]any) {
			if b["message"] != "STARTUP_ERROR" {
				t.Errorf("message %q, want the type in place of an empty message", b["message"])
			}
		}},
		{name: "lowercase severity", rep: Report{Severity: "warning", Type: "X", Message: "m"}, check: func(t *testing.T, b map[string]any) {
			if b["severity"] != "WARNING" {
				t.Errorf("severity %q, want WARNING", b["severity"])
			}
		}},
		{name: "unknown severity", rep: Report{Severity: "FATAL", Type: "X", Message: "m"}, check: func(t *testing.T, b map[string]any) {
			if b["severity"] != "ERROR" {
				t.Errorf("severity %q, want ERROR", b["severity"])
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newProfServer()
			srv.script("POST /api/dfc/error", scripted{status: 204})
			c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: dfcBase}}
			if err := (DFC{Base: dfcBase}).Report(context.Background(), c, "jwt-1", tt.rep); err != nil {
				t.Errorf("Report = %v, want nil", err)
			}
			reqs := srv.requests("")
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != "POST" || r.path != "/api/dfc/error" || r.query != "" || r.auth != "Bearer jwt-1" || r.ctype != "application/json" {
				t.Errorf("request %s %s?%s auth %q type %q, want a JSON POST to /api/dfc/error with the JWT", r.method, r.path, r.query, r.auth, r.ctype)
			}
			if strings.Contains(string(r.body), "jwt-1") {
				t.Errorf("the JWT is in the report body")
			}
			body := checkReportBody(t, r.body)
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestDFCReportStatus(t *testing.T) {
	for _, tt := range []struct {
		rep      scripted
		ok       bool
		rejected bool
	}{
		{rep: scripted{status: 204}, ok: true},
		{rep: scripted{status: 200}, ok: true},
		{rep: scripted{status: 401, body: dfcUnauthorized}, rejected: true},
		{rep: scripted{status: 403, body: dfcForbidden}, rejected: true},
		{rep: scripted{status: 400, body: `{"statusCode":400,"message":["type should not be empty"]}`}},
		{rep: scripted{status: 503, body: "down"}},
		{rep: scripted{err: errors.New("connect: connection refused")}},
	} {
		srv := newProfServer()
		srv.script("POST /api/dfc/error", tt.rep)
		c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: dfcBase}}
		err := DFC{Base: dfcBase}.Report(context.Background(), c, "jwt-1", Report{Type: "X", Message: "m"})
		if (err == nil) != tt.ok || errors.Is(err, ErrGrantRejected) != tt.rejected {
			t.Errorf("HTTP %d: Report = %v, want ok %v, rejected %v", tt.rep.status, err, tt.ok, tt.rejected)
		}
		if n := len(srv.requests("")); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1 (no retry)", tt.rep.status, n)
		}
	}
}

// A hung error endpoint does not hold Report past its context.
func TestDFCReportHungEndpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := loopTransport(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		c := &Client{HTTP: &http.Client{Transport: hung}, Profile: DFC{Base: dfcBase}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := DFC{Base: dfcBase}.Report(ctx, c, "jwt-1", Report{Type: "X", Message: "m"})
		if err == nil || time.Since(start) != 10*time.Second {
			t.Errorf("Report = %v after %v, want an error after the 10 s timeout", err, time.Since(start))
		}
	})
}

// dfcServer is a Data Exporter API whose site owner never acts unless
// scripted. The exchange answers JWTs for the credential of secret, 401
// for any other.
func dfcServer(secret string) *profServer {
	srv := newProfServer()
	srv.defaults["POST /api/v1/device/authorize"] = func(n int, _ *http.Request, _ []byte) scripted {
		return scripted{status: 200, body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":"ABCD-234%d","verification_uri":"https://dfc.example/device-verify","verification_uri_complete":"https://dfc.example/device-verify?code=ABCD-234%d","expires_in":900,"interval":5}`,
			n+1, n+1, n+1)}
	}
	srv.defaults["POST /api/v1/device/token"] = func(int, *http.Request, []byte) scripted {
		return scripted{status: 400, body: `{"error":"authorization_pending"}`}
	}
	srv.defaults["POST /api/dfc/auth/token"] = func(n int, r *http.Request, _ []byte) scripted {
		if u, p, ok := r.BasicAuth(); !ok || u != "warehouse.example.com" || p != secret {
			return scripted{status: 401, body: dfcUnauthorized}
		}
		return scripted{status: 200, body: fmt.Sprintf(`{"token":"secret-access-jwt-%d","expiresIn":3600,"tokenType":"Bearer"}`, n+1)}
	}
	srv.defaults["POST /api/dfc/error"] = func(int, *http.Request, []byte) scripted { return scripted{status: 204} }
	return srv
}

const dfcSecret = "cs_live_secret-refresh-1"

func dfcCredential(secret string) scripted {
	return scripted{status: 200, body: fmt.Sprintf(`{"domain":"warehouse.example.com","client_secret":%q}`, secret)}
}

func newDFCHarness(t *testing.T, srv *profServer) *profHarness {
	h := newProfHarness(t, DFC{Base: dfcBase}, dfcBase, srv, nil)
	h.secrets = []string{"cs_live", base64.StdEncoding.EncodeToString([]byte("warehouse.example.com:" + dfcSecret))}
	return h
}

// The credential is exchanged at once with one Basic request; the JWT is
// the access token, the secret is kept as the refresh token and the domain
// as the bound device; the JWT is exchanged again before it expires.
func TestDFCPairingExchange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(dfcSecret)
		srv.script("POST /api/v1/device/token", scripted{status: 400, body: `{"error":"authorization_pending"}`}, dfcCredential(dfcSecret))
		h := newDFCHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		polls := srv.requests("POST /api/v1/device/token")
		ex := srv.requests("POST /api/dfc/auth/token")
		if len(polls) != 2 || len(ex) != 1 {
			t.Fatalf("%d polls and %d exchanges, want 2 and 1", len(polls), len(ex))
		}
		if ex[0].at != polls[1].done {
			t.Errorf("exchange at %v, want at once when the credential arrived (%v)", ex[0].at, polls[1].done)
		}
		wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("warehouse.example.com:"+dfcSecret))
		if ex[0].auth != wantAuth || ex[0].query != "" {
			t.Errorf("exchange Authorization %q, want Basic domain:client_secret", ex[0].auth)
		}
		for _, p := range polls {
			want := map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "secret-device-code-1"}
			if got := p.jsonBody(); !reflect.DeepEqual(got, want) || p.auth != "" {
				t.Errorf("poll body %s auth %q, want %v without auth", p.body, p.auth, want)
			}
		}
		if dev := srv.requests("POST /api/v1/device/authorize"); len(dev) != 1 || dev[0].jsonBody()["device_name"] != "Pete muOS" {
			t.Errorf("authorize requests %+v, want one with the device name", dev)
		}
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "secret-access-jwt-1" || rec.Tokens.RefreshToken != dfcSecret ||
			rec.BoundDeviceID != "warehouse.example.com" {
			t.Fatalf("record: state %v access %v refresh kept %v bound %q, want paired with the JWT, the secret and the domain",
				State(rec.State), rec.Tokens.AccessToken != "", rec.Tokens.RefreshToken == dfcSecret, rec.BoundDeviceID)
		}
		if got := rec.Tokens.ExpiresAt.Sub(rec.Tokens.IssuedAt); got != time.Hour {
			t.Errorf("JWT lifetime %v, want 1h", got)
		}
		if s := h.last(); s.State != "paired" || !strings.Contains(s.Detail, "warehouse.example.com") {
			t.Errorf("screen %+v, want paired with the site", s)
		}

		// An hour's JWT is exchanged again 54 min on (10 % lead).
		advance(54*time.Minute - 2*time.Millisecond)
		if n := len(srv.requests("POST /api/dfc/auth/token")); n != 1 {
			t.Errorf("%d exchanges before 54 min, want 1", n)
		}
		advance(2 * time.Millisecond)
		h.stop()
		ex = srv.requests("POST /api/dfc/auth/token")
		if len(ex) != 2 || ex[1].at-ex[0].done != 54*time.Minute || ex[1].auth != wantAuth {
			t.Errorf("%d exchanges, want a second one 54 min after the first with the same credential", len(ex))
		}
		rec = h.record()
		if rec.Tokens.AccessToken != "secret-access-jwt-2" || rec.Tokens.RefreshToken != dfcSecret || rec.BoundDeviceID != "warehouse.example.com" {
			t.Errorf("after the second exchange: new JWT %v, secret kept %v, domain %q", rec.Tokens.AccessToken == "secret-access-jwt-2",
				rec.Tokens.RefreshToken == dfcSecret, rec.BoundDeviceID)
		}
		if len(h.reports.all()) != 0 {
			t.Errorf("reports %v, want none", h.reports.types())
		}
	})
}

// Another device was authorized for the site: the exchange is refused, the
// credential is cleared, a new code is shown, and the screen says why.
func TestDFCSecretRevoked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		first bool // the first exchange is refused already
		code  int
	}{
		{"401 at the re-exchange", false, 401},
		{"403 at the first exchange", true, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv := dfcServer(dfcSecret)
				srv.script("POST /api/v1/device/token", dfcCredential(dfcSecret))
				refused := scripted{status: tt.code, body: fmt.Sprintf(`{"statusCode":%d,"message":"Unauthorized"}`, tt.code)}
				if tt.first {
					srv.script("POST /api/dfc/auth/token", refused)
				} else {
					srv.script("POST /api/dfc/auth/token", scripted{status: 200, body: `{"token":"secret-access-jwt-1","expiresIn":100,"tokenType":"Bearer"}`}, refused)
				}
				h := newDFCHarness(t, srv)
				h.start()
				advance(5*time.Second + time.Millisecond)
				if !tt.first {
					if rec := h.record(); rec.Tokens.AccessToken != "secret-access-jwt-1" {
						t.Fatalf("not paired with the first JWT")
					}
					advance(90 * time.Second) // re-exchange 10 s before expiry
				}
				advance(time.Second)
				h.stop()
				rec := h.record()
				if !rec.Tokens.IsZero() || rec.BoundDeviceID != "" {
					t.Errorf("credential kept after HTTP %d: tokens %v bound %q", tt.code, !rec.Tokens.IsZero(), rec.BoundDeviceID)
				}
				if s := h.last(); State(rec.State) != AwaitingUser || s.UserCode != "ABCD-2342" {
					t.Errorf("state %v screen %+v, want a new code", State(rec.State), s)
				}
				wantEx := 2
				if tt.first {
					wantEx = 1
				}
				if n := len(srv.requests("POST /api/dfc/auth/token")); n != wantEx {
					t.Errorf("%d exchanges, want %d: a refused secret is not tried again", n, wantEx)
				}
				if !h.sawDetail("no longer accepts") && !h.sawDetail("revoked") {
					t.Errorf("after the exchange was refused (HTTP %d) no screen or status line said why", tt.code)
				}
			})
		})
	}
}

// A check that finds the JWT rejected (a 401 elsewhere) exchanges the
// credential again as soon as the refresh floor allows (minRefreshGap
// after the first exchange) instead of pairing again.
func TestDFCExchangeAfterRejection(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(dfcSecret)
		srv.script("POST /api/v1/device/token", dfcCredential(dfcSecret))
		h := newDFCHarness(t, srv)
		checks := 0
		h.m.Check = func(ctx context.Context, access, bound string) (string, error) {
			if access == "" {
				return "", nil
			}
			checks++
			if checks == 1 {
				return "", fmt.Errorf("%w: HTTP 401", ErrGrantRejected)
			}
			return "", nil
		}
		h.start()
		advance(5*time.Second + minRefreshGap + time.Millisecond)
		h.stop()
		ex := srv.requests("POST /api/dfc/auth/token")
		if len(ex) != 2 || ex[1].at-ex[0].at != minRefreshGap {
			t.Fatalf("%d exchanges, want 2, the second %v after the first", len(ex), minRefreshGap)
		}
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "secret-access-jwt-2" || rec.Tokens.RefreshToken != dfcSecret {
			t.Errorf("state %v, new JWT %v, secret kept %v, want paired with the second JWT", State(rec.State),
				rec.Tokens.AccessToken == "secret-access-jwt-2", rec.Tokens.RefreshToken == dfcSecret)
		}
		if got := h.reports.types(); !reflect.DeepEqual(got, []string{"GRANT_REJECTED"}) {
			t.Errorf("reports %v, want GRANT_REJECTED", got)
		}
		if n := len(srv.requests("POST /api/v1/device/authorize")); n != 1 {
			t.Errorf("%d codes, want 1: a credential to exchange is not a reason to pair again", n)
		}
	})
}

// Failures reach the Report hook: a denial is PAIRING_DENIED, a failed
// authorize PAIRING_FAILED; neither carries a secret.
func TestDFCReportsPairingFailures(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(dfcSecret)
		srv.script("POST /api/v1/device/token", scripted{status: 400, body: `{"error":"access_denied","error_description":"The site owner denied the request"}`})
		srv.script("POST /api/v1/device/authorize",
			scripted{status: 200, body: `{"device_code":"secret-device-code-1","user_code":"ABCD-2341","verification_uri":"https://dfc.example/device-verify","expires_in":900,"interval":5}`},
			scripted{status: 500, body: `{"statusCode":500,"message":"Internal server error"}`})
		h := newDFCHarness(t, srv)
		h.m.DeniedCooldown = 30 * time.Second
		h.start()
		advance(5*time.Second + time.Millisecond) // denied
		if s := h.last(); s.State != "denied" {
			t.Errorf("screen %+v, want denied", s)
		}
		advance(30 * time.Second) // the authorize fails
		if s := h.last(); s.State != "error" {
			t.Errorf("screen %+v, want error", s)
		}
		advance(10 * time.Second) // and then works
		h.stop()
		reps := h.reports.all()
		if len(reps) != 2 || reps[0].Type != "PAIRING_DENIED" || reps[0].Severity != "WARNING" ||
			reps[1].Type != "PAIRING_FAILED" || reps[1].Severity != "ERROR" {
			t.Fatalf("reports %+v, want PAIRING_DENIED (WARNING) then PAIRING_FAILED (ERROR)", reps)
		}
		if !strings.Contains(reps[0].Message, "denied") || reps[0].Metadata["state"] == "" {
			t.Errorf("denial report %+v, want the reason and the state", reps[0])
		}
		if s := h.last(); s.State != "awaiting_user" {
			t.Errorf("screen %+v, want a code after the backoff", s)
		}
	})
}

// Reports while paired go out on the error endpoint with the JWT (as
// cmd/pairingd wires Machine.Report to DFC.Report), and never carry the
// secret; a failed exchange keeps the credential.
func TestDFCReportDelivered(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(dfcSecret)
		srv.script("POST /api/v1/device/token", dfcCredential(dfcSecret))
		srv.script("POST /api/dfc/auth/token",
			scripted{status: 200, body: `{"token":"secret-access-jwt-1","expiresIn":100,"tokenType":"Bearer"}`},
			scripted{status: 502, body: "<html>Bad Gateway</html>", header: http.Header{"Content-Type": {"text/html"}}})
		h := newDFCHarness(t, srv)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h.m.Report = func(r Report) {
			h.reports.add(r)
			go func() {
				rec, err := h.st.Pairing(ctx)
				if err != nil || rec.Tokens.AccessToken == "" {
					return
				}
				DFC{Base: dfcBase}.Report(ctx, h.m.Client, rec.Tokens.AccessToken, r)
			}()
		}
		h.start()
		advance(5*time.Second + 90*time.Second + time.Millisecond) // the re-exchange fails
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.RefreshToken != dfcSecret || rec.Tokens.AccessToken != "secret-access-jwt-1" {
			t.Errorf("after a 502 from the exchange: state %v, credential kept %v, want paired with everything kept", State(rec.State), rec.Tokens.RefreshToken == dfcSecret)
		}
		if s := h.last(); !strings.Contains(s.Detail, "Can't refresh") {
			t.Errorf("screen %+v, want it to say the exchange failed", s)
		}
		advance(11 * time.Second) // retried after 10 s
		h.stop()
		cancel()
		synctest.Wait()
		if n := len(srv.requests("POST /api/dfc/auth/token")); n != 3 {
			t.Errorf("%d exchanges, want 3 (ok, 502, ok)", n)
		}
		if rec := h.record(); rec.Tokens.AccessToken != "secret-access-jwt-3" {
			t.Errorf("the retried exchange was not stored")
		}
		sent := srv.requests("POST /api/dfc/error")
		if len(sent) != 1 {
			t.Fatalf("%d error reports sent, want 1 (REFRESH_FAILED)", len(sent))
		}
		if sent[0].auth != "Bearer secret-access-jwt-1" {
			t.Errorf("report sent with Authorization %q, want the JWT", sent[0].auth)
		}
		body := checkReportBody(t, sent[0].body)
		if body["type"] != "REFRESH_FAILED" {
			t.Errorf("report body %v, want REFRESH_FAILED", body)
		}
		for _, s := range []string{"cs_live", "secret-"} {
			if strings.Contains(string(sent[0].body), s) {
				t.Errorf("report body %s carries a secret (%q)", sent[0].body, s)
			}
		}
	})
}

func derefString(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return *s
}
