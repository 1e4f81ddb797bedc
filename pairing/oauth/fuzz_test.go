package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// The fuzz targets feed every parser of server input with what a broken or
// hostile server could send. Their seeds are in testdata/fuzz: the
// answers of the real servers the other tests carry, and hostile ones.
//
// In a body, the text $ECHO becomes plantedSecret before parsing, so that
// the fuzzer can put one value into both a secret field (device_code,
// refresh_token) and a field that errors quote (user_code, token_type,
// error_description): no error may then contain it.

const plantedSecret = "SECRET-xyz-planted"

// fuzzProfiles are the profiles a fuzz input's first byte picks from.
var fuzzProfiles = []Profile{RFC8628{}, Authelia{}, RomM{Base: "https://romm.example"}, DFC{Base: "https://dfc.example"}}

// fuzzResponse builds the response a fuzz input describes.
func fuzzResponse(statuses []int, status uint8, ctype string, body []byte) Response {
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	return Response{
		Status: statuses[int(status)%len(statuses)],
		Header: h,
		Body:   bytes.ReplaceAll(body, []byte("$ECHO"), []byte(plantedSecret)),
	}
}

// bodyHoldsSecret reports whether s is the value of a secret field at the
// top of body (JSON or a form), keys compared without case as
// encoding/json does.
func bodyHoldsSecret(body []byte, s string) bool {
	isSecretKey := func(k string) bool {
		for _, f := range secretFields {
			if strings.EqualFold(k, f) {
				return true
			}
		}
		return false
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for k, v := range m {
			if v == s && isSecretKey(k) {
				return true
			}
		}
	}
	if vs, err := url.ParseQuery(string(body)); err == nil {
		for k, v := range vs {
			if len(v) > 0 && v[0] == s && isSecretKey(k) {
				return true
			}
		}
	}
	return false
}

// checkNoSecret fails when err quotes the planted secret while the body
// holds it in a secret field.
func checkNoSecret(t *testing.T, err error, body []byte) {
	t.Helper()
	if err == nil || bytes.Contains(body, []byte(plantedSecret)) == false {
		return
	}
	if bodyHoldsSecret(body, plantedSecret) && strings.Contains(err.Error(), plantedSecret) {
		t.Fatalf("error %q quotes a secret of the body %q", err, body)
	}
}

// checkOAuthError checks what the server may put on a screen: sanitised,
// short, and waits that cannot overflow.
func checkOAuthError(t *testing.T, err error) {
	t.Helper()
	var oe *OAuthError
	if !errors.As(err, &oe) {
		return
	}
	for _, s := range []string{oe.Code, oe.Description, oe.URI} {
		if sanitize.Line(s, 0) != s || utf8.RuneCountInString(s) > rfcMaxDescription {
			t.Fatalf("OAuthError field %q is not short sanitised text", s)
		}
	}
	if oe.Interval < 0 || oe.Interval > rfcMaxWait || oe.RetryAfter < 0 || oe.RetryAfter > rfcMaxWait {
		t.Fatalf("OAuthError waits %v, %v out of [0, %v]", oe.Interval, oe.RetryAfter, rfcMaxWait)
	}
}

func FuzzParseDeviceAuth(f *testing.F) {
	f.Add(uint8(0), uint8(0), oauthtest.JSONType, []byte(`{"device_code":"$ECHO","user_code":"WDJB-MJHT","verification_uri":"https://as.example/device","expires_in":900}`))
	statuses := []int{200, 201, 400, 401, 404, 429, 500, 503}
	f.Fuzz(func(t *testing.T, profile, status uint8, ctype string, body []byte) {
		p := fuzzProfiles[int(profile)%len(fuzzProfiles)]
		r := fuzzResponse(statuses, status, ctype, body)
		da, err := p.ParseDeviceAuth(r)
		if err != nil {
			if !equalDeviceAuth(da, DeviceAuth{}) {
				t.Fatalf("%s: ParseDeviceAuth = %+v with error %v, want a zero DeviceAuth", p.Name(), da, err)
			}
			checkNoSecret(t, err, r.Body)
			checkOAuthError(t, err)
			return
		}
		if !success(r.Status) {
			t.Fatalf("%s: HTTP %d accepted as a device authorization", p.Name(), r.Status)
		}
		if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
			t.Fatalf("%s: accepted %+v with an empty field", p.Name(), da)
		}
		if da.Interval < time.Second || da.Interval > rfcMaxInterval {
			t.Fatalf("%s: Interval %v out of [1s, %v]", p.Name(), da.Interval, rfcMaxInterval)
		}
		if da.ExpiresIn < time.Second || da.ExpiresIn > MaxCodeLifetime {
			t.Fatalf("%s: ExpiresIn %v out of [1s, %v]", p.Name(), da.ExpiresIn, MaxCodeLifetime)
		}
		if sanitize.Line(da.UserCode, 0) != da.UserCode {
			t.Fatalf("%s: user code %q is not printable", p.Name(), da.UserCode)
		}
		for _, u := range []string{da.VerificationURI, da.VerificationURIComplete} {
			if u != "" && checkVerificationURI(u) != nil {
				t.Fatalf("%s: verification URI %q accepted: %v", p.Name(), u, checkVerificationURI(u))
			}
		}
		for _, w := range da.Warnings {
			if strings.Contains(w, plantedSecret) && bodyHoldsSecret(r.Body, plantedSecret) {
				t.Fatalf("%s: warning %q quotes a secret", p.Name(), w)
			}
		}
	})
}

func equalDeviceAuth(a, b DeviceAuth) bool {
	return a.DeviceCode == b.DeviceCode && a.UserCode == b.UserCode && a.VerificationURI == b.VerificationURI &&
		a.VerificationURIComplete == b.VerificationURIComplete && a.Interval == b.Interval &&
		a.ExpiresIn == b.ExpiresIn && len(a.Warnings) == len(b.Warnings)
}

func FuzzParseToken(f *testing.F) {
	f.Add(uint8(0), uint8(0), oauthtest.JSONType, []byte(`{"access_token":"$ECHO","token_type":"Bearer","expires_in":3600,"refresh_token":"RT"}`))
	statuses := []int{200, 400, 401, 429, 500}
	f.Fuzz(func(t *testing.T, profile, status uint8, ctype string, body []byte) {
		p := fuzzProfiles[int(profile)%len(fuzzProfiles)]
		r := fuzzResponse(statuses, status, ctype, body)
		tok, err := p.ParseToken(r)
		if tok.ExpiresIn < 0 || tok.ExpiresIn > math.MaxInt32*time.Second && p.Name() != "romm" {
			t.Fatalf("%s: ExpiresIn %v out of [0, 2^31 s]", p.Name(), tok.ExpiresIn)
		}
		if err != nil {
			checkNoSecret(t, err, r.Body)
			checkOAuthError(t, err)
			switch {
			case r.Status == http.StatusTooManyRequests && !errors.Is(err, ErrSlowDown):
				t.Fatalf("%s: HTTP 429 gave %v, want a slow_down", p.Name(), err)
			case errors.Is(err, ErrBadToken):
				if tok.AccessToken != "" {
					t.Fatalf("%s: refused answer hands back its access token", p.Name())
				}
			case tok != (Token{}):
				t.Fatalf("%s: ParseToken = %+v with error %v, want a zero Token", p.Name(), tok, err)
			}
			return
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: HTTP %d accepted as a token", p.Name(), r.Status)
		}
		credentialOnly := p.Name() == "dfc" && tok.RefreshToken != "" && tok.BoundDeviceID != ""
		if tok.AccessToken == "" && !credentialOnly {
			t.Fatalf("%s: success %+v without an access token", p.Name(), tok)
		}
		if !strings.EqualFold(tok.TokenType, "bearer") {
			t.Fatalf("%s: success with token_type %q", p.Name(), tok.TokenType)
		}
	})
}

// FuzzErrorBody fuzzes the error answers of every endpoint: OAuth error
// bodies, RomM's {"detail": ...}, revocation answers, Retry-After.
func FuzzErrorBody(f *testing.F) {
	f.Add(uint8(0), oauthtest.JSONType, "7", []byte(`{"error":"slow_down","interval":10,"error_description":"$ECHO","device_code":"$ECHO"}`))
	statuses := []int{200, 400, 401, 403, 404, 422, 429, 500, 503}
	f.Fuzz(func(t *testing.T, status uint8, ctype, retryAfter string, body []byte) {
		r := fuzzResponse(statuses, status, ctype, body)
		r.Header.Set("Retry-After", retryAfter)
		if d, ok := ParseRetryAfter(retryAfter, time.Unix(1e9, 0)); d < 0 || d > rfcMaxWait || !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", retryAfter, d, ok)
		}
		if fields, err := parseOAuthBody(r.Header, r.Body); err == nil {
			checkOAuthError(t, newOAuthError(r, fields))
		}
		err := parseRevocation(r)
		if success(r.Status) != (err == nil) {
			t.Fatalf("revocation answer HTTP %d gave %v", r.Status, err)
		}
		checkOAuthError(t, redactBody(err, r))
		checkNoSecret(t, redactBody(err, r), r.Body)
		for _, op := range []string{opTokenResponse, opDeviceAuthResponse} {
			err := rommError(op, r)
			if success(r.Status) != (err == nil) {
				t.Fatalf("RomM answer HTTP %d gave %v", r.Status, err)
			}
			checkOAuthError(t, err)
			var te *TransientError
			if errors.As(err, &te) {
				// What the loop shows is fixed text or sanitised.
				if s := te.Summary(); sanitize.Line(s, 0) != s {
					t.Fatalf("Summary %q is not printable", s)
				}
			}
		}
	})
}

// FuzzParseMetadata fuzzes the discovery document (RFC 8414 §2) without
// the network.
func FuzzParseMetadata(f *testing.F) {
	f.Add("https://as.example", []byte(`{"issuer":"https://as.example","device_authorization_endpoint":"https://as.example/device","token_endpoint":"https://as.example/token"}`))
	f.Fuzz(func(t *testing.T, issuer string, body []byte) {
		ep, err := parseMetadata(issuer, body)
		if err != nil {
			if ep != (Endpoints{}) {
				t.Fatalf("parseMetadata = %+v with error %v", ep, err)
			}
			return
		}
		if ep.Issuer != issuer || ep.DeviceAuthorization == "" || ep.Token == "" {
			t.Fatalf("parseMetadata = %+v for issuer %q", ep, issuer)
		}
		for _, u := range []string{ep.DeviceAuthorization, ep.Token, ep.Revocation, ep.Userinfo} {
			if u != "" && CheckURL(u) != nil {
				t.Fatalf("endpoint %q accepted: %v", u, CheckURL(u))
			}
		}
	})
}
