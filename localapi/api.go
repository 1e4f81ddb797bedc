package localapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Backend answers the API's requests; its methods are called from many
// connections at once. An answer other than success is an *Error (any
// other error is a 500 with its text, which must hold no secret).
type Backend interface {
	// Status is what `pairingd status --json` prints, marshalled as JSON.
	Status(ctx context.Context) (any, error)
	// Token returns a valid access token, refreshed first when it is near
	// expiry; many callers at once share one refresh.
	Token(ctx context.Context) (Token, error)
	// Renew asks for a fresh code; it fails with Code "paired" when the
	// device is paired (unpair first).
	Renew(ctx context.Context) (Result, error)
	// Unpair forgets the grant, revoking it at the server when it can.
	Unpair(ctx context.Context) (Result, error)
	// Metrics writes the metrics in the Prometheus text format.
	Metrics(ctx context.Context, w io.Writer) error
}

// Token is the answer of GET /v1/token.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type,omitempty"`
	// ExpiresAt is when the token expires; nil when it does not.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// ExpiresIn is the seconds left until ExpiresAt, for callers without
	// a trustworthy clock; 0 when it does not expire.
	ExpiresIn int64  `json:"expires_in,omitempty"`
	Scope     string `json:"scope,omitempty"`
	// Warning says why the token is older than it should be: a refresh
	// that failed while the token is still valid.
	Warning string `json:"warning,omitempty"`
}

// Result is the answer of POST /v1/renew and /v1/unpair.
type Result struct {
	Message string `json:"message"`
	// Warning is what went wrong on the way without failing the request:
	// a revocation the server did not confirm.
	Warning string `json:"warning,omitempty"`
}

// The codes of Error that scripts branch on. They never change meaning.
const (
	CodeNotPaired        = "not_paired"     // no grant: pair first
	CodeNotConfigured    = "not_configured" // no server configured yet
	CodePaired           = "paired"         // renew while paired
	CodeUnavailable      = "unavailable"    // the daemon cannot answer now
	CodeForbidden        = "forbidden"      // the caller may not use the API
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeBadRequest       = "bad_request"
	CodeInternal         = "internal"
)

// Error is an API answer other than success: the HTTP status, a stable
// Code and a message for people. The client returns one for every such
// answer.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return e.Message
}

// Errorf makes an *Error with the status that goes with code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	switch code {
	case CodeNotPaired, CodeNotConfigured, CodePaired:
		return http.StatusConflict
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeBadRequest:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
