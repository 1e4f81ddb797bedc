package oauthtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

// Authelia 4.39 as measured, which differs from what its library code
// suggests: no slow_down, no expired_token, HTTP 500 server_error for a
// denied, used or unknown code, 429 temporarily_unavailable with
// Retry-After, lowercase "bearer".

const AutheliaBase = "https://auth.example.com"

// Fixtures: bodies as Authelia 4.39 sends them.
const (
	AutheliaDeviceAuthBody = `{"device_code":"authelia_dc_secret","user_code":"BCDFGHJK",
 "verification_uri":"https://auth.example.com/consent/openid/device-authorization",
 "verification_uri_complete":"https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGHJK",
 "expires_in":599,"interval":10}`
	AutheliaTokenBody    = `{"access_token":"authelia_at_secret","token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"authelia_rt_secret"}`
	AutheliaServerError  = `{"error":"server_error","error_description":"The authorization server encountered an unexpected condition that prevented it from fulfilling the request."}`
	AutheliaRateLimited  = `{"error":"temporarily_unavailable","error_description":"The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the authorization server."}`
	AutheliaPendingBody  = `{"error":"authorization_pending","error_description":"The authorization request is still pending as the end user hasn't yet completed the user-interaction steps."}`
	AutheliaAccessDenied = `{"error":"access_denied","error_description":"The resource owner or authorization server denied the request."}`
	HTMLType             = "text/html; charset=utf-8"
)

// The Data Exporter "DFC" device API: RFC 8628 with JSON bodies ending in a
// site credential (domain, client_secret), exchanged with HTTP Basic for a
// JWT; error reports on /api/dfc/error.

const DFCBase = "https://dfc.example"

// Fixtures: the API's documented example bodies.
const (
	DFCAuthorizeBody = `{"device_code":"3f1e5c2a-9b7d-4e8f-a1c3-5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d7e9f1b3c5d","user_code":"ABCD-2345",
 "verification_uri":"https://app.dataforge.com/device-verify","expires_in":900,"interval":5}`
	DFCCredentialBody  = `{"domain":"warehouse.example.com","client_secret":"cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"}`
	DFCCredentialCamel = `{"domain":"warehouse.example.com","clientSecret":"cs_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"}`
	DFCJWTBody         = `{"token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJlaG91c2UifQ.sig","expiresIn":86400,"tokenType":"Bearer"}`
	DFCUnauthorized    = `{"statusCode":401,"message":"Unauthorized"}`
	DFCForbidden       = `{"statusCode":403,"message":"Forbidden"}`
)

// CheckDFCReport checks a report body against the API's limits, as the
// server validates them: type 1..100 characters, message 1..10,000,
// severity one of four, metadata at most 20 keys and 10 KB of JSON.
func CheckDFCReport(t testing.TB, b []byte) map[string]any {
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

const DFCSecret = "cs_live_secret-refresh-1"

func derefString(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return *s
}

// RomM 5's device pairing: JSON bodies, relative verification paths,
// errors as {"detail": code} and a one-shot token bound to a device.

const RomMBase = "https://romm.example"

// Fixtures: bodies as RomM 5 sends them.
const (
	RomMInitBody = `{"device_code":"9f2c7a1e0b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f","user_code":"K7RMQ2XH",
 "verification_path":"/pair/device","verification_path_complete":"/pair/device?user_code=K7RMQ2XH",
 "expires_in":600,"interval":5}`
	RomMTokenBody = `{"access_token":"rmm_3f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a","device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f",
 "scopes":["roms.read","roms.user.write"],"expires_at":"2026-09-21T10:00:00+00:00"}`
	RomMDeviceID   = "0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f"
	RomMTooMany    = `{"detail":"Too many polling attempts. Try again later."}`
	RomMTooManyIni = `{"detail":"Too many authorize attempts. Try again later."}`
	RomMValidation = `{"detail":[{"type":"missing","loc":["body","device_code"],"msg":"Field required","input":{}}]}`
	RomMHeartbeat5 = `{"SYSTEM":{"VERSION":"5.2.0","SHOW_SETUP_WIZARD":false},"METADATA_SOURCES":{"ANY_SOURCE_ENABLED":true}}`
	RomMMe         = `{"id":1,"username":"pete","email":"pete@example.com","enabled":true,"role":"admin","current_device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f"}`
	RomMUnauth     = `{"detail":"Not authenticated"}`
	RomMForbidden  = `{"detail":"Forbidden"}`
)

func RomMDetail(code string) string { return fmt.Sprintf(`{"detail":%q}`, code) }

const JSONType = "application/json; charset=utf-8"
