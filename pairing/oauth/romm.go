package oauth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
)

// RomM is RomM 5's device pairing API: JSON bodies instead of forms, no
// client_id, relative verification paths, errors as {"detail": code}, and a
// one-shot token with no refresh that is bound to a server-side device.
type RomM struct {
	// Base is the server's base URL, e.g. https://romm.example.
	Base string
	// Scopes are requested when the config sets none.
	Scopes []string
}

// DefaultRomMScopes are what pairingd asks RomM for: me.read lets it check
// the binding with /api/users/me.
var DefaultRomMScopes = []string{"me.read", "platforms.read", "roms.read", "devices.read", "devices.write"}

// rommRetryAfter is the wait after a 429, which RomM sends without
// Retry-After: its windows are fixed minutes.
const rommRetryAfter = time.Minute

var _ interface {
	Profile
	FixedEndpoints
	Preflighter
	Checker
} = RomM{}

// Name implements Profile.
func (RomM) Name() string { return rommSpec.Name }

// rommSpec: RomM knows devices by its own identifier, not by an OAuth
// client.
var rommSpec = Spec{Name: "romm", DefaultScope: strings.Join(DefaultRomMScopes, " "),
	New: func(base string) Profile { return RomM{Base: base} }}

// Endpoints implements FixedEndpoints.
func (RomM) Endpoints(base string) Endpoints {
	base = strings.TrimSuffix(base, "/")
	return Endpoints{
		Issuer:              base,
		DeviceAuthorization: base + "/api/auth/device/init",
		Token:               base + "/api/auth/device/token",
		Userinfo:            base + "/api/users/me",
	}
}

// Preflight implements Preflighter: GET /api/heartbeat must report RomM 5
// or later, the first release with device pairing.
func (r RomM) Preflight(ctx context.Context, c *Client) error {
	req, err := jsonRequest(ctx, http.MethodGet, r.Base+"/api/heartbeat", nil)
	if err != nil {
		return fmt.Errorf("RomM heartbeat: %w", err)
	}
	resp, err := c.Do(ctx, "RomM heartbeat", req)
	if err != nil {
		return err
	}
	if resp.Status == http.StatusNotFound {
		return fmt.Errorf("%w: %s has no /api/heartbeat: is it a RomM server?", ErrUnsupported, r.Base)
	}
	if !success(resp.Status) {
		return &TransientError{Op: "RomM heartbeat", HTTPStatus: resp.Status, Err: errors.New("unexpected status")}
	}
	var hb struct {
		System struct {
			Version string `json:"VERSION"`
		} `json:"SYSTEM"`
	}
	if err := json.Unmarshal(resp.Body, &hb); err != nil {
		return &TransientError{Op: "RomM heartbeat", HTTPStatus: resp.Status, Err: notJSON("body is not RomM's heartbeat")}
	}
	v := sanitize.Line(hb.System.Version, 40)
	major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	if n, err := strconv.Atoi(major); err != nil || n < 5 {
		return fmt.Errorf("%w: RomM %s does not pair devices; RomM 5.0 or later is needed", ErrUnsupported, v)
	}
	return nil
}

// DeviceAuthRequest implements Profile: POST /api/auth/device/init.
func (r RomM) DeviceAuthRequest(ctx context.Context, ep Endpoints, c ClientConfig) (*http.Request, error) {
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		scopes = r.Scopes
	}
	if len(scopes) == 0 {
		scopes = DefaultRomMScopes
	}
	d := c.Device
	if d.ID == "" {
		return nil, errors.New("RomM init: no device identifier")
	}
	body := map[string]any{
		"client_device_identifier": clip(d.ID, 255),
		"name":                     clip(cmp.Or(d.Name, "pairingd device"), 255),
		"client":                   "pairingd",
		"requested_scopes":         scopes,
	}
	if p := cmp.Or(d.Model, d.OSVersion); p != "" {
		body["platform"] = clip(p, 50)
	}
	if d.ClientVersion != "" {
		body["client_version"] = clip(d.ClientVersion, 50)
	}
	return jsonRequest(ctx, http.MethodPost, ep.DeviceAuthorization, body)
}

// ParseDeviceAuth implements Profile. The verification paths are relative:
// "the client joins it with the origin it was configured to reach".
func (r RomM) ParseDeviceAuth(resp Response) (DeviceAuth, error) {
	da, err := r.parseDeviceAuth(resp)
	if err != nil {
		return DeviceAuth{}, redactBody(err, resp)
	}
	return da, nil
}

func (r RomM) parseDeviceAuth(resp Response) (DeviceAuth, error) {
	if err := rommError(opDeviceAuthResponse, resp); err != nil {
		return DeviceAuth{}, err
	}
	var b struct {
		DeviceCode               string `json:"device_code"`
		UserCode                 string `json:"user_code"`
		VerificationPath         string `json:"verification_path"`
		VerificationPathComplete string `json:"verification_path_complete"`
		ExpiresIn                int64  `json:"expires_in"`
		Interval                 int64  `json:"interval"`
	}
	if err := json.Unmarshal(resp.Body, &b); err != nil {
		return DeviceAuth{}, &TransientError{Op: opDeviceAuthResponse, HTTPStatus: resp.Status, Err: notJSON("body is not RomM's init answer")}
	}
	// Reuse the RFC 8628 checks (required fields, clamps) on the
	// absolute form.
	std := map[string]any{
		"device_code": b.DeviceCode, "user_code": formatUserCode(b.UserCode),
		"verification_uri": joinPath(r.Base, b.VerificationPath), "expires_in": b.ExpiresIn, "interval": b.Interval,
	}
	if b.VerificationPathComplete != "" {
		std["verification_uri_complete"] = joinPath(r.Base, b.VerificationPathComplete)
	}
	js, _ := json.Marshal(std)
	return RFC8628{}.ParseDeviceAuth(Response{Status: http.StatusOK, Header: jsonHeader, Body: js})
}

// TokenRequest implements Profile: POST /api/auth/device/token.
func (RomM) TokenRequest(ctx context.Context, ep Endpoints, _ ClientConfig, deviceCode string) (*http.Request, error) {
	return jsonRequest(ctx, http.MethodPost, ep.Token, map[string]string{"device_code": deviceCode})
}

// RefreshRequest implements Profile: RomM has no refresh; its tokens are
// re-paired for.
func (RomM) RefreshRequest(context.Context, Endpoints, ClientConfig, Grant) (*http.Request, error) {
	return nil, errors.New("RomM has no refresh grant")
}

// RevokeRequest implements Profile: a device cannot revoke its own token.
func (RomM) RevokeRequest(context.Context, Endpoints, ClientConfig, string, string) (*http.Request, error) {
	return nil, nil
}

// ParseToken implements Profile. The answer is handed out once, so it is
// committed at once by the loop. An answer without access_token returns
// ErrBadToken with the device_id and scopes it had.
func (RomM) ParseToken(resp Response) (Token, error) {
	tok, err := rommParseToken(resp)
	return tok, redactBody(err, resp)
}

func rommParseToken(resp Response) (Token, error) {
	if err := rommError(opTokenResponse, resp); err != nil {
		return Token{}, err
	}
	var b struct {
		AccessToken string   `json:"access_token"`
		DeviceID    string   `json:"device_id"`
		Scopes      []string `json:"scopes"`
		ExpiresAt   *string  `json:"expires_at"`
	}
	if err := json.Unmarshal(resp.Body, &b); err != nil {
		return Token{}, fmt.Errorf("%w: body is not RomM's token answer", ErrConsumed)
	}
	tok := Token{AccessToken: b.AccessToken, TokenType: "Bearer", Scope: strings.Join(b.Scopes, " "),
		BoundDeviceID: b.DeviceID}
	if b.AccessToken == "" {
		return tok, fmt.Errorf("%w: no access_token", ErrBadToken)
	}
	if b.ExpiresAt != nil && *b.ExpiresAt != "" {
		at, ok := parseISOTime(*b.ExpiresAt)
		if !ok {
			// The token is handed out once: losing it over a date we
			// cannot read would lose the user's approval. Keep it as
			// one without expiry; a 401 later sends us back to pairing.
			return tok, nil
		}
		// Measured against the server's own clock when it says what it
		// is, so a device whose clock is off still re-pairs in time.
		now := time.Now()
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			now = d
		}
		tok.ExpiresIn = max(at.Sub(now), time.Second)
	}
	return tok, nil
}

// parseISOTime reads RomM's expires_at: RFC 3339 with a zone, or a naive
// ISO time, which Python writes for a datetime without one and which
// RomM means as UTC.
func parseISOTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Check implements Checker: /api/users/me must answer for our token with
// current_device_id equal to the device the token is bound to. A 401 means
// the token is gone; a device id of null means the device was deleted on
// the server (the token still works, unbound): both mean pairing again. A
// 403 (RomM briefly refuses a fresh token, and without me.read always) is
// transient.
func (r RomM) Check(ctx context.Context, c *Client, accessToken, boundDeviceID string) (string, error) {
	req, err := jsonRequest(ctx, http.MethodGet, r.Base+"/api/users/me", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := c.Do(ctx, "RomM users/me", req)
	if err != nil {
		return "", err
	}
	switch {
	case resp.Status == http.StatusUnauthorized:
		return "", fmt.Errorf("%w: RomM no longer accepts this device's token", ErrGrantRejected)
	case !success(resp.Status):
		return "", &TransientError{Op: "RomM users/me", HTTPStatus: resp.Status, Err: errors.New("not answered")}
	}
	var me struct {
		Username        string  `json:"username"`
		CurrentDeviceID *string `json:"current_device_id"`
	}
	if err := json.Unmarshal(resp.Body, &me); err != nil {
		return "", &TransientError{Op: "RomM users/me", HTTPStatus: resp.Status, Err: notJSON("body is not a user")}
	}
	user := sanitize.Line(me.Username, 80)
	if boundDeviceID != "" && (me.CurrentDeviceID == nil || *me.CurrentDeviceID != boundDeviceID) {
		return user, fmt.Errorf("%w: this device was removed from %s's devices on RomM", ErrGrantRejected, user)
	}
	return user, nil
}

// rommError classifies a non-success answer: {"detail": code} at 400 is the
// device flow's error code; 429 (without Retry-After) is a slow_down for
// the rest of the minute; 422 means we sent something RomM refuses.
func rommError(op string, resp Response) error {
	if success(resp.Status) {
		return nil
	}
	var b struct {
		Detail json.RawMessage `json:"detail"`
	}
	_ = json.Unmarshal(resp.Body, &b)
	var detail string
	_ = json.Unmarshal(b.Detail, &detail)
	detail = sanitize.Line(detail, 200)
	switch {
	case resp.Status == http.StatusTooManyRequests && op == opTokenResponse:
		return &OAuthError{Code: CodeSlowDown, HTTPStatus: resp.Status, Description: detail, RetryAfter: rommRetryAfter}
	case resp.Status == http.StatusTooManyRequests:
		return &TransientError{Op: op, HTTPStatus: resp.Status, RetryAfter: rommRetryAfter, Err: errors.New(cmp.Or(detail, "too many requests"))}
	case resp.Status == http.StatusBadRequest && detail != "":
		return &OAuthError{Code: detail, HTTPStatus: resp.Status}
	case resp.Status == http.StatusNotFound:
		return fmt.Errorf("%w: HTTP 404: this RomM has no device pairing", ErrUnsupported)
	case resp.Status == http.StatusUnprocessableEntity:
		// detail is a list of validation errors here: a bug or a bad
		// scope in our config, not something retrying fixes soon.
		return &OAuthError{Code: "invalid_request", HTTPStatus: resp.Status,
			Description: "RomM refused the request (HTTP 422): check the scopes"}
	}
	return &TransientError{Op: op, HTTPStatus: resp.Status, Err: errors.New("unexpected answer")}
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// jsonRequest builds a request with a JSON body (nil: none), after
// checking the URL is https or loopback.
func jsonRequest(ctx context.Context, method, url string, body any) (*http.Request, error) {
	if err := CheckURL(url); err != nil {
		return nil, err
	}
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, method, url, rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, url, nil)
	}
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// joinPath joins a server-relative path to the base URL. An absolute URL
// is kept as it is (a future RomM may send one).
func joinPath(base, path string) string {
	if path == "" || strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return strings.TrimSuffix(base, "/") + path
}

// formatUserCode shows an 8-character code as XXXX-XXXX, easier to read and
// type; RomM removes dashes and spaces from what the user enters.
func formatUserCode(s string) string {
	if len(s) == 8 && !strings.ContainsAny(s, "- ") {
		return s[:4] + "-" + s[4:]
	}
	return s
}

func clip(s string, n int) string { return sanitize.Line(s, n) }
