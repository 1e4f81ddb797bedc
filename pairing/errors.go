package pairing

import (
	"errors"
	"fmt"
	"time"
)

// OAuth error codes the loop branches on (RFC 6749 §5.2, RFC 8628 §3.5).
const (
	CodeAuthorizationPending = "authorization_pending"
	CodeSlowDown             = "slow_down"
	CodeAccessDenied         = "access_denied"
	CodeExpiredToken         = "expired_token"
	CodeInvalidGrant         = "invalid_grant"
	CodeInvalidClient        = "invalid_client"
	CodeUnauthorizedClient   = "unauthorized_client"
	CodeDeviceFlowDisabled   = "device_flow_disabled"
	CodeTemporarilyUnavail   = "temporarily_unavailable"
	CodeServerError          = "server_error"
)

// OAuthError is an error response from the server: an `error` field in the
// body (whatever the HTTP status, since GitHub answers 200 with
// authorization_pending), or an HTTP 429.
//
// Match it with errors.Is against the sentinels below (which compare the
// code only) or errors.As to read the details.
type OAuthError struct {
	// Code is the `error` field. An HTTP 429 without one gets
	// CodeSlowDown.
	Code string
	// Description is `error_description`, sanitised; it may be shown.
	Description string
	// URI is `error_uri`.
	URI string
	// HTTPStatus is the response's status code.
	HTTPStatus int
	// Interval is the `interval` a slow_down body may carry (GitHub sends
	// one); zero when absent.
	Interval time.Duration
	// RetryAfter is the Retry-After header of a 429 or 503; zero when
	// absent.
	RetryAfter time.Duration
}

func (e *OAuthError) Error() string {
	s := fmt.Sprintf("server error %q (HTTP %d)", e.Code, e.HTTPStatus)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is reports whether target is an *OAuthError with the same code, so that
// errors.Is(err, ErrSlowDown) works on any slow_down response.
func (e *OAuthError) Is(target error) bool {
	t, ok := target.(*OAuthError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; they compare by code.
var (
	ErrAuthorizationPending = &OAuthError{Code: CodeAuthorizationPending}
	ErrSlowDown             = &OAuthError{Code: CodeSlowDown}
	ErrAccessDenied         = &OAuthError{Code: CodeAccessDenied}
	ErrExpiredToken         = &OAuthError{Code: CodeExpiredToken}
	ErrInvalidGrant         = &OAuthError{Code: CodeInvalidGrant}
)

// ErrUnsupported means the server does not offer the device flow to this
// client: a 404 from the device authorization endpoint, or 400/401 with
// unauthorized_client, invalid_client or device_flow_disabled. The daemon
// backs off and shows the reason; it does not hot-loop.
var ErrUnsupported = errors.New("device authorization not available for this client")

// ErrMissingExpiresIn means a device authorization response had no usable
// expires_in (RFC 8628 §3.2 makes it REQUIRED). Without it we could poll
// forever, so the response is refused.
var ErrMissingExpiresIn = errors.New("device authorization response has no expires_in")

// ErrBadToken means a token response said success but is unusable: an empty
// access_token or a token_type other than Bearer.
var ErrBadToken = errors.New("unusable token response")

// ErrConsumed means a token request got HTTP 200 but the body could not be
// read or parsed. The server may have spent the device code on it, so it is
// not polled again: the daemon starts over with a new code
// (anchors §1.5 case 14).
var ErrConsumed = errors.New("token response lost after HTTP 200")

// TransientError is a failure that says nothing about the grant: the
// network (refused, reset, timeout, DNS), a 5xx without an OAuth body, or a
// body that is not OAuth at all (an HTML page from a proxy or a captive
// portal). The loop backs off and tries again while the code is valid.
type TransientError struct {
	// Op is what was being done, for example "token request".
	Op string
	// HTTPStatus is 0 for network errors.
	HTTPStatus int
	// RetryAfter is the Retry-After header, when the server sent one.
	RetryAfter time.Duration
	// Err is the cause.
	Err error
}

func (e *TransientError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v", e.Op, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }
