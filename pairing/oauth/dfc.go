package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
)

// DFC is the Data Exporter "DFC" device API. The device flow (RFC 8628
// errors, JSON bodies) does not end with an access token but with the
// site's long-lived credential, a domain and a client secret. The secret is
// kept like a refresh token (stored 0600, never logged), and an access
// token, a JWT, is exchanged for it with HTTP Basic (domain:client_secret)
// at /api/dfc/auth/token: at once, again before it expires, and after a
// 401. The server keeps one device per site: a new authorization rotates
// the secret and kills the previous device's, which the exchange then
// refuses with 401 or 403; the device pairs again.
type DFC struct {
	// Base is the server's base URL.
	Base string
}

var _ interface {
	Profile
	FixedEndpoints
	Reporter
} = DFC{}

// Name implements Profile.
func (DFC) Name() string { return dfcSpec.Name }

// dfcSpec: the Data Exporter API has no OAuth clients; the site
// credential it hands out stands for the device.
var dfcSpec = Spec{Name: "dfc", New: func(base string) Profile { return DFC{Base: base} }}

// Endpoints implements FixedEndpoints.
func (DFC) Endpoints(base string) Endpoints {
	base = strings.TrimSuffix(base, "/")
	return Endpoints{
		Issuer:              base,
		DeviceAuthorization: base + "/api/v1/device/authorize",
		Token:               base + "/api/v1/device/token",
	}
}

// DeviceAuthRequest implements Profile: the device's metadata, as the
// API's ClientMetadata (device_name, device_type, firmware_version).
func (DFC) DeviceAuthRequest(ctx context.Context, ep Endpoints, c ClientConfig) (*http.Request, error) {
	d := c.Device
	body := map[string]string{"device_name": clip(cmp.Or(d.Name, "pairingd device"), 255)}
	if d.Model != "" {
		body["device_type"] = clip(d.Model, 100)
	}
	if v := cmp.Or(d.OSVersion, d.ClientVersion); v != "" {
		body["firmware_version"] = clip(v, 100)
	}
	return jsonRequest(ctx, http.MethodPost, ep.DeviceAuthorization, body)
}

// ParseDeviceAuth implements Profile: an RFC 8628 answer. Codes look like
// XXXX-1234 and live 15 minutes.
func (DFC) ParseDeviceAuth(r Response) (DeviceAuth, error) { return RFC8628{}.ParseDeviceAuth(r) }

// TokenRequest implements Profile.
func (DFC) TokenRequest(ctx context.Context, ep Endpoints, _ ClientConfig, deviceCode string) (*http.Request, error) {
	return jsonRequest(ctx, http.MethodPost, ep.Token, map[string]string{
		"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": deviceCode})
}

// RefreshRequest implements Profile: the Basic exchange of the site's
// credential for a JWT.
func (d DFC) RefreshRequest(ctx context.Context, _ Endpoints, _ ClientConfig, g Grant) (*http.Request, error) {
	if g.RefreshToken == "" || g.BoundDeviceID == "" {
		return nil, errors.New("DFC token exchange: no site credential")
	}
	req, err := jsonRequest(ctx, http.MethodPost, d.Base+"/api/dfc/auth/token", nil)
	if err != nil {
		return nil, fmt.Errorf("DFC token exchange: %w", err)
	}
	req.SetBasicAuth(g.BoundDeviceID, g.RefreshToken)
	return req, nil
}

// RevokeRequest implements Profile: the API has no revocation.
func (DFC) RevokeRequest(context.Context, Endpoints, ClientConfig, string, string) (*http.Request, error) {
	return nil, nil
}

// ParseToken implements Profile, for both answers: the device flow's
// credential ({"domain", "client_secret"}) and the exchange's JWT
// ({"token", "expiresIn", "tokenType"}, camelCase). The API's documentation
// does not say how the credential's secret is spelt; client_secret and
// clientSecret are both read. A 401 or 403 from the exchange means the
// secret is dead. A refused answer (a tokenType other than Bearer, a secret
// without its domain) returns ErrBadToken with what it had: the secret, the
// domain, the expiry.
func (DFC) ParseToken(r Response) (Token, error) {
	tok, err := dfcParseToken(r)
	return tok, redactBody(err, r)
}

func dfcParseToken(r Response) (Token, error) {
	if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
		return Token{}, &OAuthError{Code: CodeInvalidGrant, HTTPStatus: r.Status,
			Description: "The site's credentials were revoked (another device was authorized for it)"}
	}
	if !success(r.Status) {
		// RFC 8628 errors from the device flow.
		return RFC8628{}.ParseToken(r)
	}
	var b struct {
		Domain        string          `json:"domain"`
		ClientSecret  string          `json:"client_secret"`
		ClientSecret2 string          `json:"clientSecret"`
		Token         string          `json:"token"`
		ExpiresIn     json.RawMessage `json:"expiresIn"`
		TokenType     string          `json:"tokenType"`
		Error         string          `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return Token{}, fmt.Errorf("%w: body is not a JSON object", ErrConsumed)
	}
	if b.Error != "" {
		return RFC8628{}.ParseToken(r)
	}
	switch {
	case b.Token != "":
		tok := Token{TokenType: "Bearer"}
		if n, err := strconv.ParseFloat(strings.Trim(string(b.ExpiresIn), `"`), 64); err == nil && n >= 1 {
			tok.ExpiresIn = time.Duration(min(n, 1<<31-1)) * time.Second
		}
		if b.TokenType != "" && !strings.EqualFold(b.TokenType, "bearer") {
			tok.TokenType = b.TokenType
			return tok, fmt.Errorf("%w: tokenType %q, want Bearer", ErrBadToken, sanitize.Line(b.TokenType, 40))
		}
		tok.AccessToken = b.Token
		return tok, nil
	}
	tok := Token{RefreshToken: cmp.Or(b.ClientSecret, b.ClientSecret2), TokenType: "Bearer",
		BoundDeviceID: sanitize.Line(b.Domain, 253)}
	// The domain as stored: one of blanks only is no domain.
	if tok.BoundDeviceID != "" && tok.RefreshToken != "" {
		return tok, nil
	}
	return tok, fmt.Errorf("%w: neither a site credential nor a token", ErrBadToken)
}

// Report implements Reporter: POST /api/dfc/error with the JWT, within the
// API's limits (type 100 characters, message 10,000, metadata 20 keys and
// 10 KB), truncating rather than failing. A 401 or 403 means the JWT must
// be exchanged again; the report itself is not retried.
func (d DFC) Report(ctx context.Context, c *Client, accessToken string, rep Report) error {
	meta := map[string]string{}
	size := 0
	for _, k := range slices.Sorted(maps.Keys(rep.Metadata)) {
		v := sanitize.Line(rep.Metadata[k], 1000)
		k = sanitize.Line(k, 100)
		// Measured as JSON, as the server does: escapes (\", \u003c) count.
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(v)
		if len(meta) == 20 || size+len(kj)+len(vj)+2 > 10_000 {
			break
		}
		meta[k] = v
		size += len(kj) + len(vj) + 2
	}
	typ := cmp.Or(clip(rep.Type, 100), "UNKNOWN_ERROR")
	sev := strings.ToUpper(rep.Severity)
	if !slices.Contains([]string{"CRITICAL", "ERROR", "WARNING", "INFO"}, sev) {
		sev = "ERROR" // the server refuses any other
	}
	body := map[string]any{
		"type":     typ,
		"message":  cmp.Or(clip(rep.Message, 10_000), typ), // the server refuses an empty one
		"severity": sev,
	}
	if len(meta) > 0 {
		body["metadata"] = meta
	}
	req, err := jsonRequest(ctx, http.MethodPost, d.Base+"/api/dfc/error", body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := c.Do(ctx, "DFC error report", req)
	switch {
	case err != nil:
		return err
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return fmt.Errorf("%w: the error endpoint refused the JWT (HTTP %d)", ErrGrantRejected, resp.Status)
	case !success(resp.Status):
		return fmt.Errorf("DFC error report: HTTP %d", resp.Status)
	}
	return nil
}
