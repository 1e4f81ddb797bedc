package pairing

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// dfcServer is a Data Exporter API whose site owner never acts unless
// oauthtest.Reply. The exchange answers JWTs for the credential of secret, 401
// for any other.
func dfcServer(secret string) *oauthtest.Server {
	srv := oauthtest.NewServer()
	srv.Defaults["POST /api/v1/device/authorize"] = func(n int, _ *http.Request, _ []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 200, Body: fmt.Sprintf(
			`{"device_code":"secret-device-code-%d","user_code":"ABCD-234%d","verification_uri":"https://dfc.example/device-verify","verification_uri_complete":"https://dfc.example/device-verify?code=ABCD-234%d","expires_in":900,"interval":5}`,
			n+1, n+1, n+1)}
	}
	srv.Defaults["POST /api/v1/device/token"] = func(int, *http.Request, []byte) oauthtest.Reply {
		return oauthtest.Reply{Status: 400, Body: `{"error":"authorization_pending"}`}
	}
	srv.Defaults["POST /api/dfc/auth/token"] = func(n int, r *http.Request, _ []byte) oauthtest.Reply {
		if u, p, ok := r.BasicAuth(); !ok || u != "warehouse.example.com" || p != secret {
			return oauthtest.Reply{Status: 401, Body: oauthtest.DFCUnauthorized}
		}
		return oauthtest.Reply{Status: 200, Body: fmt.Sprintf(`{"token":"secret-access-jwt-%d","expiresIn":3600,"tokenType":"Bearer"}`, n+1)}
	}
	srv.Defaults["POST /api/dfc/error"] = func(int, *http.Request, []byte) oauthtest.Reply { return oauthtest.Reply{Status: 204} }
	return srv
}

func dfcCredential(secret string) oauthtest.Reply {
	return oauthtest.Reply{Status: 200, Body: fmt.Sprintf(`{"domain":"warehouse.example.com","client_secret":%q}`, secret)}
}

func newDFCHarness(t *testing.T, srv *oauthtest.Server) *profHarness {
	h := newProfHarness(t, oauth.DFC{Base: oauthtest.DFCBase}, oauthtest.DFCBase, srv, nil)
	h.secrets = []string{"cs_live", base64.StdEncoding.EncodeToString([]byte("warehouse.example.com:" + oauthtest.DFCSecret))}
	return h
}

// The credential is exchanged at once with one Basic request; the JWT is
// the access token, the secret is kept as the refresh token and the domain
// as the bound device; the JWT is exchanged again before it expires.
func TestDFCPairingExchange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(oauthtest.DFCSecret)
		srv.Script("POST /api/v1/device/token", oauthtest.Reply{Status: 400, Body: `{"error":"authorization_pending"}`}, dfcCredential(oauthtest.DFCSecret))
		h := newDFCHarness(t, srv)
		h.start()
		advance(10*time.Second + time.Millisecond)
		polls := srv.Requests("POST /api/v1/device/token")
		ex := srv.Requests("POST /api/dfc/auth/token")
		if len(polls) != 2 || len(ex) != 1 {
			t.Fatalf("%d polls and %d exchanges, want 2 and 1", len(polls), len(ex))
		}
		if ex[0].At != polls[1].Done {
			t.Errorf("exchange at %v, want at once when the credential arrived (%v)", ex[0].At, polls[1].Done)
		}
		wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("warehouse.example.com:"+oauthtest.DFCSecret))
		if ex[0].Auth != wantAuth || ex[0].Query != "" {
			t.Errorf("exchange Authorization %q, want Basic domain:client_secret", ex[0].Auth)
		}
		for _, p := range polls {
			want := map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "secret-device-code-1"}
			if got := p.JSONBody(); !reflect.DeepEqual(got, want) || p.Auth != "" {
				t.Errorf("poll body %s auth %q, want %v without auth", p.Body, p.Auth, want)
			}
		}
		if dev := srv.Requests("POST /api/v1/device/authorize"); len(dev) != 1 || dev[0].JSONBody()["device_name"] != "Pete muOS" {
			t.Errorf("authorize requests %+v, want one with the device name", dev)
		}
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "secret-access-jwt-1" || rec.Tokens.RefreshToken != oauthtest.DFCSecret ||
			rec.BoundDeviceID != "warehouse.example.com" {
			t.Fatalf("record: state %v access %v refresh kept %v bound %q, want paired with the JWT, the secret and the domain",
				State(rec.State), rec.Tokens.AccessToken != "", rec.Tokens.RefreshToken == oauthtest.DFCSecret, rec.BoundDeviceID)
		}
		if got := rec.Tokens.ExpiresAt.Sub(rec.Tokens.IssuedAt); got != time.Hour {
			t.Errorf("JWT lifetime %v, want 1h", got)
		}
		if s := h.last(); !shows(s, Paired) || !strings.Contains(s.Detail, "warehouse.example.com") {
			t.Errorf("screen %+v, want paired with the site", s)
		}

		// An hour's JWT is exchanged again 54 min on (10 % lead).
		advance(54*time.Minute - 2*time.Millisecond)
		if n := len(srv.Requests("POST /api/dfc/auth/token")); n != 1 {
			t.Errorf("%d exchanges before 54 min, want 1", n)
		}
		advance(2 * time.Millisecond)
		h.stop()
		ex = srv.Requests("POST /api/dfc/auth/token")
		if len(ex) != 2 || ex[1].At-ex[0].Done != 54*time.Minute || ex[1].Auth != wantAuth {
			t.Errorf("%d exchanges, want a second one 54 min after the first with the same credential", len(ex))
		}
		rec = h.record()
		if rec.Tokens.AccessToken != "secret-access-jwt-2" || rec.Tokens.RefreshToken != oauthtest.DFCSecret || rec.BoundDeviceID != "warehouse.example.com" {
			t.Errorf("after the second exchange: new JWT %v, secret kept %v, domain %q", rec.Tokens.AccessToken == "secret-access-jwt-2",
				rec.Tokens.RefreshToken == oauthtest.DFCSecret, rec.BoundDeviceID)
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
				srv := dfcServer(oauthtest.DFCSecret)
				srv.Script("POST /api/v1/device/token", dfcCredential(oauthtest.DFCSecret))
				refused := oauthtest.Reply{Status: tt.code, Body: fmt.Sprintf(`{"statusCode":%d,"message":"Unauthorized"}`, tt.code)}
				if tt.first {
					srv.Script("POST /api/dfc/auth/token", refused)
				} else {
					srv.Script("POST /api/dfc/auth/token", oauthtest.Reply{Status: 200, Body: `{"token":"secret-access-jwt-1","expiresIn":100,"tokenType":"Bearer"}`}, refused)
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
				if n := len(srv.Requests("POST /api/dfc/auth/token")); n != wantEx {
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
		srv := dfcServer(oauthtest.DFCSecret)
		srv.Script("POST /api/v1/device/token", dfcCredential(oauthtest.DFCSecret))
		h := newDFCHarness(t, srv)
		checks := 0
		h.m.check = func(ctx context.Context, access, bound string) (string, error) {
			if access == "" {
				return "", nil
			}
			checks++
			if checks == 1 {
				return "", fmt.Errorf("%w: HTTP 401", oauth.ErrGrantRejected)
			}
			return "", nil
		}
		h.start()
		advance(5*time.Second + minRefreshGap + time.Millisecond)
		h.stop()
		ex := srv.Requests("POST /api/dfc/auth/token")
		if len(ex) != 2 || ex[1].At-ex[0].At != minRefreshGap {
			t.Fatalf("%d exchanges, want 2, the second %v after the first", len(ex), minRefreshGap)
		}
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.AccessToken != "secret-access-jwt-2" || rec.Tokens.RefreshToken != oauthtest.DFCSecret {
			t.Errorf("state %v, new JWT %v, secret kept %v, want paired with the second JWT", State(rec.State),
				rec.Tokens.AccessToken == "secret-access-jwt-2", rec.Tokens.RefreshToken == oauthtest.DFCSecret)
		}
		if got := h.reports.types(); !reflect.DeepEqual(got, []string{"GRANT_REJECTED"}) {
			t.Errorf("reports %v, want GRANT_REJECTED", got)
		}
		if n := len(srv.Requests("POST /api/v1/device/authorize")); n != 1 {
			t.Errorf("%d codes, want 1: a credential to exchange is not a reason to pair again", n)
		}
	})
}

// Failures reach the Report hook: a denial is PAIRING_DENIED, a failed
// authorize PAIRING_FAILED; neither carries a secret.
func TestDFCReportsPairingFailures(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcServer(oauthtest.DFCSecret)
		srv.Script("POST /api/v1/device/token", oauthtest.Reply{Status: 400, Body: `{"error":"access_denied","error_description":"The site owner denied the request"}`})
		srv.Script("POST /api/v1/device/authorize",
			oauthtest.Reply{Status: 200, Body: `{"device_code":"secret-device-code-1","user_code":"ABCD-2341","verification_uri":"https://dfc.example/device-verify","expires_in":900,"interval":5}`},
			oauthtest.Reply{Status: 500, Body: `{"statusCode":500,"message":"Internal server error"}`})
		h := newDFCHarness(t, srv)
		h.m.DeniedCooldown = 30 * time.Second
		h.start()
		advance(5*time.Second + time.Millisecond) // denied
		if s := h.last(); !shows(s, Denied) {
			t.Errorf("screen %+v, want denied", s)
		}
		advance(30 * time.Second) // the authorize fails
		if s := h.last(); !shows(s, Error) {
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
		if s := h.last(); !shows(s, AwaitingUser) {
			t.Errorf("screen %+v, want a code after the backoff", s)
		}
	})
}

// dfcFailingExchange is a DFC server that pairs the device with a 100 s
// JWT, then answers the exchange before its expiry with a 502 (and with
// fresh JWTs after that).
func dfcFailingExchange() *oauthtest.Server {
	srv := dfcServer(oauthtest.DFCSecret)
	srv.Script("POST /api/v1/device/token", dfcCredential(oauthtest.DFCSecret))
	srv.Script("POST /api/dfc/auth/token",
		oauthtest.Reply{Status: 200, Body: `{"token":"secret-access-jwt-1","expiresIn":100,"tokenType":"Bearer"}`},
		oauthtest.Reply{Status: 502, Body: "<html>Bad Gateway</html>", Header: http.Header{"Content-Type": {"text/html"}}})
	return srv
}

// Reports while paired go out on the error endpoint with the JWT, sent by
// the Machine itself, and never carry the secret; a failed exchange keeps
// the credential.
func TestDFCReportDelivered(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcFailingExchange()
		h := newDFCHarness(t, srv)
		h.start()
		advance(5*time.Second + 90*time.Second + time.Millisecond) // the re-exchange fails
		rec := h.record()
		if State(rec.State) != Paired || rec.Tokens.RefreshToken != oauthtest.DFCSecret || rec.Tokens.AccessToken != "secret-access-jwt-1" {
			t.Errorf("after a 502 from the exchange: state %v, credential kept %v, want paired with everything kept", State(rec.State), rec.Tokens.RefreshToken == oauthtest.DFCSecret)
		}
		if s := h.last(); !strings.Contains(s.Detail, "Can't refresh") {
			t.Errorf("screen %+v, want it to say the exchange failed", s)
		}
		advance(11 * time.Second) // retried after 10 s
		h.stop()
		if n := len(srv.Requests("POST /api/dfc/auth/token")); n != 3 {
			t.Errorf("%d exchanges, want 3 (ok, 502, ok)", n)
		}
		if rec := h.record(); rec.Tokens.AccessToken != "secret-access-jwt-3" {
			t.Errorf("the retried exchange was not stored")
		}
		sent := srv.Requests("POST /api/dfc/error")
		if len(sent) != 1 {
			t.Fatalf("%d error reports sent, want 1 (REFRESH_FAILED)", len(sent))
		}
		if sent[0].Auth != "Bearer secret-access-jwt-1" {
			t.Errorf("report sent with Authorization %q, want the JWT", sent[0].Auth)
		}
		body := oauthtest.CheckDFCReport(t, sent[0].Body)
		if body["type"] != "REFRESH_FAILED" {
			t.Errorf("report body %v, want REFRESH_FAILED", body)
		}
		for _, s := range []string{"cs_live", "secret-"} {
			if strings.Contains(string(sent[0].Body), s) {
				t.Errorf("report body %s carries a secret (%q)", sent[0].Body, s)
			}
		}
	})
}

// A report the server refuses for the token (401) means the grant is
// rejected, as a failed check would: the credential is exchanged again at
// once (the refresh floor after the last exchange), not after the
// failed exchange's 10 s backoff, and the device stays paired.
func TestDFCReportRefusedExchangesAgain(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := dfcFailingExchange()
		srv.Script("POST /api/dfc/error", oauthtest.Reply{Status: 401, Body: oauthtest.DFCUnauthorized})
		h := newDFCHarness(t, srv)
		h.start()
		advance(5*time.Second + 90*time.Second + minRefreshGap + time.Second)
		h.stop()
		ex := srv.Requests("POST /api/dfc/auth/token")
		if len(ex) != 3 {
			t.Fatalf("%d exchanges, want 3 (ok, 502, and one at once after the refused report)", len(ex))
		}
		if gap := ex[2].At - ex[1].At; gap != minRefreshGap {
			t.Errorf("exchange after the refused report came %v after the failed one, want %v (the floor, not the 10 s backoff)", gap, minRefreshGap)
		}
		if sent := srv.Requests("POST /api/dfc/error"); len(sent) != 1 || sent[0].Auth != "Bearer secret-access-jwt-1" {
			t.Errorf("%d reports, want 1 with the first JWT", len(sent))
		}
		if rec := h.record(); State(rec.State) != Paired || rec.Tokens.AccessToken != "secret-access-jwt-3" {
			t.Errorf("state %v, want paired with the third JWT", State(rec.State))
		}
	})
}
