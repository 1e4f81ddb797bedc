package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

var autheliaEndpoints = Endpoints{
	Issuer:              oauthtest.AutheliaBase,
	DeviceAuthorization: oauthtest.AutheliaBase + "/api/oidc/device-authorization",
	Token:               oauthtest.AutheliaBase + "/api/oidc/token",
}

func TestAutheliaRequests(t *testing.T) {
	ctx := context.Background()
	c := ClientConfig{ClientID: "standcloud-device", Scope: "offline_access", Params: url.Values{"audience": {"https://app.example.com"}}}
	req, err := Authelia{}.DeviceAuthRequest(ctx, autheliaEndpoints, c)
	if err != nil {
		t.Fatal(err)
	}
	want := wireRequest{Method: "POST", URL: oauthtest.AutheliaBase + "/api/oidc/device-authorization", ContentType: formType, Accept: "application/json",
		Form: url.Values{"client_id": {"standcloud-device"}, "scope": {"offline_access"}, "audience": {"https://app.example.com"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("device authorization request = %+v, want %+v", got, want)
	}
	req, err = Authelia{}.TokenRequest(ctx, autheliaEndpoints, c, "authelia_dc_secret")
	if err != nil {
		t.Fatal(err)
	}
	want = wireRequest{Method: "POST", URL: oauthtest.AutheliaBase + "/api/oidc/token", ContentType: formType, Accept: "application/json",
		Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"authelia_dc_secret"}, "client_id": {"standcloud-device"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("token request = %+v, want %+v", got, want)
	}
	if strings.Contains(req.URL.String(), "secret") {
		t.Errorf("token request URL %s carries the device code", req.URL)
	}
	req, err = Authelia{}.RefreshRequest(ctx, autheliaEndpoints, c, Grant{RefreshToken: "authelia_rt_secret"})
	if err != nil {
		t.Fatal(err)
	}
	want = wireRequest{Method: "POST", URL: oauthtest.AutheliaBase + "/api/oidc/token", ContentType: formType, Accept: "application/json",
		Form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"authelia_rt_secret"}, "client_id": {"standcloud-device"}}}
	if got := readWireRequest(t, req); !reflect.DeepEqual(got, want) {
		t.Errorf("refresh request = %+v, want %+v", got, want)
	}
}

func TestAutheliaParseDeviceAuth(t *testing.T) {
	da, err := Authelia{}.ParseDeviceAuth(wireResponse(200, oauthtest.JSONType, oauthtest.AutheliaDeviceAuthBody, "Cache-Control", "no-store"))
	want := DeviceAuth{DeviceCode: "authelia_dc_secret", UserCode: "BCDFGHJK",
		VerificationURI:         "https://auth.example.com/consent/openid/device-authorization",
		VerificationURIComplete: "https://auth.example.com/consent/openid/device-authorization?user_code=BCDFGHJK",
		Interval:                10 * time.Second, ExpiresIn: 599 * time.Second}
	if err != nil || !reflect.DeepEqual(da, want) {
		t.Errorf("ParseDeviceAuth = %+v, %v, want %+v", da, err, want)
	}
}

func TestAutheliaParseToken(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Response
		// is is a sentinel the error must match; nil for success.
		is        error
		transient bool
		want      Token
		check     func(t *testing.T, err error)
	}{
		{name: "lowercase bearer", in: wireResponse(200, oauthtest.JSONType, oauthtest.AutheliaTokenBody),
			want: Token{AccessToken: "authelia_at_secret", RefreshToken: "authelia_rt_secret", TokenType: "bearer",
				Scope: "offline_access", ExpiresIn: 3599 * time.Second}},
		{name: "pending", in: wireResponse(400, oauthtest.JSONType, oauthtest.AutheliaPendingBody), is: ErrAuthorizationPending},
		{name: "500 server_error is a dead code", in: wireResponse(500, oauthtest.JSONType, oauthtest.AutheliaServerError), is: ErrAccessDenied,
			check: func(t *testing.T, err error) {
				var oe *OAuthError
				if !errors.As(err, &oe) || oe.HTTPStatus != 500 || !strings.Contains(oe.Description, "denied or cancelled") {
					t.Errorf("err = %#v, want access_denied from HTTP 500 saying denied or cancelled", oe)
				}
			}},
		{name: "500 bare server_error", in: wireResponse(500, "application/json", `{"error":"server_error"}`), is: ErrAccessDenied},
		{name: "plain 500 stays transient", in: wireResponse(500, oauthtest.HTMLType, "<html><body>Internal Server Error</body></html>"), transient: true},
		{name: "empty 502 stays transient", in: wireResponse(502, "", ""), transient: true},
		{name: "503 temporarily_unavailable stays transient", in: wireResponse(503, oauthtest.JSONType, oauthtest.AutheliaRateLimited), transient: true},
		{name: "429 with Retry-After", in: wireResponse(429, oauthtest.JSONType, oauthtest.AutheliaRateLimited, "Retry-After", "60"), is: ErrSlowDown,
			check: func(t *testing.T, err error) {
				var oe *OAuthError
				if !errors.As(err, &oe) || oe.RetryAfter != time.Minute {
					t.Errorf("err = %#v, want RetryAfter 1m", oe)
				}
			}},
		{name: "403 access_denied (library reading)", in: wireResponse(403, oauthtest.JSONType, oauthtest.AutheliaAccessDenied), is: ErrAccessDenied},
		{name: "unknown token type", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"authelia_at_secret","token_type":"mac"}`), is: ErrBadToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Authelia{}.ParseToken(tt.in)
			if tt.is == nil && !tt.transient {
				if err != nil || !reflect.DeepEqual(tok, tt.want) {
					t.Errorf("ParseToken = %+v, %v, want %+v", tok, err, tt.want)
				}
				return
			}
			var te *TransientError
			if got := errors.As(err, &te); got != tt.transient {
				t.Errorf("err = %v: transient %v, want %v", err, got, tt.transient)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to match %v", err, tt.is)
			}
			if tt.transient && errors.Is(err, ErrAccessDenied) {
				t.Errorf("err = %v: a plain 5xx must not end the flow", err)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

// Through the client, a dead code's 500 never quotes the device code.
func TestAutheliaClientDeadCode(t *testing.T) {
	srv := oauthtest.NewServer()
	srv.Script("POST /api/oidc/token", oauthtest.Reply{Status: 500, Body: `{"error":"server_error","error_description":"code secret-device-code-1 is unknown"}`})
	c := &Client{HTTP: &http.Client{Transport: srv}, Profile: Authelia{}, Endpoints: autheliaEndpoints, Config: ClientConfig{ClientID: "standcloud-device"}}
	_, err := c.PollToken(context.Background(), "secret-device-code-1")
	if !errors.Is(err, ErrAccessDenied) {
		t.Errorf("err = %v, want access_denied", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret-device-code") {
		t.Errorf("err %q quotes the device code", err)
	}
}
