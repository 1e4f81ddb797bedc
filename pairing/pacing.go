package pairing

import (
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
)

// paced returns the earliest monotonic time at which one more poll may go
// out, given the times of earlier polls (oldest first): within the
// server's limits (hardLimit), and spread so that the budget lasts
// (spread).
func paced(history []time.Duration, limits []oauth.RateLimit, now time.Duration) time.Duration {
	return max(hardLimit(history, limits, now), spread(history, limits, now))
}

// hardLimit is the earliest time one more request fits every limit: never
// more than N in any window of length Per.
func hardLimit(history []time.Duration, limits []oauth.RateLimit, now time.Duration) time.Duration {
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
func spread(history []time.Duration, limits []oauth.RateLimit, now time.Duration) time.Duration {
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
