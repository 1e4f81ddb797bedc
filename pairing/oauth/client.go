package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/pairingd/pairingd/internal/sanitize"
)

// maxResponseBody is how much of a response is read; OAuth answers are a
// few hundred bytes, and x/oauth2 uses the same limit.
const maxResponseBody = 1 << 20

// Client talks to the authorization server: one HTTP round trip per
// method call, no retries and no sleeping. The polling loop decides what
// to do with the typed errors it returns.
//
// Methods never put a device code, access token or refresh token in a log
// line or an error message.
type Client struct {
	// HTTP sends the requests; tests replace its Transport. Redirects are
	// never followed, whatever its CheckRedirect says: every request is a
	// POST that may carry a secret.
	HTTP *http.Client
	// Profile is the server's wire format; RFC8628{} when nil.
	Profile Profile
	// Endpoints are the server's URLs.
	Endpoints Endpoints
	// Config is what the device says about itself in each request.
	Config ClientConfig
	// Logger gets a Debug line per request (endpoint, status, OAuth error
	// code); nil discards them.
	Logger *slog.Logger
}

// Wire is the client's profile: Profile, or RFC8628{} when that is nil.
func (c *Client) Wire() Profile {
	if c.Profile == nil {
		return RFC8628{}
	}
	return c.Profile
}

// Log is the client's logger: Logger, or one that discards.
func (c *Client) Log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// DeviceAuth asks the server for a device code (RFC 8628 §3.1, §3.2). The
// caller logs the response's Warnings.
func (c *Client) DeviceAuth(ctx context.Context) (DeviceAuth, error) {
	const op = "device authorization"
	p := c.Wire()
	req, err := p.DeviceAuthRequest(ctx, c.Endpoints, c.Config)
	if err != nil {
		return DeviceAuth{}, fmt.Errorf("%s: %w", op, err)
	}
	r, err := c.roundTrip(ctx, op, req, false)
	if err != nil {
		return DeviceAuth{}, redact(err, c.Config.ClientSecret)
	}
	da, err := p.ParseDeviceAuth(r)
	if err != nil {
		return DeviceAuth{}, c.fail(ctx, op, req, r, err, c.Config.ClientSecret)
	}
	c.Log().DebugContext(ctx, op, "endpoint", logURL(req.URL), "status", r.Status,
		"expires_in", da.ExpiresIn, "interval", da.Interval)
	return da, nil
}

// PollToken makes one device access token request (RFC 8628 §3.4). While
// the user has not acted, the error matches ErrAuthorizationPending or
// ErrSlowDown; see Profile.ParseToken for the rest. Like Refresh, it
// returns the rest of a refused answer (ErrBadToken) with the error.
func (c *Client) PollToken(ctx context.Context, deviceCode string) (Token, error) {
	const op = "token request"
	p := c.Wire()
	req, err := p.TokenRequest(ctx, c.Endpoints, c.Config, deviceCode)
	if err != nil {
		return Token{}, fmt.Errorf("%s: %w", op, err)
	}
	return c.token(ctx, op, req, deviceCode, c.Config.ClientSecret)
}

// Refresh redeems a refresh token (RFC 6749 §6). The returned Token's
// RefreshToken is empty when the server did not rotate it: the caller
// keeps the old one.
//
// When the answer is refused (the error wraps ErrBadToken: no access
// token, or a token_type other than Bearer), the Token is returned with
// the error and holds everything else the answer said: above all the
// RefreshToken, which a server that rotates refresh tokens has already
// replaced, so the old one is dead and the new one must be kept.
// AccessToken is always empty then. For every other error the Token is
// zero. PollToken does the same.
func (c *Client) Refresh(ctx context.Context, g Grant) (Token, error) {
	const op = "refresh"
	p := c.Wire()
	req, err := p.RefreshRequest(ctx, c.Endpoints, c.Config, g)
	if err != nil {
		return Token{}, fmt.Errorf("%s: %w", op, err)
	}
	return c.token(ctx, op, req, g.RefreshToken, c.Config.ClientSecret)
}

func (c *Client) token(ctx context.Context, op string, req *http.Request, secrets ...string) (Token, error) {
	r, err := c.roundTrip(ctx, op, req, true)
	if err != nil {
		return Token{}, redact(err, secrets...)
	}
	tok, err := c.Wire().ParseToken(r)
	if err != nil {
		err = c.fail(ctx, op, req, r, err, secrets...)
		if errors.Is(err, ErrBadToken) {
			// The refused answer may carry a rotated refresh token.
			tok.AccessToken = ""
			return tok, err
		}
		return Token{}, err
	}
	c.Log().DebugContext(ctx, op, "endpoint", logURL(req.URL), "status", r.Status,
		"expires_in", tok.ExpiresIn, "rotated", tok.RefreshToken != "")
	return tok, nil
}

// Revoke asks the server to revoke token (RFC 7009); hint is
// "access_token", "refresh_token" or empty. It returns nil at once when
// the server has no revocation endpoint.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	const op = "revocation"
	req, err := c.Wire().RevokeRequest(ctx, c.Endpoints, c.Config, token, hint)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if req == nil {
		c.Log().DebugContext(ctx, "no revocation endpoint; token not revoked")
		return nil
	}
	r, err := c.roundTrip(ctx, op, req, false)
	if err != nil {
		return redact(err, token, c.Config.ClientSecret)
	}
	if err := parseRevocation(r); err != nil {
		return c.fail(ctx, op, req, r, err, token, c.Config.ClientSecret)
	}
	c.Log().DebugContext(ctx, op, "endpoint", logURL(req.URL), "status", r.Status)
	return nil
}

// roundTrip sends req once and reads at most maxResponseBody of the
// answer. tokenOp marks requests that may spend a grant: for them a 2xx
// whose body is lost is ErrConsumed rather than transient.
func (c *Client) roundTrip(ctx context.Context, op string, req *http.Request, tokenOp bool) (Response, error) {
	if c.HTTP == nil {
		return Response{}, fmt.Errorf("%s: Client.HTTP is nil", op)
	}
	hc := *c.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	endpoint := logURL(req.URL)

	resp, err := hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// Shutting down, or the caller's deadline: not the network's
			// fault, so not transient.
			return Response{}, fmt.Errorf("%s: %w", op, cerr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			// Keep an endpoint's query (an API key, say) out of logs.
			ue.URL = endpoint
		}
		c.Log().DebugContext(ctx, op+" failed", "endpoint", endpoint, "err", err)
		return Response{}, &TransientError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if rerr == nil && len(body) > maxResponseBody {
		rerr = errBodyTooLarge
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if rerr != nil {
		c.Log().DebugContext(ctx, op+" failed", "endpoint", endpoint, "status", r.Status, "err", rerr)
		if tokenOp && success(r.Status) {
			// The server said yes to a token request whose answer is
			// lost: the grant may be spent, so it is not retried.
			if cerr := ctx.Err(); cerr != nil {
				return Response{}, fmt.Errorf("%s: %w: %w", op, ErrConsumed, cerr)
			}
			return Response{}, fmt.Errorf("%s: %w: reading body: %v", op, ErrConsumed, rerr)
		}
		if cerr := ctx.Err(); cerr != nil {
			return Response{}, fmt.Errorf("%s: %w", op, cerr)
		}
		return Response{}, &TransientError{Op: op, HTTPStatus: r.Status, RetryAfter: responseRetryAfter(r),
			Err: fmt.Errorf("reading body: %w", rerr)}
	}
	if r.Status >= 300 && r.Status <= 399 {
		// A redirected POST would resend the form (with its secret) to
		// wherever the server points; configure the final URL instead.
		re := &redirectError{status: r.Status}
		if loc, err := resp.Location(); err == nil {
			re.to, re.host = logURL(loc), sanitize.Line(loc.Hostname(), 100)
			// To another host: something between the device and the
			// server (a network's sign-in page) answered instead.
			re.elsewhere = !strings.EqualFold(loc.Hostname(), req.URL.Hostname())
		}
		c.Log().DebugContext(ctx, op+" redirected", "endpoint", endpoint, "status", r.Status, "location", re.to)
		return Response{}, &TransientError{Op: op, HTTPStatus: r.Status, Err: re}
	}
	return r, nil
}

// fail puts the op in front of err, removes the secrets sent in the
// request and those of the answer from its message, and logs it.
func (c *Client) fail(ctx context.Context, op string, req *http.Request, r Response, err error, secrets ...string) error {
	var te *TransientError
	if errors.As(err, &te) && te == err {
		// The profile's TransientError names its op; ours is better, and
		// wrapping it again would say the op twice.
		te.Op = op
	} else {
		err = fmt.Errorf("%s: %w", op, err)
	}
	err = redactBody(redact(err, secrets...), r)
	code := ""
	var oe *OAuthError
	if errors.As(err, &oe) {
		code = oe.Code
	}
	c.Log().DebugContext(ctx, op, "endpoint", logURL(req.URL), "status", r.Status, "error", code)
	return err
}

// logURL is u without query, fragment or user info: what a log line may
// show of an endpoint.
func logURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// redact makes sure none of the secrets sent in a request is in err's
// message. Only a hostile or very broken server makes this do anything (by
// echoing the device code in error_description, say); errors.Is and
// errors.As still see err.
func redact(err error, secrets ...string) error {
	leaks := func(err error) bool {
		msg := err.Error()
		for _, s := range secrets {
			if s != "" && strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	if err == nil || !leaks(err) {
		return err
	}
	var oe *OAuthError
	if errors.As(err, &oe) {
		oe.Code = redactString(oe.Code, secrets)
		oe.Description = redactString(oe.Description, secrets)
		oe.URI = redactString(oe.URI, secrets)
		if !leaks(err) {
			return err
		}
	}
	return &redactedError{err: err, secrets: secrets}
}

func redactString(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactedError hides secrets in the message of an error from elsewhere.
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string { return redactString(e.err.Error(), e.secrets) }

func (e *redactedError) Unwrap() error { return e.err }
