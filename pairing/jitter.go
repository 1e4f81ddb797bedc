package pairing

import "time"

// A fleet of devices that boot together (a building after a power cut),
// lose the server together or were paired together would otherwise ask
// at the same moments for ever: every wait the loop chooses is spread by
// a random number r in [0, 1). Each spread only ever lengthens a wait
// towards a bound the single device does not notice, and r = 0 is the
// wait without spreading.

// Rand returns uniform random numbers in [0, 1).
type Rand func() float64

// firstPollAfter is the wait from a new code to its first poll: one
// interval (RFC 8628 §3.5: no sooner), then a random share of another,
// so that codes handed out at the same moment are polled at phases
// spread over the whole interval. The person scanning the code does not
// feel it: nobody approves within the first interval, and after it a
// poll comes every interval whatever the phase.
func firstPollAfter(interval time.Duration, r float64) time.Duration {
	return interval + time.Duration(r*float64(interval))
}

// spreadRetry is "full jitter" over an exponential backoff's wait d:
// uniform between floor and d, so that devices that failed together
// retry at moments spread over the whole window, and never sooner than
// floor.
func spreadRetry(d, floor time.Duration, r float64) time.Duration {
	if d <= floor {
		return d
	}
	return d - time.Duration(r*float64(d-floor))
}

// refreshSpread is the share of a token's life before its refresh point
// over which the refresh is spread: tokens issued together are refreshed
// at moments spread over a quarter of their life, the earliest at three
// quarters of the point the profile asks for.
const refreshSpread = 0.25

// spreadRefresh moves the wait until a refresh, in, earlier by a random
// share of refreshSpread of it.
func spreadRefresh(in time.Duration, r float64) time.Duration {
	if in <= 0 || in == forever {
		return in
	}
	return in - time.Duration(r*refreshSpread*float64(in))
}

// checkSpread is the share of CheckEvery by which each check while paired
// comes later.
const checkSpread = 0.2

// spreadCheck is the wait until the next check while paired.
func spreadCheck(every time.Duration, r float64) time.Duration {
	return every + time.Duration(r*checkSpread*float64(every))
}
