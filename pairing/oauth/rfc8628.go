package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
)

// Limits applied to what a server sends, so that a broken or hostile server
// can neither make us poll forever nor overflow a time.Duration.
const (
	// rfcDefaultInterval is RFC 8628 §3.2: "If no value is provided,
	// clients MUST use 5 as the default."
	rfcDefaultInterval = 5 * time.Second
	// rfcMaxInterval caps the device authorization interval; a server that
	// really wants longer says slow_down, which is not capped.
	rfcMaxInterval = 60 * time.Second
	// rfcMaxWait caps a slow_down interval from an error body and a
	// Retry-After header: no device code outlives it anyway.
	rfcMaxWait = time.Hour
	// rfcMaxDescription is how many runes of error_description and
	// error_uri are kept.
	rfcMaxDescription = 300
)

// MaxCodeLifetime caps expires_in of a device code: a longer one is cut to
// it, and a stored code that claims more was not made by this client. The
// RFC's example uses 1800 s; an hour is generous and keeps a code that was
// never approved from being polled for days.
const MaxCodeLifetime = time.Hour

// Ops named in the TransientErrors the profile returns. The Client
// replaces them with its own ("token request", "refresh", ...).
const (
	opDeviceAuthResponse = "device authorization response"
	opTokenResponse      = "token response"
	opRevocationResponse = "revocation response"
)

// RFC8628 is the standard profile: RFC 8628 device authorization, RFC 6749
// token responses and RFC 7009 revocation. It also accepts the deviations
// of real servers that cost nothing to accept: GitHub's HTTP 200 with
// authorization_pending and its form-encoded replies, Google's
// verification_url, and numbers sent as strings.
type RFC8628 struct{}

var _ Profile = RFC8628{}

// Name returns "rfc8628", the config value that selects the profile.
func (RFC8628) Name() string { return rfc8628Spec.Name }

// rfc8628Spec: any RFC 8628 server, found by discovery or configured
// endpoints; the default profile.
var rfc8628Spec = Spec{Name: "rfc8628", NeedsClientID: true, New: func(string) Profile { return RFC8628{} }}

// DeviceAuthRequest builds the device authorization request (RFC 8628
// §3.1): client_id, scope when configured, then the extra Params, which
// cannot replace client_id, client_secret or scope.
func (RFC8628) DeviceAuthRequest(ctx context.Context, ep Endpoints, c ClientConfig) (*http.Request, error) {
	form := url.Values{}
	if c.Scope != "" {
		form.Set("scope", c.Scope)
	}
	for k, vs := range c.Params {
		switch k {
		case "client_id", "client_secret", "scope":
			continue
		}
		for _, v := range vs {
			form.Add(k, v)
		}
	}
	return newFormRequest(ctx, "device authorization endpoint", ep.DeviceAuthorization, c, form)
}

// TokenRequest builds one device access token request (RFC 8628 §3.4).
// Scope is not sent: the grant already carries it.
func (RFC8628) TokenRequest(ctx context.Context, ep Endpoints, c ClientConfig, deviceCode string) (*http.Request, error) {
	if deviceCode == "" {
		return nil, errors.New("empty device code")
	}
	form := url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
	}
	return newFormRequest(ctx, "token endpoint", ep.Token, c, form)
}

// RefreshRequest builds a refresh token grant (RFC 6749 §6). Scope is not
// sent, so the server grants the scope of the original grant.
func (RFC8628) RefreshRequest(ctx context.Context, ep Endpoints, c ClientConfig, g Grant) (*http.Request, error) {
	refreshToken := g.RefreshToken
	if refreshToken == "" {
		return nil, errors.New("empty refresh token")
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	return newFormRequest(ctx, "token endpoint", ep.Token, c, form)
}

// RevokeRequest builds a revocation request (RFC 7009 §2.1), or returns
// nil, nil when the server has no revocation endpoint. hint is sent as
// token_type_hint when not empty.
func (RFC8628) RevokeRequest(ctx context.Context, ep Endpoints, c ClientConfig, token, hint string) (*http.Request, error) {
	if ep.Revocation == "" {
		return nil, nil
	}
	if token == "" {
		return nil, errors.New("empty token")
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return newFormRequest(ctx, "revocation endpoint", ep.Revocation, c, form)
}

// newFormRequest builds a POST of form to endpoint with the client's
// authentication. It always makes exactly one request: there is no
// guessing of the auth style (x/oauth2's AuthStyleAutoDetect sends a
// second request after every error, which doubles each poll and earns a
// slow_down).
func newFormRequest(ctx context.Context, what, endpoint string, c ClientConfig, form url.Values) (*http.Request, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("no %s configured", what)
	}
	if err := CheckURL(endpoint); err != nil {
		return nil, fmt.Errorf("%s %w", what, err)
	}
	if c.ClientID == "" {
		return nil, errors.New("no client_id configured")
	}
	// RFC 8628 §3.4 requires client_id from public clients; with HTTP
	// Basic it is redundant but harmless, and some servers want it.
	form.Set("client_id", c.ClientID)
	basic := false
	if c.ClientSecret != "" {
		switch c.AuthMethod {
		case "", AuthBasic:
			basic = true
		case AuthPost:
			form.Set("client_secret", c.ClientSecret)
		default:
			return nil, fmt.Errorf("unknown client auth method %q (want %q or %q)", c.AuthMethod, AuthBasic, AuthPost)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 §2.3.1: "The client identifier is encoded using the
		// application/x-www-form-urlencoded encoding algorithm [...] and
		// the encoded value is used as the username; the client password
		// is encoded using the same algorithm and used as the password."
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	return req, nil
}

// ParseDeviceAuth parses a device authorization response (RFC 8628 §3.2).
//
// An interval that is missing, zero or negative becomes 5 s; one above
// 60 s is clamped, as is an expires_in above an hour (both with a
// warning). A missing or non-positive expires_in is refused with
// ErrMissingExpiresIn. A 404, or an unauthorized_client, invalid_client or
// device_flow_disabled error, wraps both ErrUnsupported and the
// *OAuthError. A 429, a 5xx or anything that is not OAuth is a
// *TransientError. Errors never quote a secret of the body.
func (RFC8628) ParseDeviceAuth(r Response) (DeviceAuth, error) {
	da, err := parseDeviceAuth(r)
	if err != nil {
		return DeviceAuth{}, redactBody(err, r)
	}
	return da, nil
}

func parseDeviceAuth(r Response) (DeviceAuth, error) {
	f, perr := parseOAuthBody(r.Header, r.Body)
	if perr == nil && f["error"] != "" {
		oe := newOAuthError(r, f)
		switch {
		case r.Status == http.StatusNotFound, oe.Code == CodeUnauthorizedClient,
			oe.Code == CodeInvalidClient, oe.Code == CodeDeviceFlowDisabled:
			return DeviceAuth{}, fmt.Errorf("%w: %w", ErrUnsupported, oe)
		case r.Status == http.StatusTooManyRequests, transientCode(oe.Code):
			return DeviceAuth{}, &TransientError{Op: opDeviceAuthResponse, HTTPStatus: r.Status, RetryAfter: oe.RetryAfter, Err: oe}
		}
		return DeviceAuth{}, oe
	}
	if r.Status == http.StatusNotFound {
		return DeviceAuth{}, fmt.Errorf("%w: HTTP 404 from the device authorization endpoint", ErrUnsupported)
	}
	if !success(r.Status) {
		return DeviceAuth{}, unexpectedResponse(opDeviceAuthResponse, r, perr)
	}
	if perr != nil {
		// Nothing was spent: a device code we never saw is harmless.
		return DeviceAuth{}, &TransientError{Op: opDeviceAuthResponse, HTTPStatus: r.Status, Err: perr}
	}

	da := DeviceAuth{
		DeviceCode:              f["device_code"],
		UserCode:                strings.TrimSpace(f["user_code"]),
		VerificationURI:         strings.TrimSpace(f["verification_uri"]),
		VerificationURIComplete: strings.TrimSpace(f["verification_uri_complete"]),
	}
	if da.VerificationURI == "" {
		// Google spells it verification_url.
		da.VerificationURI = strings.TrimSpace(f["verification_url"])
	}
	if da.VerificationURIComplete == "" {
		da.VerificationURIComplete = strings.TrimSpace(f["verification_url_complete"])
	}
	switch {
	case da.DeviceCode == "":
		return DeviceAuth{}, errors.New("response has no device_code")
	case da.UserCode == "":
		return DeviceAuth{}, errors.New("response has no user_code")
	case da.VerificationURI == "":
		return DeviceAuth{}, errors.New("response has no verification_uri")
	}
	// The user code is shown on screen and must be typed exactly, so a
	// code that sanitising would change is refused rather than altered.
	if len(da.UserCode) > 128 || sanitize.Line(da.UserCode, 0) != da.UserCode {
		return DeviceAuth{}, fmt.Errorf("user_code %q is not short printable text", sanitize.Line(da.UserCode, 40))
	}
	if err := checkVerificationURI(da.VerificationURI); err != nil {
		return DeviceAuth{}, fmt.Errorf("verification_uri: %w", err)
	}
	if da.VerificationURIComplete != "" {
		if err := checkVerificationURI(da.VerificationURIComplete); err != nil {
			// The QR code falls back to verification_uri.
			da.Warnings = append(da.Warnings, fmt.Sprintf("verification_uri_complete ignored: %v", err))
			da.VerificationURIComplete = ""
		}
	}

	da.Interval = rfcDefaultInterval
	if s, ok := f["interval"]; ok {
		n, valid := parseSeconds(s)
		switch {
		case !valid:
			da.Warnings = append(da.Warnings, fmt.Sprintf("interval %q is not a number; using %v", sanitize.Line(s, 20), rfcDefaultInterval))
		case n < 0:
			da.Warnings = append(da.Warnings, fmt.Sprintf("interval %q is negative; using %v", sanitize.Line(s, 20), rfcDefaultInterval))
		case n == 0:
			// Same as absent.
		case n > rfcMaxInterval.Seconds():
			da.Warnings = append(da.Warnings, fmt.Sprintf("interval %ss clamped to %v", sanitize.Line(s, 20), rfcMaxInterval))
			da.Interval = rfcMaxInterval
		default:
			// Never poll faster than asked: round a fraction up.
			da.Interval = time.Duration(math.Ceil(n)) * time.Second
		}
	}

	s, ok := f["expires_in"]
	if !ok {
		return DeviceAuth{}, fmt.Errorf("parsing response: %w", ErrMissingExpiresIn)
	}
	n, valid := parseSeconds(s)
	if !valid || math.Floor(n) <= 0 {
		return DeviceAuth{}, fmt.Errorf("expires_in %q: %w", sanitize.Line(s, 20), ErrMissingExpiresIn)
	}
	if n > MaxCodeLifetime.Seconds() {
		da.Warnings = append(da.Warnings, fmt.Sprintf("expires_in %ss clamped to %v", sanitize.Line(s, 20), MaxCodeLifetime))
		da.ExpiresIn = MaxCodeLifetime
	} else {
		da.ExpiresIn = time.Duration(math.Floor(n)) * time.Second
	}
	return da, nil
}

// checkVerificationURI accepts an absolute http or https URL of printable
// text: the URI ends up in a QR code and on screen, so a javascript: or
// data: URI, or one with hidden characters, is not shown.
func checkVerificationURI(s string) error {
	if len(s) > 2048 || sanitize.Line(s, 0) != s {
		return fmt.Errorf("%q is not short printable text", sanitize.Line(s, 80))
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	return nil
}

// ParseToken parses a token endpoint response (RFC 6749 §5.1, §5.2) for
// polls and refreshes.
//
// The body's error field decides, whatever the status (GitHub answers
// pending with HTTP 200). An HTTP 429 is a slow_down. A 5xx or a non-OAuth
// body on a non-2xx status is a *TransientError, as are server_error and
// temporarily_unavailable (wrapping the *OAuthError). A 2xx whose body
// cannot be parsed returns ErrConsumed; a success without an access_token
// or with a token_type other than Bearer returns ErrBadToken, with the
// rest of the answer (refresh_token, expires_in, scope) in the Token.
// Errors never quote a secret of the body.
func (RFC8628) ParseToken(r Response) (Token, error) {
	tok, err := parseToken(r)
	return tok, redactBody(err, r)
}

func parseToken(r Response) (Token, error) {
	f, perr := parseOAuthBody(r.Header, r.Body)
	if r.Status == http.StatusTooManyRequests {
		// A rate limit is a slow_down, whatever the body says.
		oe := &OAuthError{Code: CodeSlowDown, HTTPStatus: r.Status, RetryAfter: responseRetryAfter(r)}
		if perr == nil {
			x := newOAuthError(r, f)
			oe.Description, oe.URI, oe.Interval = x.Description, x.URI, x.Interval
		}
		return Token{}, oe
	}
	if perr == nil && f["error"] != "" {
		oe := newOAuthError(r, f)
		if transientCode(oe.Code) {
			return Token{}, &TransientError{Op: opTokenResponse, HTTPStatus: r.Status, RetryAfter: oe.RetryAfter, Err: oe}
		}
		return Token{}, oe
	}
	if !success(r.Status) {
		return Token{}, unexpectedResponse(opTokenResponse, r, perr)
	}
	if perr != nil {
		// The server said yes and may have spent the device code (or
		// rotated the refresh token) on an answer we cannot read. perr never quotes the body.
		return Token{}, fmt.Errorf("%w: %v", ErrConsumed, perr)
	}
	// The rest is parsed before the access token is judged: a refused
	// answer may still carry a refresh token the server has already
	// rotated, which the caller must keep.
	tok := Token{
		RefreshToken: f["refresh_token"],
		TokenType:    f["token_type"],
		Scope:        f["scope"],
	}
	if s, ok := f["expires_in"]; ok {
		// Absent, zero, negative or garbage all mean "no expiry given".
		// Clamped to int32 seconds like x/oauth2 (PayPal sends huge ones).
		if n, valid := parseSeconds(s); valid && n >= 1 {
			tok.ExpiresIn = time.Duration(math.Min(math.Floor(n), math.MaxInt32)) * time.Second
		}
	}
	if f["access_token"] == "" {
		return tok, fmt.Errorf("%w: no access_token", ErrBadToken)
	}
	// RFC 6749 §7.1: a client "MUST NOT use an access token if it does
	// not understand the token type". We only speak Bearer (RFC 6750).
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return tok, fmt.Errorf("%w: token_type %q, want Bearer", ErrBadToken, sanitize.Line(tok.TokenType, 40))
	}
	tok.AccessToken = f["access_token"]
	return tok, nil
}

// secretFields are the body members that hold secrets, in the profiles'
// spellings.
var secretFields = []string{"access_token", "refresh_token", "id_token", "device_code", "token", "client_secret", "clientSecret"}

// minSecretLen is the shortest body value that redactBody hides: a shorter
// one protects nothing and would mangle the message ("AT" in "HTTP").
const minSecretLen = 8

// redactBody makes sure no secret of r's body is in err's message: a
// server that echoes its own device code in error_description, or puts
// the refresh token in token_type, must not get it into a log line.
func redactBody(err error, r Response) error {
	if err == nil {
		return nil
	}
	f, perr := parseOAuthBody(r.Header, r.Body)
	if perr != nil {
		return err
	}
	// Keys compare without case, as encoding/json matches the struct
	// fields RomM and DFC answers are read into.
	var secrets []string
	for k, v := range f {
		if len(v) < minSecretLen {
			continue
		}
		for _, sf := range secretFields {
			if strings.EqualFold(k, sf) {
				secrets = append(secrets, v)
				break
			}
		}
	}
	return redact(err, secrets...)
}

// parseRevocation classifies a revocation response (RFC 7009 §2.2): any
// 2xx is success, since "invalid tokens do not cause an error response".
func parseRevocation(r Response) error {
	if success(r.Status) {
		return nil
	}
	f, perr := parseOAuthBody(r.Header, r.Body)
	if perr == nil && f["error"] != "" {
		oe := newOAuthError(r, f)
		if r.Status == http.StatusTooManyRequests || transientCode(oe.Code) {
			return &TransientError{Op: opRevocationResponse, HTTPStatus: r.Status, RetryAfter: oe.RetryAfter, Err: oe}
		}
		return oe
	}
	return unexpectedResponse(opRevocationResponse, r, perr)
}

// transientCode reports whether an OAuth error code says the server is
// busy or broken rather than anything about the grant.
func transientCode(code string) bool {
	return code == CodeServerError || code == CodeTemporarilyUnavail
}

func success(status int) bool { return status >= 200 && status <= 299 }

// newOAuthError builds an *OAuthError from an error body. The server's
// text is sanitised: it may reach a screen and the log.
func newOAuthError(r Response, f oauthFields) *OAuthError {
	oe := &OAuthError{
		Code:        sanitize.Line(f["error"], 100),
		Description: sanitize.Line(f["error_description"], rfcMaxDescription),
		URI:         sanitize.Line(f["error_uri"], rfcMaxDescription),
		HTTPStatus:  r.Status,
		RetryAfter:  responseRetryAfter(r),
	}
	if s, ok := f["interval"]; ok {
		// GitHub's slow_down carries the new interval. Never lowered
		// below what the server asks, since polling sooner earns
		// another slow_down; only capped at rfcMaxWait against overflow.
		if n, valid := parseSeconds(s); valid && n > 0 {
			oe.Interval = time.Duration(math.Ceil(math.Min(n, rfcMaxWait.Seconds()))) * time.Second
		}
	}
	return oe
}

// unexpectedResponse is the TransientError for a non-2xx answer without
// an OAuth error body: a proxy's HTML page, an empty 502, a captive
// portal. It never quotes the body.
func unexpectedResponse(op string, r Response, perr error) *TransientError {
	err := errors.New("response has no OAuth error")
	if perr != nil {
		err = perr
	}
	return &TransientError{Op: op, HTTPStatus: r.Status, RetryAfter: responseRetryAfter(r), Err: err}
}

// responseRetryAfter is the Retry-After of r. An HTTP-date is measured
// against the response's own Date header when it has one, so that a
// device whose clock is wrong (a board without an RTC boots in 1970)
// still waits the right time.
func responseRetryAfter(r Response) time.Duration {
	v := r.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	now := time.Now()
	if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
		now = t
	}
	d, _ := ParseRetryAfter(v, now)
	return d
}

// ParseRetryAfter parses a Retry-After header value (RFC 9110 §10.2.3):
// delay-seconds or an HTTP-date, which is measured from now. A date in
// the past gives 0. The result is capped at an hour. ok is false when v
// is empty or neither form.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(rfcMaxWait/time.Second) {
			// Overflowing digits are still a (huge) delay.
			return rfcMaxWait, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	switch {
	case d < 0:
		d = 0
	case d > rfcMaxWait:
		d = rfcMaxWait
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseSeconds reads a number of seconds sent as a JSON number or as a
// string ("900", 900, 900.0). NaN and infinities are not numbers here.
func parseSeconds(s string) (float64, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if math.IsNaN(n) {
		return 0, false
	}
	return n, true // ±Inf from ErrRange clamps like any big number
}

// oauthFields are the top-level members of a response body, all as
// strings: JSON numbers and booleans keep their literal text, so that "900"
// and 900 read the same. Nulls, objects and arrays are left out.
type oauthFields map[string]string

// parseOAuthBody reads a JSON object or a form-encoded body (GitHub
// answers form-encoded unless asked for JSON, sometimes labelled
// text/plain). Its errors describe the body's kind, never its content,
// since a token response may hold secrets.
func parseOAuthBody(h http.Header, body []byte) (oauthFields, error) {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, &bodyError{msg: "empty body", detail: "empty"}
	}
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"), b[0] == '{':
		return parseJSONFields(b)
	case mt == "application/x-www-form-urlencoded", mt == "text/plain", mt == "":
		return parseFormFields(b)
	}
	if strings.Contains(mt, "html") {
		return nil, &bodyError{msg: "body is " + sanitize.Line(mt, 60) + ", not JSON or a form", detail: "HTML, not JSON", html: true}
	}
	return nil, notJSON("body is " + sanitize.Line(mt, 60) + ", not JSON or a form")
}

func parseJSONFields(b []byte) (oauthFields, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		// The decoder's message may quote a byte of the body; it is not
		// passed on.
		return nil, notJSON("body is not a JSON object")
	}
	f := make(oauthFields, len(raw))
	for k, v := range raw {
		switch v[0] {
		case '"':
			var s string
			if json.Unmarshal(v, &s) == nil {
				f[k] = s
			}
		case 'n', '{', '[':
			// null is absent; nested values are not OAuth fields.
		default:
			f[k] = string(v)
		}
	}
	return f, nil
}

func parseFormFields(b []byte) (oauthFields, error) {
	if b[0] == '<' {
		return nil, &bodyError{msg: "body looks like HTML, not JSON or a form", detail: "HTML, not JSON", html: true}
	}
	vs, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, notJSON("body is not a valid form")
	}
	f := make(oauthFields, len(vs))
	valued := false
	for k, v := range vs {
		f[k] = v[0]
		valued = valued || v[0] != ""
	}
	if !valued {
		// "Bad Gateway" parses as a form with one empty key.
		return nil, notJSON("body is neither JSON nor a form")
	}
	return f, nil
}
