package pairing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Profiles is the list of profile names the config accepts.
var Profiles = []string{"rfc8628", "authelia", "romm", "dfc"}

// NewProfile returns the wire profile called name. base is the server's
// base URL (the issuer), which RomM and the Data Exporter API build every
// endpoint from.
func NewProfile(name, base string) (Profile, error) {
	base = strings.TrimSuffix(base, "/")
	switch name {
	case "", "rfc8628":
		return RFC8628{}, nil
	case "authelia":
		return Authelia{}, nil
	case "romm":
		return RomM{Base: base}, nil
	case "dfc":
		return DFC{Base: base}, nil
	}
	return nil, fmt.Errorf("unknown profile %q (want one of %s)", name, strings.Join(Profiles, ", "))
}

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

// profileRefreshLead is the refresh lead for t under the client's profile.
func (c *Client) refreshLead(lifetime time.Duration) time.Duration {
	if rl, ok := c.profile().(RefreshLeader); ok {
		return rl.RefreshLead(lifetime)
	}
	return max(lifetime/10, minRefreshLead)
}

// paced returns the earliest monotonic time at which one more poll may go
// out, given the times of earlier polls (oldest first): within the
// server's limits (hardLimit), and spread so that the budget lasts
// (spread).
func paced(history []time.Duration, limits []RateLimit, now time.Duration) time.Duration {
	return max(hardLimit(history, limits, now), spread(history, limits, now))
}

// hardLimit is the earliest time one more request fits every limit: never
// more than N in any window of length Per.
func hardLimit(history []time.Duration, limits []RateLimit, now time.Duration) time.Duration {
	at := now
	for _, l := range limits {
		if l.N <= 0 || len(history) < l.N {
			continue
		}
		// The request N back must have left the window.
		at = max(at, history[len(history)-l.N]+l.Per)
	}
	return at
}

// spread keeps a budget from running out: once half of a window's budget
// is spent, the rest is spread over the time until the window's oldest
// request leaves it (and never closer than Per/N). Without it, a device
// would spend an hour's budget in its first minutes and then sit blind for
// the rest of the hour, showing codes it never polls.
func spread(history []time.Duration, limits []RateLimit, now time.Duration) time.Duration {
	at := now
	if len(history) == 0 {
		return at
	}
	last := history[len(history)-1]
	for _, l := range limits {
		if l.N <= 0 {
			continue
		}
		used, oldest := 0, time.Duration(0)
		for _, t := range history {
			if t > now-l.Per {
				if used == 0 {
					oldest = t
				}
				used++
			}
		}
		if used < l.N/2 {
			continue
		}
		gap := l.Per / time.Duration(l.N)
		if left := l.N - used; left > 0 {
			gap = max(gap, (oldest+l.Per-now)/time.Duration(left))
		}
		at = max(at, last+gap)
	}
	return at
}
