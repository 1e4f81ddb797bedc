package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

func TestRomMEndpoints(t *testing.T) {
	want := Endpoints{Issuer: oauthtest.RomMBase, DeviceAuthorization: oauthtest.RomMBase + "/api/auth/device/init",
		Token: oauthtest.RomMBase + "/api/auth/device/token", Userinfo: oauthtest.RomMBase + "/api/users/me"}
	if got := (RomM{}).Endpoints(oauthtest.RomMBase + "/"); got != want {
		t.Errorf("Endpoints = %+v, want %+v", got, want)
	}
}

// jsonRequestBody reads a request's JSON body.
func jsonRequestBody(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	if req.Body == nil {
		return nil
	}
	var m map[string]any
	if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
		t.Fatalf("request body is not JSON: %v", err)
	}
	return m
}

func TestRomMRequests(t *testing.T) {
	ctx := context.Background()
	ep := RomM{}.Endpoints(oauthtest.RomMBase)
	dev := DeviceInfo{ID: "install-uuid-abc", Name: "Pete muOS", Model: "RG35XX Plus", OSVersion: "muOS 2508", ClientVersion: "0.9.0"}
	for _, tt := range []struct {
		name string
		p    RomM
		cfg  ClientConfig
		want map[string]any
	}{
		{"defaults", RomM{Base: oauthtest.RomMBase}, ClientConfig{Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
		{"configured scopes", RomM{Base: oauthtest.RomMBase}, ClientConfig{Scope: "me.read roms.read", Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0", "requested_scopes": []any{"me.read", "roms.read"}}},
		{"profile scopes", RomM{Base: oauthtest.RomMBase, Scopes: []string{"me.read"}}, ClientConfig{Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0", "requested_scopes": []any{"me.read"}}},
		{"bare device", RomM{Base: oauthtest.RomMBase}, ClientConfig{Device: DeviceInfo{ID: "install-uuid-abc"}}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "pairingd device", "client": "pairingd",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
		{"platform from the OS", RomM{Base: oauthtest.RomMBase}, ClientConfig{Device: DeviceInfo{ID: "x", Name: "n", OSVersion: "muOS 2508"}}, map[string]any{
			"client_device_identifier": "x", "name": "n", "client": "pairingd", "platform": "muOS 2508",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.p.DeviceAuthRequest(ctx, ep, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != "POST" || req.URL.String() != oauthtest.RomMBase+"/api/auth/device/init" ||
				req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Authorization") != "" {
				t.Errorf("request %s %s type %q auth %q, want a JSON POST to /api/auth/device/init without auth",
					req.Method, req.URL, req.Header.Get("Content-Type"), req.Header.Get("Authorization"))
			}
			if got := jsonRequestBody(t, req); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body = %v, want %v", got, tt.want)
			}
		})
	}

	// Limits of DeviceAuthInitPayload: name 255, platform and version 50.
	long := DeviceInfo{ID: strings.Repeat("i", 300), Name: strings.Repeat("n", 300), Model: strings.Repeat("m", 80), ClientVersion: strings.Repeat("v", 80)}
	req, err := RomM{Base: oauthtest.RomMBase}.DeviceAuthRequest(ctx, ep, ClientConfig{Device: long})
	if err != nil {
		t.Fatal(err)
	}
	body := jsonRequestBody(t, req)
	for k, n := range map[string]int{"client_device_identifier": 255, "name": 255, "platform": 50, "client_version": 50} {
		if s, _ := body[k].(string); utf8.RuneCountInString(s) > n || s == "" {
			t.Errorf("%s has %d characters, want 1..%d", k, utf8.RuneCountInString(s), n)
		}
	}
	if _, err := (RomM{Base: oauthtest.RomMBase}).DeviceAuthRequest(ctx, ep, ClientConfig{}); err == nil {
		t.Errorf("init without a device identifier: no error")
	}

	req, err = RomM{Base: oauthtest.RomMBase}.TokenRequest(ctx, ep, ClientConfig{Device: dev}, "9f2c-secret")
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL.String() != oauthtest.RomMBase+"/api/auth/device/token" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("token request %s %s %q, want a JSON POST to /api/auth/device/token", req.Method, req.URL, req.Header.Get("Content-Type"))
	}
	if got, want := jsonRequestBody(t, req), map[string]any{"device_code": "9f2c-secret"}; !reflect.DeepEqual(got, want) {
		t.Errorf("token body = %v, want %v (no client_id, no grant_type)", got, want)
	}
	if strings.Contains(req.URL.String(), "secret") {
		t.Errorf("device code in the URL %s", req.URL)
	}
	if req, err := (RomM{}).RefreshRequest(ctx, ep, ClientConfig{}, Grant{RefreshToken: "x"}); req != nil || err == nil {
		t.Errorf("RefreshRequest = %v, %v, want an error: RomM has no refresh", req, err)
	}
	if req, err := (RomM{}).RevokeRequest(ctx, ep, ClientConfig{}, "rmm_x", ""); req != nil || err != nil {
		t.Errorf("RevokeRequest = %v, %v, want nil, nil", req, err)
	}
}

func TestRomMParseDeviceAuth(t *testing.T) {
	p := RomM{Base: oauthtest.RomMBase}
	da, err := p.ParseDeviceAuth(wireResponse(201, "application/json", oauthtest.RomMInitBody))
	want := DeviceAuth{DeviceCode: "9f2c7a1e0b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", UserCode: "K7RM-Q2XH",
		VerificationURI: oauthtest.RomMBase + "/pair/device", VerificationURIComplete: oauthtest.RomMBase + "/pair/device?user_code=K7RMQ2XH",
		Interval: 5 * time.Second, ExpiresIn: 600 * time.Second}
	if err != nil || !reflect.DeepEqual(da, want) {
		t.Errorf("ParseDeviceAuth(201) = %+v, %v, want %+v", da, err, want)
	}

	for _, tt := range []struct {
		name      string
		in        Response
		transient bool
		retry     time.Duration
		is        error
		code      string
	}{
		{name: "429 without Retry-After", in: wireResponse(429, "application/json", oauthtest.RomMTooManyIni), transient: true, retry: time.Minute},
		{name: "404: no device pairing", in: wireResponse(404, "application/json", `{"detail":"Not Found"}`), is: ErrUnsupported},
		{name: "422 with a list detail", in: wireResponse(422, "application/json", oauthtest.RomMValidation), code: "invalid_request"},
		{name: "500", in: wireResponse(500, "text/plain", "Internal Server Error"), transient: true},
		{name: "201 not JSON", in: wireResponse(201, "text/html", "<html>"), transient: true},
		{name: "201 without device_code", in: wireResponse(201, "application/json", `{"user_code":"K7RMQ2XH","verification_path":"/pair/device","expires_in":600,"interval":5}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.ParseDeviceAuth(tt.in)
			if err == nil {
				t.Fatalf("no error")
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("err = %v, transient %v, want %v", err, !tt.transient, tt.transient)
			}
			if tt.transient && te.RetryAfter != tt.retry {
				t.Errorf("RetryAfter = %v, want %v", te.RetryAfter, tt.retry)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			var oe *OAuthError
			if tt.code != "" && (!errors.As(err, &oe) || oe.Code != tt.code) {
				t.Errorf("err = %v, want OAuth code %q", err, tt.code)
			}
		})
	}
}

func TestRomMParseToken(t *testing.T) {
	date := func(s string) []string { return []string{"Date", s} }
	for _, tt := range []struct {
		name      string
		in        Response
		want      Token
		is        error
		transient bool
		retry     time.Duration
		code      string
	}{
		{name: "success with expires_at", in: wireResponse(200, "application/json", oauthtest.RomMTokenBody, date("Mon, 21 Sep 2026 09:00:00 GMT")...),
			want: Token{AccessToken: "rmm_3f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a", TokenType: "Bearer",
				Scope: "roms.read roms.user.write", BoundDeviceID: oauthtest.RomMDeviceID, ExpiresIn: time.Hour}},
		{name: "expires_at with Z and fractions", in: wireResponse(200, "application/json",
			`{"access_token":"rmm_x","device_id":"d","scopes":["me.read"],"expires_at":"2026-09-21T10:00:00.500000Z"}`, date("Mon, 21 Sep 2026 09:30:00 GMT")...),
			want: Token{AccessToken: "rmm_x", TokenType: "Bearer", Scope: "me.read", BoundDeviceID: "d", ExpiresIn: 30*time.Minute + 500*time.Millisecond}},
		{name: "expires_at in the past", in: wireResponse(200, "application/json",
			`{"access_token":"rmm_x","device_id":"d","scopes":[],"expires_at":"2026-09-21T10:00:00+00:00"}`, date("Tue, 22 Sep 2026 09:00:00 GMT")...),
			want: Token{AccessToken: "rmm_x", TokenType: "Bearer", BoundDeviceID: "d", ExpiresIn: time.Second}},
		{name: "expires_at null", in: wireResponse(200, "application/json",
			`{"access_token":"rmm_x","device_id":"d","scopes":["me.read","roms.read"],"expires_at":null}`),
			want: Token{AccessToken: "rmm_x", TokenType: "Bearer", Scope: "me.read roms.read", BoundDeviceID: "d"}},
		{name: "expires_at absent", in: wireResponse(200, "application/json", `{"access_token":"rmm_x","device_id":"d","scopes":["me.read"]}`),
			want: Token{AccessToken: "rmm_x", TokenType: "Bearer", Scope: "me.read", BoundDeviceID: "d"}},
		{name: "pending", in: wireResponse(400, "application/json", oauthtest.RomMDetail("authorization_pending")), is: ErrAuthorizationPending},
		{name: "slow_down", in: wireResponse(400, "application/json", oauthtest.RomMDetail("slow_down")), is: ErrSlowDown},
		{name: "denied", in: wireResponse(400, "application/json", oauthtest.RomMDetail("access_denied")), is: ErrAccessDenied},
		{name: "expired, unknown or used", in: wireResponse(400, "application/json", oauthtest.RomMDetail("expired_token")), is: ErrExpiredToken},
		{name: "429 without Retry-After", in: wireResponse(429, "application/json", oauthtest.RomMTooMany), is: ErrSlowDown, retry: time.Minute},
		{name: "422 with a list detail", in: wireResponse(422, "application/json", oauthtest.RomMValidation), code: "invalid_request"},
		{name: "500", in: wireResponse(500, "text/plain", "Internal Server Error"), transient: true},
		{name: "400 without detail", in: wireResponse(400, "application/json", `{"error":"x"}`), transient: true},
		{name: "200 not JSON", in: wireResponse(200, "application/json", `{"access_token":"rmm_x",`), is: ErrConsumed},
		{name: "200 without access_token", in: wireResponse(200, "application/json", `{"device_id":"d","scopes":[]}`), is: ErrBadToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := RomM{}.ParseToken(tt.in)
			if tt.is == nil && !tt.transient && tt.code == "" {
				if err != nil || !reflect.DeepEqual(tok, tt.want) {
					t.Errorf("ParseToken = %+v, %v, want %+v", tok, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseToken = %+v, want an error", tok)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("err = %v, transient %v, want %v", err, !tt.transient, tt.transient)
			}
			var oe *OAuthError
			if tt.retry != 0 && (!errors.As(err, &oe) || oe.RetryAfter != tt.retry) {
				t.Errorf("err = %v, want RetryAfter %v", err, tt.retry)
			}
			if tt.code != "" {
				if !errors.As(err, &oe) || oe.Code != tt.code {
					t.Errorf("err = %v, want OAuth code %q", err, tt.code)
				}
				if errors.Is(err, ErrAuthorizationPending) || errors.Is(err, ErrSlowDown) {
					t.Errorf("err = %v: a 422 must stop polling", err)
				}
			}
		})
	}
}

// rommClient is a client for one-shot calls against srv.
func rommClient(srv *oauthtest.Server) *Client {
	return &Client{HTTP: &http.Client{Transport: srv}, Profile: RomM{Base: oauthtest.RomMBase}, Endpoints: RomM{}.Endpoints(oauthtest.RomMBase)}
}

func TestRomMPreflight(t *testing.T) {
	hb := func(v string) oauthtest.Reply {
		b, _ := json.Marshal(map[string]any{"SYSTEM": map[string]any{"VERSION": v, "SHOW_SETUP_WIZARD": false}})
		return oauthtest.Reply{Status: 200, Body: string(b)}
	}
	for _, tt := range []struct {
		name        string
		rep         oauthtest.Reply
		unsupported bool
		transient   bool
		msg         []string
	}{
		{name: "5.2.0", rep: hb("5.2.0")},
		{name: "5.0.0-alpha.1", rep: hb("5.0.0-alpha.1")},
		{name: "v5.0.0", rep: hb("v5.0.0")},
		{name: "12.0.0", rep: hb("12.0.0")},
		{name: "4.3.1", rep: hb("4.3.1"), unsupported: true, msg: []string{"RomM 4.3.1", "RomM 5"}},
		{name: "garbage version", rep: hb("\x1b[2Jdevelop"), unsupported: true, msg: []string{"RomM 5"}},
		{name: "404", rep: oauthtest.Reply{Status: 404, Body: `{"detail":"Not Found"}`}, unsupported: true, msg: []string{"RomM"}},
		{name: "502", rep: oauthtest.Reply{Status: 502, Body: "<html>Bad Gateway</html>", Header: http.Header{"Content-Type": {"text/html"}}}, transient: true},
		{name: "200 not a heartbeat", rep: oauthtest.Reply{Status: 200, Body: "<html>captive portal</html>", Header: http.Header{"Content-Type": {"text/html"}}}, transient: true},
		{name: "connection refused", rep: oauthtest.Reply{Err: errors.New("connect: connection refused")}, transient: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauthtest.NewServer()
			srv.Script("GET /api/heartbeat", tt.rep)
			err := RomM{Base: oauthtest.RomMBase}.Preflight(context.Background(), rommClient(srv))
			if reqs := srv.Requests(""); len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/api/heartbeat" || reqs[0].Auth != "" {
				t.Errorf("requests %+v, want one GET /api/heartbeat without auth", reqs)
			}
			if !tt.unsupported && !tt.transient {
				if err != nil {
					t.Errorf("Preflight = %v, want nil", err)
				}
				return
			}
			if errors.Is(err, ErrUnsupported) != tt.unsupported {
				t.Errorf("Preflight = %v, unsupported %v, want %v", err, !tt.unsupported, tt.unsupported)
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("Preflight = %v, transient %v, want %v", err, !tt.transient, tt.transient)
			}
			for _, m := range tt.msg {
				if err == nil || !strings.Contains(err.Error(), m) {
					t.Errorf("Preflight = %v, want it to name %q", err, m)
				}
			}
			if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("Preflight error %q carries an escape from the server", err)
			}
		})
	}
}

func TestRomMCheck(t *testing.T) {
	me := func(devID string) oauthtest.Reply {
		return oauthtest.Reply{Status: 200, Body: fmt.Sprintf(`{"id":1,"username":"pete","email":"pete@example.com","current_device_id":%s}`, devID)}
	}
	for _, tt := range []struct {
		name      string
		rep       oauthtest.Reply
		bound     string
		account   string
		rejected  bool
		transient bool
	}{
		{name: "bound device", rep: oauthtest.Reply{Status: 200, Body: oauthtest.RomMMe}, bound: oauthtest.RomMDeviceID, account: "pete"},
		{name: "device deleted (null)", rep: me("null"), bound: oauthtest.RomMDeviceID, account: "pete", rejected: true},
		{name: "another device", rep: me(`"1e2f3a4b-0000-4000-8000-000000000000"`), bound: oauthtest.RomMDeviceID, account: "pete", rejected: true},
		{name: "nothing bound, null", rep: me("null"), bound: "", account: "pete"},
		{name: "401", rep: oauthtest.Reply{Status: 401, Body: oauthtest.RomMUnauth, Header: http.Header{"Www-Authenticate": {"Bearer"}}}, bound: oauthtest.RomMDeviceID, rejected: true},
		{name: "403 (fresh token, or no me.read)", rep: oauthtest.Reply{Status: 403, Body: oauthtest.RomMForbidden}, bound: oauthtest.RomMDeviceID, transient: true},
		{name: "500", rep: oauthtest.Reply{Status: 500, Body: "oops"}, bound: oauthtest.RomMDeviceID, transient: true},
		{name: "200 not a user", rep: oauthtest.Reply{Status: 200, Body: "<html>", Header: http.Header{"Content-Type": {"text/html"}}}, bound: oauthtest.RomMDeviceID, transient: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauthtest.NewServer()
			srv.Script("GET /api/users/me", tt.rep)
			account, err := RomM{Base: oauthtest.RomMBase}.Check(context.Background(), rommClient(srv), "rmm_secret-access-1", tt.bound)
			reqs := srv.Requests("")
			if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/api/users/me" || reqs[0].Auth != "Bearer rmm_secret-access-1" || reqs[0].Query != "" {
				t.Errorf("requests %+v, want one GET /api/users/me with the token as Bearer", reqs)
			}
			if account != tt.account {
				t.Errorf("account = %q, want %q", account, tt.account)
			}
			if errors.Is(err, ErrGrantRejected) != tt.rejected {
				t.Errorf("err = %v, rejected %v, want %v", err, !tt.rejected, tt.rejected)
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("err = %v, transient %v, want %v", err, !tt.transient, tt.transient)
			}
			if !tt.rejected && !tt.transient && err != nil {
				t.Errorf("err = %v, want nil", err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("err %q quotes the token", err)
			}
		})
	}
}

// RomM's one-shot token is never thrown away over its expires_at: a naive
// ISO time is UTC, and one that cannot be read leaves a token without
// expiry.
func TestRomMExpiresAtForms(t *testing.T) {
	date := time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC)
	hdr := http.Header{"Content-Type": {"application/json"}, "Date": {date.Add(-time.Hour).Format(http.TimeFormat)}}
	for _, tt := range []struct {
		expiresAt string
		want      time.Duration
	}{
		{`"2026-09-21T10:00:00+00:00"`, time.Hour},
		{`"2026-09-21T10:00:00Z"`, time.Hour},
		{`"2026-09-21T10:00:00.123456"`, time.Hour + 123456*time.Microsecond},
		{`"2026-09-21 10:00:00"`, time.Hour},
		{`null`, 0},
		{`"next tuesday"`, 0},
	} {
		body := `{"access_token":"rmm_secret","device_id":"0b6c2b8e-0000-4000-8000-000000000000","scopes":["me.read"],"expires_at":` + tt.expiresAt + `}`
		tok, err := RomM{Base: "https://romm.example"}.ParseToken(Response{Status: 200, Header: hdr, Body: []byte(body)})
		if err != nil {
			t.Errorf("expires_at %s: %v, want the token kept", tt.expiresAt, err)
			continue
		}
		if tok.AccessToken != "rmm_secret" || tok.ExpiresIn != tt.want {
			t.Errorf("expires_at %s: token %q expires in %v, want kept and %v", tt.expiresAt, tok.AccessToken, tok.ExpiresIn, tt.want)
		}
	}
}
