package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

func TestDFCEndpoints(t *testing.T) {
	want := Endpoints{Issuer: oauthtest.DFCBase, DeviceAuthorization: oauthtest.DFCBase + "/api/v1/device/authorize", Token: oauthtest.DFCBase + "/api/v1/device/token"}
	if got := (DFC{}).Endpoints(oauthtest.DFCBase + "/"); got != want {
		t.Errorf("Endpoints = %+v, want %+v", got, want)
	}
}

func TestDFCRequests(t *testing.T) {
	ctx := context.Background()
	ep := DFC{}.Endpoints(oauthtest.DFCBase)
	p := DFC{Base: oauthtest.DFCBase}
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
			if req.Method != "POST" || req.URL.String() != oauthtest.DFCBase+"/api/v1/device/authorize" || req.Header.Get("Content-Type") != "application/json" ||
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
	if got := jsonRequestBody(t, req); !reflect.DeepEqual(got, want) || req.URL.String() != oauthtest.DFCBase+"/api/v1/device/token" ||
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
	if req.Method != "POST" || req.URL.String() != oauthtest.DFCBase+"/api/dfc/auth/token" || req.Header.Get("Authorization") != basic {
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
	da, err := DFC{Base: oauthtest.DFCBase}.ParseDeviceAuth(wireResponse(200, "application/json", oauthtest.DFCAuthorizeBody))
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
		{name: "credential, client_secret", in: wireResponse(200, "application/json", oauthtest.DFCCredentialBody), want: credential},
		{name: "credential, clientSecret", in: wireResponse(200, "application/json", oauthtest.DFCCredentialCamel), want: credential},
		{name: "JWT", in: wireResponse(200, "application/json", oauthtest.DFCJWTBody),
			want: Token{AccessToken: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJlaG91c2UifQ.sig", TokenType: "Bearer", ExpiresIn: 24 * time.Hour}},
		{name: "JWT, expiresIn as a string", in: wireResponse(200, "application/json", `{"token":"j","expiresIn":"3600","tokenType":"Bearer"}`),
			want: Token{AccessToken: "j", TokenType: "Bearer", ExpiresIn: time.Hour}},
		{name: "JWT without tokenType or expiry", in: wireResponse(200, "application/json", `{"token":"j"}`),
			want: Token{AccessToken: "j", TokenType: "Bearer"}},
		{name: "JWT, tokenType mac", in: wireResponse(200, "application/json", `{"token":"j","expiresIn":3600,"tokenType":"mac"}`), is: ErrBadToken},
		{name: "exchange 401: the secret is dead", in: wireResponse(401, "application/json", oauthtest.DFCUnauthorized), is: ErrInvalidGrant},
		{name: "exchange 403: the secret is dead", in: wireResponse(403, "application/json", oauthtest.DFCForbidden), is: ErrInvalidGrant},
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
		srv := oauthtest.NewServer()
		srv.Script("POST /api/dfc/auth/token", oauthtest.Reply{Status: status, Body: `{"statusCode":401,"message":"bad secret cs_live_secret-refresh-1"}`})
		c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: oauthtest.DFCBase}, Endpoints: DFC{}.Endpoints(oauthtest.DFCBase)}
		_, err := c.Refresh(context.Background(), Grant{RefreshToken: "cs_live_secret-refresh-1", BoundDeviceID: "warehouse.example.com"})
		if !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("HTTP %d: err = %v, want invalid_grant", status, err)
		}
		if err != nil && strings.Contains(err.Error(), "cs_live") {
			t.Errorf("HTTP %d: err %q quotes the secret", status, err)
		}
		if r := srv.Requests(""); len(r) != 1 || !strings.HasPrefix(r[0].Auth, "Basic ") {
			t.Errorf("HTTP %d: requests %+v, want one Basic exchange", status, r)
		}
	}
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
			srv := oauthtest.NewServer()
			srv.Script("POST /api/dfc/error", oauthtest.Reply{Status: 204})
			c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: oauthtest.DFCBase}}
			if err := (DFC{Base: oauthtest.DFCBase}).Report(context.Background(), c, "jwt-1", tt.rep); err != nil {
				t.Errorf("Report = %v, want nil", err)
			}
			reqs := srv.Requests("")
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.Path != "/api/dfc/error" || r.Query != "" || r.Auth != "Bearer jwt-1" || r.CType != "application/json" {
				t.Errorf("request %s %s?%s auth %q type %q, want a JSON POST to /api/dfc/error with the JWT", r.Method, r.Path, r.Query, r.Auth, r.CType)
			}
			if strings.Contains(string(r.Body), "jwt-1") {
				t.Errorf("the JWT is in the report body")
			}
			body := oauthtest.CheckDFCReport(t, r.Body)
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestDFCReportStatus(t *testing.T) {
	for _, tt := range []struct {
		rep      oauthtest.Reply
		ok       bool
		rejected bool
	}{
		{rep: oauthtest.Reply{Status: 204}, ok: true},
		{rep: oauthtest.Reply{Status: 200}, ok: true},
		{rep: oauthtest.Reply{Status: 401, Body: oauthtest.DFCUnauthorized}, rejected: true},
		{rep: oauthtest.Reply{Status: 403, Body: oauthtest.DFCForbidden}, rejected: true},
		{rep: oauthtest.Reply{Status: 400, Body: `{"statusCode":400,"message":["type should not be empty"]}`}},
		{rep: oauthtest.Reply{Status: 503, Body: "down"}},
		{rep: oauthtest.Reply{Err: errors.New("connect: connection refused")}},
	} {
		srv := oauthtest.NewServer()
		srv.Script("POST /api/dfc/error", tt.rep)
		c := &Client{HTTP: &http.Client{Transport: srv}, Profile: DFC{Base: oauthtest.DFCBase}}
		err := DFC{Base: oauthtest.DFCBase}.Report(context.Background(), c, "jwt-1", Report{Type: "X", Message: "m"})
		if (err == nil) != tt.ok || errors.Is(err, ErrGrantRejected) != tt.rejected {
			t.Errorf("HTTP %d: Report = %v, want ok %v, rejected %v", tt.rep.Status, err, tt.ok, tt.rejected)
		}
		if n := len(srv.Requests("")); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1 (no retry)", tt.rep.Status, n)
		}
	}
}

// A hung error endpoint does not hold Report past its context.
func TestDFCReportHungEndpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := oauthtest.TransportFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		c := &Client{HTTP: &http.Client{Transport: hung}, Profile: DFC{Base: oauthtest.DFCBase}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := DFC{Base: oauthtest.DFCBase}.Report(ctx, c, "jwt-1", Report{Type: "X", Message: "m"})
		if err == nil || time.Since(start) != 10*time.Second {
			t.Errorf("Report = %v after %v, want an error after the 10 s timeout", err, time.Since(start))
		}
	})
}
