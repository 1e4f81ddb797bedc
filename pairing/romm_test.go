package pairing

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// rommServer is a RomM 5.2 whose users never act unless oauthtest.Reply.
func rommServer() *oauthtest.Server {
	srv := oauthtest.NewServer()
	srv.Defaults["GET /api/heartbeat"] = func(int, *http.Request, []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 200, Body: oauthtest.RomMHeartbeat5}
	}
	srv.Defaults["POST /api/auth/device/init"] = func(n int, _ *http.Request, _ []byte) oauthtest.Reply {
		code := fmt.Sprintf("K7RMQ2X%d", n+1)
		return oauthtest.Reply{Status: 201, Body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":%q,"verification_path":"/pair/device","verification_path_complete":"/pair/device?user_code=%s","expires_in":600,"interval":5}`,
			n+1, code, code)}
	}
	srv.Defaults["POST /api/auth/device/token"] = func(int, *http.Request, []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 400, Body: oauthtest.RomMDetail("authorization_pending")}
	}
	srv.Defaults["GET /api/users/me"] = func(int, *http.Request, []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 200, Body: oauthtest.RomMMe}
	}
	return srv
}

func newRomMHarness(t *testing.T, srv *oauthtest.Server) *profHarness {
	h := newProfHarness(t, oauth.RomM{Base: oauthtest.RomMBase}, oauthtest.RomMBase, srv, nil)
	return h
}

// Version 4 is refused with a message naming RomM 5, retried with backoff,
// and no code is asked for until the server is RomM 5.
func TestRomMPreflightLoop(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := rommServer()
		v4 := oauthtest.Reply{Status: 200, Body: `{"SYSTEM":{"VERSION":"4.3.1"}}`}
		srv.Script("GET /api/heartbeat", v4, v4, v4)
		h := newRomMHarness(t, srv)
		h.start()
		advance(time.Second)
		s := h.last()
		if !shows(s, Error) || !strings.Contains(s.Detail, "RomM 5") || !strings.Contains(s.Detail, "4.3.1") {
			t.Errorf("screen = %+v, want an error naming oauth.RomM 5 and the server's version", s)
		}
		if n := len(srv.Requests("POST /api/auth/device/init")); n != 0 {
			t.Errorf("%d codes asked of oauth.RomM 4", n)
		}
		advance(10*time.Second + 20*time.Second + 40*time.Second)
		h.stop()
		hb := srv.Requests("GET /api/heartbeat")
		if len(hb) != 4 {
			t.Fatalf("%d heartbeats, want 4 (3 refused, then oauth.RomM 5)", len(hb))
		}
		for i, want := range []time.Duration{10, 20, 40} {
			if got := hb[i+1].At - hb[i].Done; got != want*time.Second {
				t.Errorf("wait %d = %v, want %v", i, got, want*time.Second)
			}
		}
		init := srv.Requests("POST /api/auth/device/init")
		if len(init) != 1 || init[0].At < hb[3].Done {
			t.Errorf("init requests %d, want 1 after the fourth heartbeat", len(init))
		}
		if s := h.last(); !shows(s, AwaitingUser) || s.UserCode != "K7RM-Q2X1" {
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
		srv.Script("POST /api/auth/device/token",
			oauthtest.Reply{Status: 400, Body: oauthtest.RomMDetail("authorization_pending")},
			oauthtest.Reply{Status: 200, Body: `{"access_token":"rmm_secret-access-1","device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f","scopes":["me.read","roms.read"],"expires_at":null}`})
		srv.Script("GET /api/users/me", oauthtest.Reply{Status: 403, Body: oauthtest.RomMForbidden}, oauthtest.Reply{Status: 200, Body: oauthtest.RomMMe})
		h := newRomMHarness(t, srv)
		h.secrets = []string{"rmm_secret"}
		h.m.CheckEvery = 5 * time.Minute
		h.start()
		advance(time.Second)
		s := h.last()
		if !shows(s, AwaitingUser) || s.UserCode != "K7RM-Q2X1" || s.URI != oauthtest.RomMBase+"/pair/device" || s.QR != oauthtest.RomMBase+"/pair/device?user_code=K7RMQ2X1" {
			t.Errorf("screen = %+v, want code K7RM-Q2X1 with the URLs joined to the base", s)
		}
		advance(9 * time.Second) // pending at 5 s, approved at 10 s
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "rmm_secret-access-1" || rec.Tokens.RefreshToken != "" ||
			rec.BoundDeviceID != oauthtest.RomMDeviceID || !rec.Tokens.ExpiresAt.IsZero() {
			t.Fatalf("record after approval: state %v bound %q refresh set %v expires %v, want paired, bound to %s, no refresh token, no expiry",
				State(rec.State), rec.BoundDeviceID, rec.Tokens.RefreshToken != "", rec.Tokens.ExpiresAt, oauthtest.RomMDeviceID)
		}
		init := srv.Requests("POST /api/auth/device/init")
		if len(init) != 1 {
			t.Fatalf("%d init requests", len(init))
		}
		body := init[0].JSONBody()
		if body["client_device_identifier"] != "5b2f0d7e-device-uuid" || body["client"] != "pairingd" || init[0].CType != "application/json" {
			t.Errorf("init body %v type %q, want the device identifier and client pairingd as JSON", body, init[0].CType)
		}
		polls := srv.Requests("POST /api/auth/device/token")
		for _, p := range polls {
			if got := p.JSONBody(); len(got) != 1 || got["device_code"] != "secret-device-code-1" {
				t.Errorf("poll body %s, want {device_code}", p.Body)
			}
		}
		// The check at once meets a 403, the next one 2 s later succeeds.
		me := srv.Requests("GET /api/users/me")
		if len(me) != 1 {
			t.Errorf("%d checks right after pairing, want 1", len(me))
		}
		advance(2*time.Second + time.Millisecond)
		me = srv.Requests("GET /api/users/me")
		if len(me) != 2 || me[1].At-me[0].Done != 2*time.Second {
			t.Errorf("checks %d, want the 403 retried 2 s later", len(me))
		}
		for _, r := range me {
			if r.Auth != "Bearer rmm_secret-access-1" {
				t.Errorf("check sent Authorization %q", r.Auth)
			}
		}
		rec = h.record()
		if rec.Health != "ok" || rec.Account != "pete" || State(rec.State) != Paired {
			t.Errorf("after the checks: state %v health %q account %q, want paired, ok, pete", State(rec.State), rec.Health, rec.Account)
		}
		if n := len(srv.Requests("POST /api/auth/device/token")); n != 2 {
			t.Errorf("%d token requests, want 2: the one-shot answer is never polled again", n)
		}

		// Five minutes on, the token is revoked.
		srv.Script("GET /api/users/me", oauthtest.Reply{Status: 401, Body: oauthtest.RomMUnauth})
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
		for _, r := range srv.Requests("") {
			if strings.Contains(r.Path+r.Query, "secret") {
				t.Errorf("a secret in the URL %s?%s", r.Path, r.Query)
			}
		}
		if !h.sawDetail("no longer accepts") {
			t.Errorf("after oauth.RomM answered 401, no screen or status line said why the device pairs again")
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
		srv.Script("POST /api/auth/device/token", oauthtest.Reply{Status: 200,
			Header: http.Header{"Date": {now.Add(5 * time.Second).Format(http.TimeFormat)}},
			Body: fmt.Sprintf(`{"access_token":"rmm_secret-access-1","device_id":%q,"scopes":["me.read"],"expires_at":%q}`,
				oauthtest.RomMDeviceID, now.Add(5*time.Second+time.Hour).Format(time.RFC3339))})
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
		if n := len(srv.Requests("POST /api/auth/device/init")); n != 2 {
			t.Errorf("%d codes, want a second one before the token expired", n)
		}
		if n := len(srv.Requests("POST /api/auth/device/token")); n < 2 {
			t.Errorf("the new code was not polled")
		}
		for _, r := range srv.Requests("POST /api/auth/device/token") {
			if r.JSONBody()["device_code"] == nil {
				t.Errorf("a token request without device_code (a refresh?): %s", r.Body)
			}
		}
		if s := h.last(); !shows(s, AwaitingUser) {
			t.Errorf("screen %+v, want a new code", s)
		}
	})
}
