package pairing

import (
	"errors"
	"fmt"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth"
)

// Polling constants. RFC 8628 §3.5: "the client MUST use 5 as the default"
// interval, and on slow_down "the interval MUST be increased by 5 seconds
// for this and all subsequent requests".
const (
	defaultInterval = 5 * time.Second
	slowDownStep    = 5 * time.Second
	// maxTransientBackoff caps the backoff after network errors and 5xx
	// while a code is on screen: a user who approved during an outage
	// waits at most this long once the server is back.
	maxTransientBackoff = 60 * time.Second
	// maxErrorBackoff caps the wait before a new code after the server
	// refused or broke the flow, so a misconfigured fleet does not hammer
	// it, yet recovers within minutes once fixed.
	maxErrorBackoff = 5 * time.Minute
	// firstErrorBackoff is the first wait before a new code after an error.
	firstErrorBackoff = 10 * time.Second
)

// pollState is what the loop carries from one poll to the next.
type pollState struct {
	// Interval is the current minimum gap between polls, grown by
	// slow_down.
	Interval time.Duration
	// Failures counts transient failures in a row.
	Failures int
}

// pollOutcome says what to do after one poll.
type pollOutcome struct {
	// Next is the state to enter; AwaitingUser means keep polling.
	Next State
	// Wait is how long to wait, measured from the end of this response,
	// before the next poll (AwaitingUser) or before asking for a new code.
	Wait time.Duration
	// Token is the grant, when Next is Paired.
	Token oauth.Token
	// Detail says what happened, in words for the screen; "" to clear it.
	Detail string
	// Err is the error to log, if any.
	Err error
}

// poll1 decides, from the result of one token request, what comes next. It
// is pure: the loop owns timing and side effects. errorBackoff is the wait
// before a new code when the flow has to start over after an error.
//
// r spreads the backoff after a transient failure (see spreadRetry).
func poll1(ps pollState, tok oauth.Token, err error, errorBackoff, deniedCooldown time.Duration, r float64) (pollState, pollOutcome) {
	if ps.Interval <= 0 {
		ps.Interval = defaultInterval
	}
	if err == nil {
		return pollState{Interval: ps.Interval}, pollOutcome{Next: Paired, Token: tok}
	}
	var oe *oauth.OAuthError
	var te *oauth.TransientError
	switch {
	case errors.Is(err, oauth.ErrAuthorizationPending):
		ps.Failures = 0
		return ps, pollOutcome{Next: AwaitingUser, Wait: ps.Interval}

	case errors.Is(err, oauth.ErrSlowDown):
		// RFC 8628 §3.5. An HTTP 429 arrives here too, as slow_down.
		ps.Failures = 0
		ps.Interval += slowDownStep
		errors.As(err, &oe)
		if oe.Interval > ps.Interval {
			ps.Interval = oe.Interval
		}
		wait := max(ps.Interval, oe.RetryAfter)
		return ps, pollOutcome{Next: AwaitingUser, Wait: wait,
			Detail: fmt.Sprintf("The server asked us to slow down; checking every %s", roundSec(ps.Interval))}

	case errors.Is(err, oauth.ErrAccessDenied):
		what := "Pairing was denied"
		if errors.As(err, &oe) && oe.Description != "" {
			what = oe.Description
		}
		return ps, pollOutcome{Next: Denied, Wait: deniedCooldown,
			Detail: fmt.Sprintf("%s. A new code follows in %s.", what, roundSec(deniedCooldown))}

	case errors.Is(err, oauth.ErrExpiredToken), errors.Is(err, oauth.ErrInvalidGrant):
		return ps, pollOutcome{Next: Expired, Detail: "The code expired. Getting a new one."}

	case errors.As(err, &te):
		// The grant may still be good: keep the QR code up and back off
		// (RFC 8628 §3.5 "SHOULD use exponential backoff").
		ps.Failures++
		floor := max(ps.Interval, te.RetryAfter)
		wait := spreadRetry(max(backoff(ps.Interval, ps.Failures, maxTransientBackoff), floor), floor, r)
		return ps, pollOutcome{Next: AwaitingUser, Wait: wait, Err: err,
			Detail: retryDetail(te.Summary(), te.Hint(), wait)}

	case errors.Is(err, oauth.ErrConsumed):
		return ps, pollOutcome{Next: Error, Wait: ps.Interval, Err: err,
			Detail: "The server's answer was lost. Getting a new code."}

	case errors.As(err, &oe):
		// RFC 8628 §3.5: any other error code means stop polling.
		what := oe.Description
		if what == "" {
			what = oe.Code
		}
		return ps, pollOutcome{Next: Error, Wait: errorBackoff, Err: err,
			Detail: fmt.Sprintf("The server refused: %s. Starting over in %s.", what, roundSec(errorBackoff))}

	default:
		// ErrBadToken and anything unforeseen: start over, slowly.
		return ps, pollOutcome{Next: Error, Wait: errorBackoff, Err: err,
			Detail: fmt.Sprintf("The server's answer could not be used (%s). Starting over in %s.",
				sanitize.Line(errText(err), 120), roundSec(errorBackoff))}
	}
}

// backoff returns base doubled for each failure after the first, capped.
func backoff(base time.Duration, failures int, limit time.Duration) time.Duration {
	if base <= 0 {
		base = time.Second
	}
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// retryDetail is why a request failed, when it is tried again, and
// what the user can do about it.
func retryDetail(sentence, hint string, wait time.Duration) string {
	return withHint(sentence+" Retrying in "+roundSec(wait)+".", hint)
}

// withHint appends what to do, when there is something, to a sentence for
// the screen: "The server's certificate is not trusted. Set ca_file to the
// CA that signed it."
func withHint(sentence, hint string) string {
	if hint == "" {
		return sentence
	}
	return sentence + " " + hint
}

// roundSec formats d for people: "5s", "2m0s" becomes "2m".
func roundSec(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%d min %d s", d/time.Minute, (d%time.Minute)/time.Second)
	default:
		return fmt.Sprintf("%d s", d/time.Second)
	}
}
