package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

var wireTestEndpoints = Endpoints{
	Issuer:              "https://as.example",
	DeviceAuthorization: "https://as.example/device",
	Token:               "https://as.example/token",
	Revocation:          "https://as.example/revoke",
}

// wireRequest is what a test sees of a built request.
type wireRequest struct {
	Method, URL, ContentType, Accept, Authorization string
	Form                                            url.Values
}

func readWireRequest(t *testing.T, req *http.Request) wireRequest {
	t.Helper()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return wireRequest{
		Method:        req.Method,
		URL:           req.URL.String(),
		ContentType:   req.Header.Get("Content-Type"),
		Accept:        req.Header.Get("Accept"),
		Authorization: req.Header.Get("Authorization"),
		Form:          form,
	}
}

const formType = "application/x-www-form-urlencoded"

// The request shape, exactly, and client auth in one request.
func TestRFC8628Requests(t *testing.T) {
	ctx := context.Background()
	public := ClientConfig{ClientID: "dev-1"}
	// "a b:c" must be form-encoded before Basic (RFC 6749 §2.3.1).
	basic := ClientConfig{ClientID: "a b:c", ClientSecret: "s&e:c", Scope: "openid"}
	post := ClientConfig{ClientID: "dev-1", ClientSecret: "sec", AuthMethod: AuthPost}
	const basicAuth = "Basic YStiJTNBYzpzJTI2ZSUzQWM=" // base64("a+b%3Ac:s%26e%3Ac")
	for _, tt := range []struct {
		name  string
		build func() (*http.Request, error)
		want  wireRequest
	}{
		{
			name:  "device auth public, no scope",
			build: func() (*http.Request, error) { return RFC8628{}.DeviceAuthRequest(ctx, wireTestEndpoints, public) },
			want: wireRequest{Method: "POST", URL: "https://as.example/device", ContentType: formType, Accept: "application/json",
				Form: url.Values{"client_id": {"dev-1"}}},
		},
		{
			name: "device auth scope and params",
			build: func() (*http.Request, error) {
				c := ClientConfig{ClientID: "dev-1", Scope: "openid offline_access", Params: url.Values{
					"audience": {"api"}, "client_id": {"evil"}, "scope": {"admin"}, "client_secret": {"x"}, "resource": {"r1", "r2"},
				}}
				return RFC8628{}.DeviceAuthRequest(ctx, wireTestEndpoints, c)
			},
			want: wireRequest{Method: "POST", URL: "https://as.example/device", ContentType: formType, Accept: "application/json",
				Form: url.Values{"client_id": {"dev-1"}, "scope": {"openid offline_access"}, "audience": {"api"}, "resource": {"r1", "r2"}}},
		},
		{
			name:  "device auth basic",
			build: func() (*http.Request, error) { return RFC8628{}.DeviceAuthRequest(ctx, wireTestEndpoints, basic) },
			want: wireRequest{Method: "POST", URL: "https://as.example/device", ContentType: formType, Accept: "application/json",
				Authorization: basicAuth, Form: url.Values{"client_id": {"a b:c"}, "scope": {"openid"}}},
		},
		{
			name:  "token public",
			build: func() (*http.Request, error) { return RFC8628{}.TokenRequest(ctx, wireTestEndpoints, public, "DC-1") },
			want: wireRequest{Method: "POST", URL: "https://as.example/token", ContentType: formType, Accept: "application/json",
				Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"DC-1"}, "client_id": {"dev-1"}}},
		},
		{
			name:  "token basic, scope not sent",
			build: func() (*http.Request, error) { return RFC8628{}.TokenRequest(ctx, wireTestEndpoints, basic, "DC-1") },
			want: wireRequest{Method: "POST", URL: "https://as.example/token", ContentType: formType, Accept: "application/json",
				Authorization: basicAuth,
				Form:          url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"DC-1"}, "client_id": {"a b:c"}}},
		},
		{
			name:  "token post",
			build: func() (*http.Request, error) { return RFC8628{}.TokenRequest(ctx, wireTestEndpoints, post, "DC-1") },
			want: wireRequest{Method: "POST", URL: "https://as.example/token", ContentType: formType, Accept: "application/json",
				Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"DC-1"},
					"client_id": {"dev-1"}, "client_secret": {"sec"}}},
		},
		{
			name: "refresh basic",
			build: func() (*http.Request, error) {
				return RFC8628{}.RefreshRequest(ctx, wireTestEndpoints, basic, Grant{RefreshToken: "RT-1"})
			},
			want: wireRequest{Method: "POST", URL: "https://as.example/token", ContentType: formType, Accept: "application/json",
				Authorization: basicAuth,
				Form:          url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"RT-1"}, "client_id": {"a b:c"}}},
		},
		{
			name: "revoke public with hint",
			build: func() (*http.Request, error) {
				return RFC8628{}.RevokeRequest(ctx, wireTestEndpoints, public, "RT-1", "refresh_token")
			},
			want: wireRequest{Method: "POST", URL: "https://as.example/revoke", ContentType: formType, Accept: "application/json",
				Form: url.Values{"token": {"RT-1"}, "token_type_hint": {"refresh_token"}, "client_id": {"dev-1"}}},
		},
		{
			name: "revoke post without hint",
			build: func() (*http.Request, error) {
				return RFC8628{}.RevokeRequest(ctx, wireTestEndpoints, post, "AT-1", "")
			},
			want: wireRequest{Method: "POST", URL: "https://as.example/revoke", ContentType: formType, Accept: "application/json",
				Form: url.Values{"token": {"AT-1"}, "client_id": {"dev-1"}, "client_secret": {"sec"}}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			if got := readWireRequest(t, req); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRFC8628RequestErrors(t *testing.T) {
	ctx := context.Background()
	c := ClientConfig{ClientID: "dev-1"}
	if req, err := (RFC8628{}).RevokeRequest(ctx, Endpoints{}, c, "AT", ""); req != nil || err != nil {
		t.Errorf("RevokeRequest without endpoint = %v, %v, want nil, nil", req, err)
	}
	for _, tt := range []struct {
		name  string
		build func() (*http.Request, error)
		want  string
	}{
		{"plain http", func() (*http.Request, error) {
			return RFC8628{}.TokenRequest(ctx, Endpoints{Token: "http://as.example/token"}, c, "DC")
		}, "plain http is allowed only for loopback"},
		{"no endpoint", func() (*http.Request, error) {
			return RFC8628{}.DeviceAuthRequest(ctx, Endpoints{}, c)
		}, "no device authorization endpoint"},
		{"no client id", func() (*http.Request, error) {
			return RFC8628{}.DeviceAuthRequest(ctx, wireTestEndpoints, ClientConfig{})
		}, "no client_id"},
		{"bad auth method", func() (*http.Request, error) {
			return RFC8628{}.RefreshRequest(ctx, wireTestEndpoints, ClientConfig{ClientID: "x", ClientSecret: "y", AuthMethod: "private_key_jwt"}, Grant{RefreshToken: "RT"})
		}, "unknown client auth method"},
		{"empty device code", func() (*http.Request, error) {
			return RFC8628{}.TokenRequest(ctx, wireTestEndpoints, c, "")
		}, "empty device code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.build()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := (RFC8628{}).TokenRequest(ctx, Endpoints{Token: "http://127.0.0.1:8080/token"}, c, "DC"); err != nil {
		t.Errorf("http to loopback refused: %v", err)
	}
}

func wireResponse(status int, ctype, body string, hdr ...string) Response {
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return Response{Status: status, Header: h, Body: []byte(body)}
}

// A device authorization response in the shapes servers send: JSON or
// form, Google's verification_url, numbers as strings, a missing, zero or
// negative interval (5 s), huge values (clamped), and a hostile
// verification_uri_complete (dropped, with a warning).
func TestParseDeviceAuth(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Response
		want DeviceAuth
	}{
		{
			name: "full",
			in: wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"WDJB-MJHT","verification_uri":"https://as.example/device",
				"verification_uri_complete":"https://as.example/device?user_code=WDJB-MJHT","expires_in":1800,"interval":5}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "WDJB-MJHT", VerificationURI: "https://as.example/device",
				VerificationURIComplete: "https://as.example/device?user_code=WDJB-MJHT", Interval: 5 * time.Second, ExpiresIn: 1800 * time.Second},
		},
		{
			name: "google verification_url, no complete",
			in:   wireResponse(200, "application/json", `{"device_code":"DC","user_code":"ABC","verification_url":"https://www.google.com/device","expires_in":1800,"interval":5}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "ABC", VerificationURI: "https://www.google.com/device", Interval: 5 * time.Second, ExpiresIn: 1800 * time.Second},
		},
		{
			name: "interval missing",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":600}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 600 * time.Second},
		},
		{
			name: "interval zero",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":600,"interval":0}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 600 * time.Second},
		},
		{
			name: "interval negative",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":600,"interval":-3}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 600 * time.Second,
				Warnings: []string{`interval "-3" is negative; using 5s`}},
		},
		{
			name: "interval huge, expires_in huge",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":1e300,"interval":9223372036854775807}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 60 * time.Second, ExpiresIn: time.Hour,
				Warnings: []string{"interval 9223372036854775807s clamped to 1m0s", "expires_in 1e300s clamped to 1h0m0s"}},
		},
		{
			name: "numbers as strings",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":"900","interval":"7"}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 7 * time.Second, ExpiresIn: 900 * time.Second},
		},
		{
			name: "fractional interval rounds up",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":900.9,"interval":2.5}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 3 * time.Second, ExpiresIn: 900 * time.Second},
		},
		{
			name: "form encoded (GitHub without Accept)",
			in: wireResponse(200, formType,
				"device_code=DC&expires_in=899&interval=5&user_code=ABCD-1234&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice"),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "ABCD-1234", VerificationURI: "https://github.com/login/device", Interval: 5 * time.Second, ExpiresIn: 899 * time.Second},
		},
		{
			name: "form labelled text/plain",
			in:   wireResponse(200, "text/plain", "device_code=DC&expires_in=899&user_code=U&verification_uri=https%3A%2F%2Fa.example%2Fd"),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 899 * time.Second},
		},
		{
			name: "JSON without content type",
			in:   wireResponse(200, "", `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","expires_in":60}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 60 * time.Second},
		},
		{
			name: "hostile complete URI dropped",
			in:   wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d","verification_uri_complete":"javascript:alert(1)","expires_in":60}`),
			want: DeviceAuth{DeviceCode: "DC", UserCode: "U", VerificationURI: "https://a.example/d", Interval: 5 * time.Second, ExpiresIn: 60 * time.Second,
				Warnings: []string{`verification_uri_complete ignored: "javascript:alert(1)" is not an absolute http or https URL`}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RFC8628{}.ParseDeviceAuth(tt.in)
			if err != nil {
				t.Fatalf("ParseDeviceAuth(%q) error: %v", tt.in.Body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDeviceAuth(%q) = %+v, want %+v", tt.in.Body, got, tt.want)
			}
		})
	}
}

// Device authorization responses that are refused: a missing or unusable
// field or expiry, a server without the device flow (404 and friends), and
// errors that are transient.
func TestParseDeviceAuthErrors(t *testing.T) {
	const ok = `"device_code":"DC","user_code":"U","verification_uri":"https://a.example/d"`
	for _, tt := range []struct {
		name        string
		in          Response
		is          error  // errors.Is target, if any
		unsupported bool   // errors.Is ErrUnsupported
		oauthCode   string // errors.As *OAuthError with this code
		transient   bool   // errors.As *TransientError
		retryAfter  time.Duration
		contains    string
	}{
		{name: "expires_in missing", in: wireResponse(200, oauthtest.JSONType, `{`+ok+`}`), is: ErrMissingExpiresIn},
		{name: "expires_in zero", in: wireResponse(200, oauthtest.JSONType, `{`+ok+`,"expires_in":0}`), is: ErrMissingExpiresIn, contains: `"0"`},
		{name: "expires_in negative string", in: wireResponse(200, oauthtest.JSONType, `{`+ok+`,"expires_in":"-5"}`), is: ErrMissingExpiresIn},
		{name: "expires_in garbage", in: wireResponse(200, oauthtest.JSONType, `{`+ok+`,"expires_in":"soon"}`), is: ErrMissingExpiresIn},
		{name: "expires_in null", in: wireResponse(200, oauthtest.JSONType, `{`+ok+`,"expires_in":null}`), is: ErrMissingExpiresIn},
		{name: "no device_code", in: wireResponse(200, oauthtest.JSONType, `{"user_code":"U","verification_uri":"https://a.example/d","expires_in":5}`), contains: "device_code"},
		{name: "no user_code", in: wireResponse(200, oauthtest.JSONType, `{"device_code":"D","verification_uri":"https://a.example/d","expires_in":5}`), contains: "user_code"},
		{name: "no verification_uri", in: wireResponse(200, oauthtest.JSONType, `{"device_code":"D","user_code":"U","expires_in":5}`), contains: "verification_uri"},
		{name: "verification_uri not http", in: wireResponse(200, oauthtest.JSONType, `{"device_code":"D","user_code":"U","verification_uri":"file:///etc/passwd","expires_in":5}`), contains: "verification_uri"},
		{name: "user_code with escape", in: wireResponse(200, oauthtest.JSONType, `{"device_code":"D","user_code":"AB\u001b[2JCD","verification_uri":"https://a.example/d","expires_in":5}`), contains: "user_code"},
		{name: "404 empty", in: wireResponse(404, "text/html", "<h1>Not Found</h1>"), unsupported: true},
		{name: "404 with OAuth body", in: wireResponse(404, oauthtest.JSONType, `{"error":"not_found"}`), unsupported: true, oauthCode: "not_found"},
		{name: "400 unauthorized_client", in: wireResponse(400, oauthtest.JSONType, `{"error":"unauthorized_client","error_description":"no device grant"}`),
			unsupported: true, oauthCode: CodeUnauthorizedClient, contains: "no device grant"},
		{name: "401 invalid_client", in: wireResponse(401, oauthtest.JSONType, `{"error":"invalid_client"}`), unsupported: true, oauthCode: CodeInvalidClient},
		{name: "400 device_flow_disabled form", in: wireResponse(400, formType, "error=device_flow_disabled"), unsupported: true, oauthCode: CodeDeviceFlowDisabled},
		{name: "400 invalid_scope", in: wireResponse(400, oauthtest.JSONType, `{"error":"invalid_scope"}`), oauthCode: "invalid_scope"},
		{name: "200 with error", in: wireResponse(200, oauthtest.JSONType, `{"error":"invalid_request"}`), oauthCode: "invalid_request"},
		{name: "429", in: wireResponse(429, "", "", "Retry-After", "30"), transient: true, retryAfter: 30 * time.Second},
		{name: "429 with slow_down body", in: wireResponse(429, oauthtest.JSONType, `{"error":"slow_down"}`, "Retry-After", "7"), transient: true, oauthCode: CodeSlowDown, retryAfter: 7 * time.Second},
		{name: "503 temporarily_unavailable", in: wireResponse(503, oauthtest.JSONType, `{"error":"temporarily_unavailable"}`), transient: true, oauthCode: CodeTemporarilyUnavail},
		{name: "502 HTML", in: wireResponse(502, "text/html", "<html>Bad Gateway</html>"), transient: true, contains: "HTTP 502"},
		{name: "500 empty", in: wireResponse(500, "", ""), transient: true},
		{name: "200 HTML (portal)", in: wireResponse(200, "text/html", "<html>login</html>"), transient: true},
		{name: "200 truncated JSON", in: wireResponse(200, oauthtest.JSONType, `{"device_code":"DC","user_`), transient: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RFC8628{}.ParseDeviceAuth(tt.in)
			if err == nil {
				t.Fatalf("ParseDeviceAuth(%q) = nil error", tt.in.Body)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("ParseDeviceAuth(%q) = %v, want errors.Is %v", tt.in.Body, err, tt.is)
			}
			if got := errors.Is(err, ErrUnsupported); got != tt.unsupported {
				t.Errorf("ParseDeviceAuth(%q) = %v: errors.Is(ErrUnsupported) = %v, want %v", tt.in.Body, err, got, tt.unsupported)
			}
			var oe *OAuthError
			if got := errors.As(err, &oe); got != (tt.oauthCode != "") || (got && oe.Code != tt.oauthCode) {
				t.Errorf("ParseDeviceAuth(%q) = %#v, want OAuthError code %q", tt.in.Body, err, tt.oauthCode)
			}
			var te *TransientError
			if got := errors.As(err, &te); got != tt.transient {
				t.Errorf("ParseDeviceAuth(%q) = %v: transient = %v, want %v", tt.in.Body, err, got, tt.transient)
			} else if got && te.RetryAfter != tt.retryAfter {
				t.Errorf("ParseDeviceAuth(%q): RetryAfter = %v, want %v", tt.in.Body, te.RetryAfter, tt.retryAfter)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("ParseDeviceAuth(%q) = %q, want it to contain %q", tt.in.Body, err, tt.contains)
			}
		})
	}
}

// How one token response is classified: success, pending, slow_down (also
// as a 429), refusals, transient failures, a lost 200 body and a success
// without a Bearer token.
func TestParseToken(t *testing.T) {
	date := "Tue, 25 Nov 2025 07:00:00 GMT"
	for _, tt := range []struct {
		name      string
		in        Response
		want      Token
		is        error // errors.Is target; nil means success
		oauth     *OAuthError
		transient bool
	}{
		{name: "success", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"Bearer","expires_in":3600,"refresh_token":"RT","scope":"openid"}`),
			want: Token{AccessToken: "AT", RefreshToken: "RT", TokenType: "Bearer", Scope: "openid", ExpiresIn: time.Hour}},
		{name: "lowercase bearer, string expires_in", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"bearer","expires_in":"60"}`),
			want: Token{AccessToken: "AT", TokenType: "bearer", ExpiresIn: time.Minute}},
		{name: "no expires_in", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"BEARER"}`),
			want: Token{AccessToken: "AT", TokenType: "BEARER"}},
		{name: "negative expires_in", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"Bearer","expires_in":-1}`),
			want: Token{AccessToken: "AT", TokenType: "Bearer"}},
		{name: "huge expires_in clamped to int32", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"Bearer","expires_in":99999999999999}`),
			want: Token{AccessToken: "AT", TokenType: "Bearer", ExpiresIn: 2147483647 * time.Second}},
		{name: "form (GitHub)", in: wireResponse(200, formType, "access_token=gho_AT&scope=repo&token_type=bearer"),
			want: Token{AccessToken: "gho_AT", TokenType: "bearer", Scope: "repo"}},

		{name: "pending 400 JSON", in: wireResponse(400, oauthtest.JSONType, `{"error":"authorization_pending"}`), is: ErrAuthorizationPending,
			oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 400}},
		{name: "pending 400 form", in: wireResponse(400, formType, "error=authorization_pending&error_description=wait"), is: ErrAuthorizationPending,
			oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 400, Description: "wait"}},
		{name: "pending 200 JSON (GitHub)", in: wireResponse(200, oauthtest.JSONType, `{"error":"authorization_pending","error_description":"The authorization request is still pending.","error_uri":"https://docs.github.com/"}`),
			is: ErrAuthorizationPending, oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 200,
				Description: "The authorization request is still pending.", URI: "https://docs.github.com/"}},
		{name: "pending 200 form (GitHub)", in: wireResponse(200, formType, "error=authorization_pending"), is: ErrAuthorizationPending,
			oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 200}},
		{name: "pending 428", in: wireResponse(428, oauthtest.JSONType, `{"error":"authorization_pending"}`), is: ErrAuthorizationPending,
			oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 428}},
		{name: "pending 403", in: wireResponse(403, oauthtest.JSONType, `{"error":"authorization_pending"}`), is: ErrAuthorizationPending,
			oauth: &OAuthError{Code: CodeAuthorizationPending, HTTPStatus: 403}},

		{name: "slow_down without interval", in: wireResponse(400, oauthtest.JSONType, `{"error":"slow_down"}`), is: ErrSlowDown,
			oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 400}},
		{name: "slow_down with interval (GitHub)", in: wireResponse(200, oauthtest.JSONType, `{"error":"slow_down","interval":10}`), is: ErrSlowDown,
			oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 200, Interval: 10 * time.Second}},
		{name: "slow_down with string interval, form", in: wireResponse(200, formType, "error=slow_down&interval=15"), is: ErrSlowDown,
			oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 200, Interval: 15 * time.Second}},

		{name: "429 bare", in: wireResponse(429, "", ""), is: ErrSlowDown, oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 429}},
		{name: "429 Retry-After seconds", in: wireResponse(429, "text/plain", "Too Many Requests", "Retry-After", "20"), is: ErrSlowDown,
			oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 429, RetryAfter: 20 * time.Second}},
		{name: "429 Retry-After HTTP-date against Date", in: wireResponse(429, "", "", "Date", date, "Retry-After", "Tue, 25 Nov 2025 07:01:30 GMT"),
			is: ErrSlowDown, oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 429, RetryAfter: 90 * time.Second}},
		{name: "429 with OAuth body", in: wireResponse(429, oauthtest.JSONType, `{"error":"slow_down","interval":12,"error_description":"easy"}`), is: ErrSlowDown,
			oauth: &OAuthError{Code: CodeSlowDown, HTTPStatus: 429, Interval: 12 * time.Second, Description: "easy"}},

		{name: "access_denied", in: wireResponse(400, oauthtest.JSONType, `{"error":"access_denied"}`), is: ErrAccessDenied,
			oauth: &OAuthError{Code: CodeAccessDenied, HTTPStatus: 400}},
		{name: "expired_token", in: wireResponse(400, oauthtest.JSONType, `{"error":"expired_token"}`), is: ErrExpiredToken,
			oauth: &OAuthError{Code: CodeExpiredToken, HTTPStatus: 400}},
		{name: "description sanitised", in: wireResponse(400, oauthtest.JSONType, `{"error":"invalid_grant","error_description":"bad\u001b[2J\ncode\u202e"}`), is: ErrInvalidGrant,
			oauth: &OAuthError{Code: CodeInvalidGrant, HTTPStatus: 400, Description: "bad[2J code"}},

		{name: "502 HTML", in: wireResponse(502, "text/html", "<html><body>Bad Gateway</body></html>"), transient: true},
		{name: "503 empty with Retry-After", in: wireResponse(503, "", "", "Retry-After", "5"), transient: true},
		{name: "500 server_error body", in: wireResponse(500, oauthtest.JSONType, `{"error":"server_error"}`), transient: true,
			oauth: &OAuthError{Code: CodeServerError, HTTPStatus: 500}},
		{name: "403 HTML from a proxy", in: wireResponse(403, "text/html", "<html>blocked</html>"), transient: true},
		{name: "400 JSON without error", in: wireResponse(400, oauthtest.JSONType, `{"message":"nope"}`), transient: true},

		{name: "200 truncated JSON", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","tok`), is: ErrConsumed},
		{name: "200 garbled", in: wireResponse(200, oauthtest.JSONType, "\x00\x01garbage"), is: ErrConsumed},
		{name: "200 empty", in: wireResponse(200, oauthtest.JSONType, ""), is: ErrConsumed},
		{name: "200 HTML", in: wireResponse(200, "text/html", "<html>hi</html>"), is: ErrConsumed},
		{name: "200 JSON array", in: wireResponse(200, oauthtest.JSONType, `[1,2]`), is: ErrConsumed},

		{name: "token_type mac", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"mac"}`), is: ErrBadToken,
			want: Token{TokenType: "mac"}},
		{name: "token_type missing", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"AT"}`), is: ErrBadToken},
		{name: "empty access_token", in: wireResponse(200, oauthtest.JSONType, `{"access_token":"","token_type":"Bearer"}`), is: ErrBadToken,
			want: Token{TokenType: "Bearer"}},
		{name: "no access_token", in: wireResponse(200, oauthtest.JSONType, `{"token_type":"Bearer"}`), is: ErrBadToken,
			want: Token{TokenType: "Bearer"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RFC8628{}.ParseToken(tt.in)
			if tt.is == nil && !tt.transient {
				if err != nil {
					t.Fatalf("ParseToken(%q) error: %v", tt.in.Body, err)
				}
				if got != tt.want {
					t.Errorf("ParseToken(%q) = %+v, want %+v", tt.in.Body, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseToken(%q) = %+v, nil; want an error", tt.in.Body, got)
			}
			if got != tt.want {
				t.Errorf("ParseToken(%q) = %+v with error %v, want %+v", tt.in.Body, got, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("ParseToken(%q) = %v, want errors.Is %v", tt.in.Body, err, tt.is)
			}
			var te *TransientError
			if errors.As(err, &te) != tt.transient {
				t.Errorf("ParseToken(%q) = %v, want transient %v", tt.in.Body, err, tt.transient)
			}
			if tt.oauth != nil {
				var oe *OAuthError
				if !errors.As(err, &oe) {
					t.Fatalf("ParseToken(%q) = %v, want an *OAuthError", tt.in.Body, err)
				}
				if *oe != *tt.oauth {
					t.Errorf("ParseToken(%q) = %+v, want %+v", tt.in.Body, *oe, *tt.oauth)
				}
			}
		})
	}
}

// A pending answer must not look like anything the loop stops on.
func TestParseTokenPendingIsOnlyPending(t *testing.T) {
	_, err := RFC8628{}.ParseToken(wireResponse(200, oauthtest.JSONType, `{"error":"authorization_pending"}`))
	for _, other := range []error{ErrSlowDown, ErrConsumed, ErrBadToken, ErrAccessDenied} {
		if errors.Is(err, other) {
			t.Errorf("pending error %v matches %v", err, other)
		}
	}
	var te *TransientError
	if errors.As(err, &te) {
		t.Errorf("pending error %v is transient", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"99999999999999999999999", time.Hour, true},
		{"7200", time.Hour, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"Tue, 25 Nov 2025 07:00:30 GMT", 30 * time.Second, true},
		{"Tuesday, 25-Nov-25 07:01:00 GMT", time.Minute, true},
		{"Tue, 25 Nov 2025 06:00:00 GMT", 0, true},
		{"Wed, 26 Nov 2025 07:00:00 GMT", time.Hour, true},
	} {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseRevocation(t *testing.T) {
	for _, tt := range []struct {
		name      string
		in        Response
		wantErr   bool
		transient bool
	}{
		{"200 empty", wireResponse(200, "", ""), false, false},
		{"200 any body", wireResponse(200, "text/html", "<p>ok</p>"), false, false},
		{"400 unsupported_token_type", wireResponse(400, oauthtest.JSONType, `{"error":"unsupported_token_type"}`), true, false},
		{"503 Retry-After", wireResponse(503, "", "", "Retry-After", "3"), true, true},
		{"429", wireResponse(429, oauthtest.JSONType, `{"error":"slow_down"}`), true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := parseRevocation(tt.in)
			var te *TransientError
			if (err != nil) != tt.wantErr || errors.As(err, &te) != tt.transient {
				t.Errorf("parseRevocation(%d %q) = %v, want error %v, transient %v", tt.in.Status, tt.in.Body, err, tt.wantErr, tt.transient)
			}
		})
	}
}
