package pairing

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
)

// RomM 5's device pairing: JSON bodies, relative verification paths,
// errors as {"detail": code} and a one-shot token bound to a device.

const rommBase = "https://romm.example"

// Fixtures: bodies as RomM 5 sends them.
const (
	rommInitBody = `{"device_code":"9f2c7a1e0b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f","user_code":"K7RMQ2XH",
 "verification_path":"/pair/device","verification_path_complete":"/pair/device?user_code=K7RMQ2XH",
 "expires_in":600,"interval":5}`
	rommTokenBody = `{"access_token":"rmm_3f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a","device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f",
 "scopes":["roms.read","roms.user.write"],"expires_at":"2026-09-21T10:00:00+00:00"}`
	rommDeviceID   = "0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f"
	rommTooMany    = `{"detail":"Too many polling attempts. Try again later."}`
	rommTooManyIni = `{"detail":"Too many authorize attempts. Try again later."}`
	rommValidation = `{"detail":[{"type":"missing","loc":["body","device_code"],"msg":"Field required","input":{}}]}`
	rommHeartbeat5 = `{"SYSTEM":{"VERSION":"5.2.0","SHOW_SETUP_WIZARD":false},"METADATA_SOURCES":{"ANY_SOURCE_ENABLED":true}}`
	rommMe         = `{"id":1,"username":"pete","email":"pete@example.com","enabled":true,"role":"admin","current_device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f"}`
	rommUnauth     = `{"detail":"Not authenticated"}`
	rommForbidden  = `{"detail":"Forbidden"}`
)

func rommDetail(code string) string { return fmt.Sprintf(`{"detail":%q}`, code) }

func TestRomMEndpoints(t *testing.T) {
	want := Endpoints{Issuer: rommBase, DeviceAuthorization: rommBase + "/api/auth/device/init",
		Token: rommBase + "/api/auth/device/token", Userinfo: rommBase + "/api/users/me"}
	if got := (RomM{}).Endpoints(rommBase + "/"); got != want {
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
	ep := RomM{}.Endpoints(rommBase)
	dev := DeviceInfo{ID: "install-uuid-abc", Name: "Pete muOS", Model: "RG35XX Plus", OSVersion: "muOS 2508", ClientVersion: "0.9.0"}
	for _, tt := range []struct {
		name string
		p    RomM
		cfg  ClientConfig
		want map[string]any
	}{
		{"defaults", RomM{Base: rommBase}, ClientConfig{Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
		{"configured scopes", RomM{Base: rommBase}, ClientConfig{Scope: "me.read roms.read", Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0", "requested_scopes": []any{"me.read", "roms.read"}}},
		{"profile scopes", RomM{Base: rommBase, Scopes: []string{"me.read"}}, ClientConfig{Device: dev}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "Pete muOS", "client": "pairingd",
			"platform": "RG35XX Plus", "client_version": "0.9.0", "requested_scopes": []any{"me.read"}}},
		{"bare device", RomM{Base: rommBase}, ClientConfig{Device: DeviceInfo{ID: "install-uuid-abc"}}, map[string]any{
			"client_device_identifier": "install-uuid-abc", "name": "pairingd device", "client": "pairingd",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
		{"platform from the OS", RomM{Base: rommBase}, ClientConfig{Device: DeviceInfo{ID: "x", Name: "n", OSVersion: "muOS 2508"}}, map[string]any{
			"client_device_identifier": "x", "name": "n", "client": "pairingd", "platform": "muOS 2508",
			"requested_scopes": []any{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.p.DeviceAuthRequest(ctx, ep, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != "POST" || req.URL.String() != rommBase+"/api/auth/device/init" ||
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
	req, err := RomM{Base: rommBase}.DeviceAuthRequest(ctx, ep, ClientConfig{Device: long})
	if err != nil {
		t.Fatal(err)
	}
	body := jsonRequestBody(t, req)
	for k, n := range map[string]int{"client_device_identifier": 255, "name": 255, "platform": 50, "client_version": 50} {
		if s, _ := body[k].(string); utf8.RuneCountInString(s) > n || s == "" {
			t.Errorf("%s has %d characters, want 1..%d", k, utf8.RuneCountInString(s), n)
		}
	}
	if _, err := (RomM{Base: rommBase}).DeviceAuthRequest(ctx, ep, ClientConfig{}); err == nil {
		t.Errorf("init without a device identifier: no error")
	}

	req, err = RomM{Base: rommBase}.TokenRequest(ctx, ep, ClientConfig{Device: dev}, "9f2c-secret")
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL.String() != rommBase+"/api/auth/device/token" || req.Header.Get("Content-Type") != "application/json" {
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
	p := RomM{Base: rommBase}
	da, err := p.ParseDeviceAuth(wireResponse(201, "application/json", rommInitBody))
	want := DeviceAuth{DeviceCode: "9f2c7a1e0b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", UserCode: "K7RM-Q2XH",
		VerificationURI: rommBase + "/pair/device", VerificationURIComplete: rommBase + "/pair/device?user_code=K7RMQ2XH",
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
		{name: "429 without Retry-After", in: wireResponse(429, "application/json", rommTooManyIni), transient: true, retry: time.Minute},
		{name: "404: no device pairing", in: wireResponse(404, "application/json", `{"detail":"Not Found"}`), is: ErrUnsupported},
		{name: "422 with a list detail", in: wireResponse(422, "application/json", rommValidation), code: "invalid_request"},
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
		{name: "success with expires_at", in: wireResponse(200, "application/json", rommTokenBody, date("Mon, 21 Sep 2026 09:00:00 GMT")...),
			want: Token{AccessToken: "rmm_3f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a", TokenType: "Bearer",
				Scope: "roms.read roms.user.write", BoundDeviceID: rommDeviceID, ExpiresIn: time.Hour}},
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
		{name: "pending", in: wireResponse(400, "application/json", rommDetail("authorization_pending")), is: ErrAuthorizationPending},
		{name: "slow_down", in: wireResponse(400, "application/json", rommDetail("slow_down")), is: ErrSlowDown},
		{name: "denied", in: wireResponse(400, "application/json", rommDetail("access_denied")), is: ErrAccessDenied},
		{name: "expired, unknown or used", in: wireResponse(400, "application/json", rommDetail("expired_token")), is: ErrExpiredToken},
		{name: "429 without Retry-After", in: wireResponse(429, "application/json", rommTooMany), is: ErrSlowDown, retry: time.Minute},
		{name: "422 with a list detail", in: wireResponse(422, "application/json", rommValidation), code: "invalid_request"},
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
func rommClient(srv *profServer) *Client {
	return &Client{HTTP: &http.Client{Transport: srv}, Profile: RomM{Base: rommBase}, Endpoints: RomM{}.Endpoints(rommBase)}
}

func TestRomMPreflight(t *testing.T) {
	hb := func(v string) scripted {
		b, _ := json.Marshal(map[string]any{"SYSTEM": map[string]any{"VERSION": v, "SHOW_SETUP_WIZARD": false}})
		return scripted{status: 200, body: string(b)}
	}
	for _, tt := range []struct {
		name        string
		rep         scripted
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
		{name: "404", rep: scripted{status: 404, body: `{"detail":"Not Found"}`}, unsupported: true, msg: []string{"RomM"}},
		{name: "502", rep: scripted{status: 502, body: "<html>Bad Gateway</html>", header: http.Header{"Content-Type": {"text/html"}}}, transient: true},
		{name: "200 not a heartbeat", rep: scripted{status: 200, body: "<html>captive portal</html>", header: http.Header{"Content-Type": {"text/html"}}}, transient: true},
		{name: "connection refused", rep: scripted{err: errors.New("connect: connection refused")}, transient: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newProfServer()
			srv.script("GET /api/heartbeat", tt.rep)
			err := RomM{Base: rommBase}.Preflight(context.Background(), rommClient(srv))
			if reqs := srv.requests(""); len(reqs) != 1 || reqs[0].method != "GET" || reqs[0].path != "/api/heartbeat" || reqs[0].auth != "" {
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
	me := func(devID string) scripted {
		return scripted{status: 200, body: fmt.Sprintf(`{"id":1,"username":"pete","email":"pete@example.com","current_device_id":%s}`, devID)}
	}
	for _, tt := range []struct {
		name      string
		rep       scripted
		bound     string
		account   string
		rejected  bool
		transient bool
	}{
		{name: "bound device", rep: scripted{status: 200, body: rommMe}, bound: rommDeviceID, account: "pete"},
		{name: "device deleted (null)", rep: me("null"), bound: rommDeviceID, account: "pete", rejected: true},
		{name: "another device", rep: me(`"1e2f3a4b-0000-4000-8000-000000000000"`), bound: rommDeviceID, account: "pete", rejected: true},
		{name: "nothing bound, null", rep: me("null"), bound: "", account: "pete"},
		{name: "401", rep: scripted{status: 401, body: rommUnauth, header: http.Header{"Www-Authenticate": {"Bearer"}}}, bound: rommDeviceID, rejected: true},
		{name: "403 (fresh token, or no me.read)", rep: scripted{status: 403, body: rommForbidden}, bound: rommDeviceID, transient: true},
		{name: "500", rep: scripted{status: 500, body: "oops"}, bound: rommDeviceID, transient: true},
		{name: "200 not a user", rep: scripted{status: 200, body: "<html>", header: http.Header{"Content-Type": {"text/html"}}}, bound: rommDeviceID, transient: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newProfServer()
			srv.script("GET /api/users/me", tt.rep)
			account, err := RomM{Base: rommBase}.Check(context.Background(), rommClient(srv), "rmm_secret-access-1", tt.bound)
			reqs := srv.requests("")
			if len(reqs) != 1 || reqs[0].method != "GET" || reqs[0].path != "/api/users/me" || reqs[0].auth != "Bearer rmm_secret-access-1" || reqs[0].query != "" {
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

// rommServer is a RomM 5.2 whose users never act unless scripted.
func rommServer() *profServer {
	srv := newProfServer()
	srv.defaults["GET /api/heartbeat"] = func(int, *http.Request, []byte) scripted {
		return scripted{status: 200, body: rommHeartbeat5}
	}
	srv.defaults["POST /api/auth/device/init"] = func(n int, _ *http.Request, _ []byte) scripted {
		code := fmt.Sprintf("K7RMQ2X%d", n+1)
		return scripted{status: 201, body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":%q,"verification_path":"/pair/device","verification_path_complete":"/pair/device?user_code=%s","expires_in":600,"interval":5}`,
			n+1, code, code)}
	}
	srv.defaults["POST /api/auth/device/token"] = func(int, *http.Request, []byte) scripted {
		return scripted{status: 400, body: rommDetail("authorization_pending")}
	}
	srv.defaults["GET /api/users/me"] = func(int, *http.Request, []byte) scripted {
		return scripted{status: 200, body: rommMe}
	}
	return srv
}

func newRomMHarness(t *testing.T, srv *profServer) *profHarness {
	h := newProfHarness(t, RomM{Base: rommBase}, rommBase, srv, nil)
	h.m.Check = checkFunc(h.m.Client)
	return h
}

// Version 4 is refused with a message naming RomM 5, retried with backoff,
// and no code is asked for until the server is RomM 5.
func TestRomMPreflightLoop(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := rommServer()
		v4 := scripted{status: 200, body: `{"SYSTEM":{"VERSION":"4.3.1"}}`}
		srv.script("GET /api/heartbeat", v4, v4, v4)
		h := newRomMHarness(t, srv)
		h.start()
		advance(time.Second)
		s := h.last()
		if s.State != "error" || !strings.Contains(s.Detail, "RomM 5") || !strings.Contains(s.Detail, "4.3.1") {
			t.Errorf("screen = %+v, want an error naming RomM 5 and the server's version", s)
		}
		if n := len(srv.requests("POST /api/auth/device/init")); n != 0 {
			t.Errorf("%d codes asked of RomM 4", n)
		}
		advance(10*time.Second + 20*time.Second + 40*time.Second)
		h.stop()
		hb := srv.requests("GET /api/heartbeat")
		if len(hb) != 4 {
			t.Fatalf("%d heartbeats, want 4 (3 refused, then RomM 5)", len(hb))
		}
		for i, want := range []time.Duration{10, 20, 40} {
			if got := hb[i+1].at - hb[i].done; got != want*time.Second {
				t.Errorf("wait %d = %v, want %v", i, got, want*time.Second)
			}
		}
		init := srv.requests("POST /api/auth/device/init")
		if len(init) != 1 || init[0].at < hb[3].done {
			t.Errorf("init requests %d, want 1 after the fourth heartbeat", len(init))
		}
		if s := h.last(); s.State != "awaiting_user" || s.UserCode != "K7RM-Q2X1" {
			t.Errorf("screen after the upgrade = %+v, want the code K7RM-Q2X1", s)
		}
		if got := h.reports.types(); len(got) != 3 || got[0] != "PAIRING_FAILED" {
			t.Errorf("reports %v, want 3 PAIRING_FAILED", got)
		}
	})
}

// The whole RomM pairing: JSON init and polls, the one-shot token committed
// at once with the bound device, no refresh token; the check right after
// pairing meets a brief 403, then stores the user; a later 401 clears the
// grant and shows a new code.
func TestRomMPairing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := rommServer()
		srv.script("POST /api/auth/device/token",
			scripted{status: 400, body: rommDetail("authorization_pending")},
			scripted{status: 200, body: `{"access_token":"rmm_secret-access-1","device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f","scopes":["me.read","roms.read"],"expires_at":null}`})
		srv.script("GET /api/users/me", scripted{status: 403, body: rommForbidden}, scripted{status: 200, body: rommMe})
		h := newRomMHarness(t, srv)
		h.secrets = []string{"rmm_secret"}
		h.m.CheckEvery = 5 * time.Minute
		h.start()
		advance(time.Second)
		s := h.last()
		if s.State != "awaiting_user" || s.UserCode != "K7RM-Q2X1" || s.URI != rommBase+"/pair/device" || s.QR != rommBase+"/pair/device?user_code=K7RMQ2X1" {
			t.Errorf("screen = %+v, want code K7RM-Q2X1 with the URLs joined to the base", s)
		}
		advance(9 * time.Second) // pending at 5 s, approved at 10 s
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "rmm_secret-access-1" || rec.Tokens.RefreshToken != "" ||
			rec.BoundDeviceID != rommDeviceID || !rec.Tokens.ExpiresAt.IsZero() {
			t.Fatalf("record after approval: state %v bound %q refresh set %v expires %v, want paired, bound to %s, no refresh token, no expiry",
				State(rec.State), rec.BoundDeviceID, rec.Tokens.RefreshToken != "", rec.Tokens.ExpiresAt, rommDeviceID)
		}
		init := srv.requests("POST /api/auth/device/init")
		if len(init) != 1 {
			t.Fatalf("%d init requests", len(init))
		}
		body := init[0].jsonBody()
		if body["client_device_identifier"] != "5b2f0d7e-device-uuid" || body["client"] != "pairingd" || init[0].ctype != "application/json" {
			t.Errorf("init body %v type %q, want the device identifier and client pairingd as JSON", body, init[0].ctype)
		}
		polls := srv.requests("POST /api/auth/device/token")
		for _, p := range polls {
			if got := p.jsonBody(); len(got) != 1 || got["device_code"] != "secret-device-code-1" {
				t.Errorf("poll body %s, want {device_code}", p.body)
			}
		}
		// The check at once meets a 403, the next one 2 s later succeeds.
		me := srv.requests("GET /api/users/me")
		if len(me) != 1 {
			t.Errorf("%d checks right after pairing, want 1", len(me))
		}
		advance(2*time.Second + time.Millisecond)
		me = srv.requests("GET /api/users/me")
		if len(me) != 2 || me[1].at-me[0].done != 2*time.Second {
			t.Errorf("checks %d, want the 403 retried 2 s later", len(me))
		}
		for _, r := range me {
			if r.auth != "Bearer rmm_secret-access-1" {
				t.Errorf("check sent Authorization %q", r.auth)
			}
		}
		rec = h.record()
		if rec.Health != "ok" || rec.Account != "pete" || State(rec.State) != Paired {
			t.Errorf("after the checks: state %v health %q account %q, want paired, ok, pete", State(rec.State), rec.Health, rec.Account)
		}
		if n := len(srv.requests("POST /api/auth/device/token")); n != 2 {
			t.Errorf("%d token requests, want 2: the one-shot answer is never polled again", n)
		}

		// Five minutes on, the token is revoked.
		srv.script("GET /api/users/me", scripted{status: 401, body: rommUnauth})
		advance(5 * time.Minute)
		h.stop()
		rec = h.record()
		if !rec.Tokens.IsZero() || rec.BoundDeviceID != "" {
			t.Errorf("after a 401: tokens kept %v, bound %q, want both cleared", !rec.Tokens.IsZero(), rec.BoundDeviceID)
		}
		if s := h.last(); State(rec.State) != AwaitingUser || s.UserCode != "K7RM-Q2X2" {
			t.Errorf("after a 401: state %v screen %+v, want a new code", State(rec.State), s)
		}
		if got := h.reports.types(); !reflect.DeepEqual(got, []string{"GRANT_REJECTED"}) {
			t.Errorf("reports %v, want GRANT_REJECTED", got)
		}
		for _, r := range srv.requests("") {
			if strings.Contains(r.path+r.query, "secret") {
				t.Errorf("a secret in the URL %s?%s", r.path, r.query)
			}
		}
		if !h.sawDetail("no longer accepts") {
			t.Errorf("after RomM answered 401, no screen or status line said why the device pairs again")
		}
	})
}

// A RomM token with expires_at is re-paired for before it expires: there
// is no refresh request.
func TestRomMExpiringToken(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := rommServer()
		// Date tells ParseToken the server's now: the token lives an hour.
		now := time.Now().UTC()
		srv.script("POST /api/auth/device/token", scripted{status: 200,
			header: http.Header{"Date": {now.Add(5 * time.Second).Format(http.TimeFormat)}},
			body: fmt.Sprintf(`{"access_token":"rmm_secret-access-1","device_id":%q,"scopes":["me.read"],"expires_at":%q}`,
				rommDeviceID, now.Add(5*time.Second+time.Hour).Format(time.RFC3339))})
		h := newRomMHarness(t, srv)
		h.secrets = []string{"rmm_secret"}
		h.start()
		advance(6 * time.Second)
		rec := h.record()
		if State(rec.State) != Paired {
			t.Fatalf("state %v, want paired", State(rec.State))
		}
		if got := rec.Tokens.ExpiresAt.Sub(rec.Tokens.IssuedAt); got != time.Hour {
			t.Errorf("stored lifetime %v, want 1h from expires_at", got)
		}
		advance(time.Hour)
		h.stop()
		if n := len(srv.requests("POST /api/auth/device/init")); n != 2 {
			t.Errorf("%d codes, want a second one before the token expired", n)
		}
		if n := len(srv.requests("POST /api/auth/device/token")); n < 2 {
			t.Errorf("the new code was not polled")
		}
		for _, r := range srv.requests("POST /api/auth/device/token") {
			if r.jsonBody()["device_code"] == nil {
				t.Errorf("a token request without device_code (a refresh?): %s", r.body)
			}
		}
		if s := h.last(); s.State != "awaiting_user" {
			t.Errorf("screen %+v, want a new code", s)
		}
	})
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
