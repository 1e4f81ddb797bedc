package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// The optional parts of a profile. The loop and the commands use them when
// a profile has them; RFC 8628 servers need none.
type (
	// FixedEndpoints is a profile whose endpoints follow from the base URL:
	// there is no discovery.
	FixedEndpoints interface {
		Endpoints(base string) Endpoints
	}
	// Preflighter checks the server before asking for a code (RomM's
	// version gate). An error wrapping ErrUnsupported says the server
	// cannot pair; others are retried.
	Preflighter interface {
		Preflight(ctx context.Context, c *Client) error
	}
	// Checker checks the grant with the server: after pairing and then from
	// time to time. It returns whom the device is paired with, when the
	// server says. An error matching ErrGrantRejected means the server no
	// longer accepts the grant.
	Checker interface {
		Check(ctx context.Context, c *Client, accessToken, boundDeviceID string) (account string, err error)
	}
	// Pacer limits how often the token endpoint is polled, for servers that
	// rate limit it per client address.
	Pacer interface {
		PollLimits() []RateLimit
	}
	// RefreshLeader says how long before expiry a token is refreshed, when
	// the server wants another margin than the default.
	RefreshLeader interface {
		RefreshLead(lifetime time.Duration) time.Duration
	}
	// Reporter sends the daemon's failures to the server (the Data
	// Exporter API's error endpoint). It must not block for long and never
	// gets a secret in the report.
	Reporter interface {
		Report(ctx context.Context, c *Client, accessToken string, r Report) error
	}
)

// RateLimit is at most N requests in any window of length Per.
type RateLimit struct {
	N   int
	Per time.Duration
}

// Report is a failure worth telling the server about.
type Report struct {
	// Severity is CRITICAL, ERROR, WARNING or INFO.
	Severity string
	// Type is a short code such as PAIRING_FAILED.
	Type    string
	Message string
	// Metadata holds a few facts; never a secret.
	Metadata map[string]string
}

// ErrGrantRejected means the server refused a grant that used to work: the
// token was revoked or expired, or the device was removed.
var ErrGrantRejected = errors.New("the server rejected the grant")

// Do sends req and reads its answer (at most 1 MiB), like the client's
// OAuth requests: for profiles' extra requests (checks, reports).
func (c *Client) Do(ctx context.Context, op string, req *http.Request) (Response, error) {
	return c.roundTrip(ctx, op, req, false)
}

// RefreshLead is how long before expiry a token of this lifetime should be
// refreshed under the client's profile: the profile's RefreshLeader, or a
// tenth of the lifetime and at least minRefreshLead.
func (c *Client) RefreshLead(lifetime time.Duration) time.Duration {
	if rl, ok := c.Wire().(RefreshLeader); ok {
		return rl.RefreshLead(lifetime)
	}
	return max(lifetime/10, minRefreshLead)
}

// minRefreshLead is the least time before expiry a refresh starts by
// default.
const minRefreshLead = 10 * time.Second
