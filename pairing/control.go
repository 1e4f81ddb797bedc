package pairing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
)

// ErrPaired means a new code was asked for while the device is paired:
// unpair first.
var ErrPaired = errors.New("paired")

// ErrNotConfigured means no server is configured yet, so there is nothing
// to pair with.
var ErrNotConfigured = errors.New("not configured")

// Change is one state the loop entered: the daemon's start, and every
// transition. It holds no secret (no device code, no token): it goes to
// other programs, as events and to the on_change hook.
type Change struct {
	// Old is the state before; it equals New for the state the daemon
	// started in (First).
	Old, New State
	First    bool
	// At is when the state was entered, on the wall clock.
	At time.Time
	// Detail is what the screen says under the headline.
	Detail string
	// Server is the issuer the device pairs with; BoundDeviceID the
	// server's id for the device; Account the user's, when known.
	Server, BoundDeviceID, Account string
	// UserCode, VerificationURI, VerificationURIComplete and
	// CodeExpiresAt are the code on screen, in awaiting_user: what a
	// person types or scans, not a secret.
	UserCode, VerificationURI, VerificationURIComplete string
	CodeExpiresAt                                      time.Time
}

// changed tells Changed of the state just entered.
func (m *Machine) changed(old State, first bool) {
	if m.Changed == nil {
		return
	}
	c := Change{Old: old, New: m.state, First: first, At: m.rec.StateSince, Detail: m.detail,
		Server: m.rec.Server.Issuer, BoundDeviceID: m.rec.BoundDeviceID, Account: m.rec.Account}
	if first {
		c.Old = m.state
	}
	if m.state == AwaitingUser {
		c.UserCode = m.rec.Code.UserCode
		c.VerificationURI = m.rec.Code.VerificationURI
		c.VerificationURIComplete = m.rec.Code.VerificationURIComplete
		c.CodeExpiresAt = m.rec.Code.ExpiresAt
	}
	m.Changed(c)
}

// loopRequest is what a program asked of the loop through NewCode or
// Unpair; done gets the answer.
type loopRequest struct {
	unpair bool
	done   chan loopAnswer
}

// loopAnswer is the loop's answer to a request: err when it was not done,
// revokeErr when an unpair was done but the server did not confirm the
// revocation.
type loopAnswer struct {
	err, revokeErr error
}

func (m *Machine) requests() chan loopRequest {
	m.reqOnce.Do(func() { m.reqs = make(chan loopRequest) })
	return m.reqs
}

// NewCode asks the loop for a fresh code, as A does at the device; it
// returns ErrPaired when the device is paired, and ctx's error when the
// loop does not take the request in time (it is in a request to the
// server, or not running).
func (m *Machine) NewCode(ctx context.Context) error { return m.ask(ctx, false).err }

// Unpair asks the loop to revoke and forget the grant, as X then A do at
// the device, and returns once it is forgotten; err is ErrNotPaired when
// there is no grant. revokeErr is the revocation the server did not
// confirm: the grant is forgotten all the same, as with the package's
// Unpair.
func (m *Machine) Unpair(ctx context.Context) (revokeErr, err error) {
	a := m.ask(ctx, true)
	return a.revokeErr, a.err
}

func (m *Machine) ask(ctx context.Context, unpair bool) loopAnswer {
	r := loopRequest{unpair: unpair, done: make(chan loopAnswer, 1)}
	select {
	case m.requests() <- r:
	case <-ctx.Done():
		return loopAnswer{err: fmt.Errorf("the pairing loop is busy: %w", ctx.Err())}
	}
	select {
	case a := <-r.done:
		return a
	case <-ctx.Done():
		return loopAnswer{err: fmt.Errorf("waiting for the pairing loop: %w", ctx.Err())}
	}
}

// take answers a request in the loop: it returns errRenew or errUnpair
// for the loop to act on, and keeps an unpair's done channel for the end
// of the unpairing.
func (m *Machine) take(r loopRequest) error {
	switch {
	case r.unpair && m.state != Paired:
		r.done <- loopAnswer{err: fmt.Errorf("%w (state %s)", ErrNotPaired, m.state)}
		return nil
	case r.unpair:
		m.unpairDone = r.done
		return errUnpair
	case m.state == Paired:
		r.done <- loopAnswer{err: ErrPaired}
		return nil
	}
	r.done <- loopAnswer{}
	return errRenew
}

// Stats counts what the loop did since it started, for metrics.
type Stats struct {
	// Polls are token requests for the code on screen.
	Polls uint64
	// Refreshes and RefreshFailures count the loop's refresh requests.
	Refreshes, RefreshFailures uint64
	// Errors counts failed requests by kind: an oauth.Failure's name,
	// "oauth" (an OAuth error the server sent), "unsupported",
	// "discovery" or "other".
	Errors map[string]uint64
}

// stats is Stats, shared between the loop and the metrics.
type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) add(f func(*Stats)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s.Errors == nil {
		st.s.Errors = map[string]uint64{}
	}
	f(&st.s)
}

// failed counts err by its kind.
func (st *stats) failed(err error) {
	k := errorKind(err)
	st.add(func(s *Stats) { s.Errors[k]++ })
}

// Stats returns a copy of the counts; it may be called from any
// goroutine.
func (m *Machine) Stats() Stats {
	m.counts.mu.Lock()
	defer m.counts.mu.Unlock()
	s := m.counts.s
	s.Errors = maps.Clone(s.Errors)
	return s
}

// errorKind names the kind of a failed request, from a fixed set: never a
// string the server chose.
func errorKind(err error) string {
	var te *oauth.TransientError
	var oe *oauth.OAuthError
	var de *oauth.DiscoveryError
	switch {
	case errors.As(err, &te):
		return te.Kind().String()
	case errors.Is(err, oauth.ErrUnsupported):
		return "unsupported"
	case errors.As(err, &oe):
		return "oauth"
	case errors.As(err, &de):
		return "discovery"
	}
	return "other"
}
