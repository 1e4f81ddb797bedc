package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// TestProfilesEndToEnd pairs the built binary with devauthserver playing
// each server pairingd was designed for, and uses the token the way that
// server's API is used.
func TestProfilesEndToEnd(t *testing.T) {
	for _, tt := range []struct {
		profile string
		// use calls the server's API with the token and returns the
		// HTTP status.
		use       func(t *testing.T, issuer, token string) int
		wantBound func(s statusJSON) bool
		account   string
	}{
		{profile: "rfc8628",
			use:       func(t *testing.T, issuer, token string) int { return get(t, issuer+"/userinfo", token) },
			wantBound: func(s statusJSON) bool { return s.BoundDeviceID == "" }},
		{profile: "authelia",
			use:       func(t *testing.T, issuer, token string) int { return get(t, issuer+"/api/oidc/userinfo", token) },
			wantBound: func(s statusJSON) bool { return s.BoundDeviceID == "" }},
		{profile: "romm",
			use:       func(t *testing.T, issuer, token string) int { return get(t, issuer+"/api/users/me", token) },
			wantBound: func(s statusJSON) bool { return len(s.BoundDeviceID) == 36 }, // a UUID
			account:   "demo"},
		{profile: "dfc",
			use: func(t *testing.T, issuer, token string) int {
				body := `{"type":"E2E_TEST","message":"pairingd end-to-end test","severity":"INFO"}`
				req, _ := http.NewRequest(http.MethodPost, issuer+"/api/dfc/error", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				return do(t, req)
			},
			wantBound: func(s statusJSON) bool { return s.BoundDeviceID == "site1.example.com" }},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			t.Parallel()
			secrets := &secretRecorder{secrets: map[string]string{}}
			auth := startAuthServer(t, devauth.Options{Profile: tt.profile, Interval: time.Second}, secrets.wrap)
			dir := t.TempDir()
			d := startDaemon(t, dir, auth.issuer, "--profile", tt.profile, "--log-level", "debug")
			i, code := d.waitCode(0)
			decide(t, auth.issuer, code, "approve")
			d.waitLine(i, pairedRE)
			s, r := waitStatus(t, dir, "paired")
			if r.code != 0 || s.Profile != tt.profile || s.Server != auth.issuer {
				t.Errorf("status: exit %d, profile %q, server %q; want 0, %q, %q", r.code, s.Profile, s.Server, tt.profile, auth.issuer)
			}
			if !tt.wantBound(s) {
				t.Errorf("bound_device_id = %q, unexpected for %s", s.BoundDeviceID, tt.profile)
			}
			if tt.account != "" {
				// The check after pairing stores whom we are paired with.
				deadline := time.Now().Add(waitTimeout)
				for s.Account == "" && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
					s, _ = statusJSONOf(t, dir)
				}
				if s.Account != tt.account || s.Health != "ok" {
					t.Errorf("account %q health %q, want %q and ok", s.Account, s.Health, tt.account)
				}
			}
			tr := pairingd(t, "token", "--state-dir", dir)
			tok := strings.TrimSpace(tr.stdout)
			if tr.code != 0 || tok == "" {
				t.Fatalf("token: exit %d, stderr %s", tr.code, tr.stderr)
			}
			if got := tt.use(t, auth.issuer, tok); got/100 != 2 {
				t.Errorf("the %s API answered the token with HTTP %d, want 2xx", tt.profile, got)
			}
			if _, c := d.sigterm(time.Second); c != 0 {
				t.Errorf("exit %d after SIGTERM", c)
			}
			secrets.check(t, "pairingd's output", d.stdout.String()+d.stderr.String()+r.stdout)
		})
	}
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
