package pairing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// changeNotifier is a store that tells of changes to its record, by this
// process or another: the loop then looks at the record when it changes
// instead of every few seconds.
type changeNotifier interface {
	Changes() <-chan struct{}
}

// pollRecordEvery is how often the loop looks at a record whose store
// does not tell of changes.
const pollRecordEvery = 2 * time.Second

// errChanged means another process (pairingd unpair, pairingd token)
// committed to the pairing record since we last read it.
var errChanged = errors.New("pairing record changed by another process")

// rejectedError means the server refused a report for the token the
// device holds: the grant is rejected.
type rejectedError struct{ err error }

func (e *rejectedError) Error() string { return "report refused: " + e.err.Error() }
func (e *rejectedError) Unwrap() error { return e.err }

// errNetwork means the network changed while the loop waited to retry
// what failed: retrySoon reschedules it.
var errNetwork = errors.New("network changed")

// errRenew means the user asked for a fresh code.
var errRenew = errors.New("new code requested")

// forever is a wait with no end; the loop still wakes to watch the record.
const forever = time.Duration(math.MaxInt64)

// after returns the monotonic time d after t, saturating at forever (a
// token without expiry must not wrap around into the past).
func after(t, d time.Duration) time.Duration {
	if d >= forever-t {
		return forever
	}
	return t + d
}

// Machine is the pairing daemon's state machine and loop: it asks for a
// device code, shows it, polls until the user acts, stores the tokens and
// keeps them fresh. It never gives up on a server problem: it backs off and
// says what is wrong on the display.
type Machine struct {
	// Client talks to the server. Its Endpoints may be empty when
	// Discover is set.
	Client *oauth.Client
	// Discover finds the endpoints (RFC 8414); nil when they are
	// configured. It is retried with backoff until it succeeds.
	Discover func(ctx context.Context) (oauth.Endpoints, error)
	// Server is recorded with the tokens, so that the token and unpair
	// commands know where they belong.
	Server  store.Server
	Store   store.Store
	Display display.Display
	// Status receives one line for each state, for systemd's STATUS=;
	// nil sends nothing. It never contains a secret.
	Status func(line string)
	Clock  Clock
	Logger *slog.Logger
	// DeniedCooldown is the wait after access_denied before a new code;
	// 30 s when zero.
	DeniedCooldown time.Duration
	// WatchEvery is the most time between two looks at the record for
	// changes by other processes, and between two Heartbeat calls. A
	// store that tells of changes (a changeNotifier: the SQLite store
	// watches its files) is looked at when it does, so the loop then
	// wakes for nothing else: 1 min when zero and there is no Heartbeat;
	// otherwise 2 s when zero.
	WatchEvery time.Duration
	// Heartbeat, when set, is called from the loop at least every
	// WatchEvery while it is healthy: the systemd watchdog hangs off it, so
	// a stuck loop stops the pings.
	Heartbeat func()
	// KeyStyle says how the keys of the inputs present are named on
	// screen (it may change as devices come and go); nil means there is
	// no input and the screens offer no actions.
	KeyStyle func() display.KeyStyle
	// Quit, when set, ends the app the person runs in the foreground
	// (muOS, the terminal): B and MENU call it. A system service leaves it
	// nil, and the keys that would quit do nothing.
	Quit func()
	// IdleAfter is how many codes in a row may expire with no key pressed
	// before the device goes idle and stops asking for codes; 0 is never,
	// and a negative value means 3 when there is an input (KeyStyle says
	// one) and never without.
	IdleAfter int
	// Addrs lists the device's network addresses for the details screen;
	// nil shows them as unknown.
	Addrs func() []string
	// Text is the catalogue of the screens' fixed texts (headlines, the
	// actions' labels); nil is English. The details the Machine builds
	// from what happened are English whatever it is.
	Text *msg.Catalog
	// HealthURL, when set, is fetched (any 2xx is healthy) at start, right
	// after pairing and every CheckEvery while paired, with the access
	// token when there is one, before the profile's own check (an
	// oauth.Checker). The result is stored for `pairingd status`. A check
	// that finds the grant rejected makes the device exchange its
	// credential again when it has one, else pair again.
	HealthURL string
	// CheckEvery is the interval of checks while paired; 10 min when zero.
	CheckEvery time.Duration
	// Rand spreads the loop's waits so that devices that start, fail or
	// were paired together do not ask the server at the same moments (see
	// jitter.go); nil spreads nothing, as tests want. The daemon sets it.
	Rand Rand
	// Network, when set, receives when the device's network changes
	// (netlink): a retry that waits because the server could not be
	// reached is made at once then, whatever backoff was running.
	Network <-chan struct{}
	// ClockSet, when set, receives when the wall clock is set (NTP on a
	// board without a real-time clock): what failed for a clock that
	// was wrong is retried at once.
	ClockSet <-chan struct{}
	// NotBefore is the earliest the wall clock can truly be (when this
	// program was built): a certificate refused as not yet valid on a
	// clock before it means the clock is not set, and the screen says
	// the device waits for the time rather than blaming the server.
	NotBefore time.Time
	// Offline, when set, says what the network lacks ("no network
	// interface is up"), or "" when it looks fine: the screen says that
	// instead of a bare "no network" when a request finds none.
	Offline func() string
	// Changed, when set, is called from the loop with every state it
	// enters (the first at start), after the record is committed. It
	// must not block: the local API's events and the on_change hook
	// queue what they get.
	Changed func(Change)

	state    State
	rec      store.Pairing // our view of the stored record
	detail   string        // what the screen says under the headline
	nextAt   time.Duration // monotonic time of the next action
	deadline time.Duration // monotonic expiry of the code on screen
	ps       pollState
	errCount int // errors in a row that made us start over

	polls      []time.Duration // monotonic times of recent polls, for a oauth.Pacer
	polledAt   time.Duration   // monotonic end of the last poll
	refreshAt  time.Duration   // monotonic time of the next refresh, when paired
	checkAt    time.Duration   // monotonic time of the next check, when paired
	checkFails int             // failed checks in a row
	reason     string          // why the grant went, for the next code's screen

	refreshed   bool          // a refresh was tried since Run started
	lastRefresh time.Duration // monotonic start of the last refresh attempt
	codeMono    time.Duration // monotonic time the code on screen was issued
	youngDeaths int           // codes in a row that ended unused within minCodeLife
	started     bool          // the first state was entered (logged as "starting in state")

	changes    <-chan struct{} // the store's changes; nil: look every WatchEvery
	lookedAt   time.Duration   // when the loop last read the record's revision
	reqOnce    sync.Once
	reqs       chan loopRequest // use requests
	unpairDone chan loopAnswer  // answers the Unpair being done
	revokeErr  error            // of the last unpair, for its answer
	counts     stats
	unsaved    atomic.Pointer[unsavedDetail] // what the screen says that the store does not

	pressOnce sync.Once
	presses   chan display.Key // use pressCh
	ui        uiState          // what the person at the device did

	// check is the health check and the profile's check, built by init
	// (tests may set it first); nil when there is nothing to check.
	check checkFunc
	// send delivers reports when the profile takes them (an
	// oauth.Reporter; tests may set it first), and reporter runs it.
	send     sendFunc
	reporter *reporter
	// onReport, when set, sees every report the loop makes, whether or
	// not the profile takes reports.
	onReport func(oauth.Report)
}

// pressCh returns the channel of key presses; they may come from an
// input's or a display's goroutine before Run starts.
func (m *Machine) pressCh() chan display.Key {
	m.pressOnce.Do(func() { m.presses = make(chan display.Key, 8) })
	return m.presses
}

// Press hands the loop a key the person at the device pressed; what it
// does depends on the screen shown (see press). It never blocks: a key
// pressed while eight wait is dropped.
func (m *Machine) Press(k display.Key) {
	select {
	case m.pressCh() <- k:
	default:
	}
}

// Renew asks for a fresh code now, as KeyA does.
func (m *Machine) Renew() { m.Press(display.KeyA) }

func (m *Machine) init() {
	if m.Clock == nil {
		m.Clock = SystemClock()
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.DeniedCooldown <= 0 {
		m.DeniedCooldown = 30 * time.Second
	}
	if n, ok := m.Store.(changeNotifier); ok {
		m.changes = n.Changes()
	}
	if m.WatchEvery <= 0 {
		m.WatchEvery = pollRecordEvery
		if m.changes != nil && m.Heartbeat == nil {
			m.WatchEvery = time.Minute
		}
	}
	if m.CheckEvery <= 0 {
		m.CheckEvery = 10 * time.Minute
	}
	if m.check == nil {
		m.check = newCheck(m.Client, m.HealthURL)
	}
	// Keys pressed before there is a screen mean nothing.
	for len(m.pressCh()) > 0 {
		<-m.pressCh()
	}
}

// Run loads the stored state, resumes where the daemon left off, and loops
// until ctx ends. It returns an error only when the store cannot be read at
// start; server problems never end it.
func (m *Machine) Run(ctx context.Context) error {
	m.init()
	defer m.startReports(ctx)()
	rec, err := m.Store.Pairing(ctx)
	if err != nil {
		return fmt.Errorf("read pairing state: %w", err)
	}
	if err := m.adopt(ctx, rec); err != nil {
		m.stepFailed(ctx, err)
	}
	if m.check != nil {
		// At start, whatever the state: a health check URL says whether
		// the server can be reached before anyone scans anything.
		cctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
		if errors.Is(m.runCheck(cctx), errChanged) {
			m.reload(ctx)
		}
		cancel()
	}
	for ctx.Err() == nil {
		m.beat()
		var err error
		switch m.state {
		case AwaitingUser:
			err = m.stepPoll(ctx)
		case Idle:
			err = m.stepIdle(ctx)
		case Paired:
			err = m.stepPaired(ctx)
		default:
			err = m.stepNewCode(ctx)
		}
		m.stepFailed(ctx, err)
	}
	return nil
}

// stepFailed handles what a step, a transition or an adoption returned:
// the one place where their errors go. A record that another process
// changed is read again and adopted (which may find it changed again); a
// request for a new code starts over.
func (m *Machine) stepFailed(ctx context.Context, err error) {
	for err != nil && ctx.Err() == nil {
		switch {
		case errors.Is(err, errChanged):
			err = m.reload(ctx)
		case errors.Is(err, errUnpair):
			err = m.unpairHere(ctx)
			if m.unpairDone != nil {
				if errors.Is(err, errChanged) {
					m.unpairDone <- loopAnswer{revokeErr: m.revokeErr}
				} else {
					m.unpairDone <- loopAnswer{err: err}
				}
				m.unpairDone = nil
			}
		case errors.Is(err, errNetwork):
			m.retrySoon()
			return
		case errors.Is(err, errRenew):
			m.Logger.Info("new code requested")
			m.nextAt = m.Clock.Mono()
			err = m.enterState(ctx, Unpaired, "Getting a new code.", clearCode, false)
		default:
			m.Logger.Error("pairing step", "state", m.state, "err", err)
			m.nextAt = m.Clock.Mono() + m.WatchEvery
			return
		}
	}
}

// reload reads the record that another process changed and adopts it.
func (m *Machine) reload(ctx context.Context) error {
	rec, err := m.Store.Pairing(ctx)
	if err != nil {
		return fmt.Errorf("reading the pairing record: %w", err)
	}
	m.Logger.Info("pairing record changed by another process", "state", State(rec.State))
	return m.adopt(ctx, rec)
}

// adopt takes rec as the truth: at start, and when another process changed
// it. It resumes a stored code that is still valid, so a restart shows the
// same code, and schedules the refresh of stored tokens; a stored code or
// grant that cannot be used, or that belongs to another server than the
// configured one, is left for a new code. The state it arrives at goes
// through enterState like any other, which writes only what changed.
func (m *Machine) adopt(ctx context.Context, rec store.Pairing) error {
	m.rec = rec
	s := State(rec.State)
	if !s.Valid() {
		s = Unpaired
	}
	detail := rec.Message
	if s == NotConfigured {
		// Configured now: resume the grant the record still holds, or
		// pair.
		s, detail = Unpaired, ""
		if !rec.Tokens.IsZero() {
			s = Paired
		}
	}
	mono, wall := m.Clock.Mono(), m.Clock.Now()
	m.nextAt = mono
	switch {
	case (s == Paired || s == AwaitingUser || s == Idle) && m.serverChanged(rec):
		m.Logger.Warn("the configured server differs from the stored one; pairing again",
			"stored", rec.Server.Issuer, "configured", m.Server.Issuer)
		return m.enterState(ctx, Unpaired, "The configured server changed. Pairing again.", clearGrant, false)
	case s == Paired && !rec.Tokens.IsZero():
		m.useStoredEndpoints(rec.Server)
		in := refreshIn(m.Client, rec.Tokens, wall)
		if !m.started && in != forever && !clockSane(wall) {
			// The clock restarted (no RTC, no NTP yet): how old the
			// stored token is cannot be told. Refresh it once; from then
			// on the schedule runs on monotonic time.
			in = 0
		}
		m.refreshAt = after(mono, spreadRefresh(in, m.rand()))
		m.checkAt = mono + spreadCheck(m.CheckEvery, m.rand())
	case s == AwaitingUser && codeUsable(rec.Code, wall):
		// The code belongs to the endpoints it was issued by; polling it
		// must not wait for discovery.
		m.useStoredEndpoints(rec.Server)
		m.deadline = mono + rec.Code.ExpiresAt.Sub(wall)
		m.codeMono = mono - wall.Sub(rec.Code.IssuedAt)
		m.ps = pollState{Interval: rec.Code.Interval}
		if m.ps.Interval <= 0 {
			m.ps.Interval = defaultInterval
		}
		// We do not know when the last poll was: wait one interval.
		m.nextAt = mono + m.ps.Interval
		if !m.started {
			m.Logger.Info("resuming the stored code", "user_code", rec.Code.UserCode,
				"expires_in", rec.Code.ExpiresAt.Sub(wall).Round(time.Second))
		}
	case s == Idle:
		// Idle stays idle across a restart: nobody came meanwhile.
	case State(rec.State) == Unpaired:
		// Why the grant went (revoked, refused, unpaired): shown now and
		// with the next code, so the user knows why to scan again.
		m.reason = rec.Message
	default:
		// A stored code or token that cannot be used: start over at
		// once, with a new code.
		s, detail = Unpaired, ""
	}
	return m.enterState(ctx, s, detail, nil, false)
}

// useStoredEndpoints fills in the token and revocation endpoints the stored
// code or grant came from, when neither the config nor discovery gave them
// yet.
func (m *Machine) useStoredEndpoints(srv store.Server) {
	if m.Client.Endpoints.Token == "" {
		m.Client.Endpoints.Token = srv.TokenEndpoint
		m.Client.Endpoints.Revocation = srv.RevocationEndpoint
		m.Client.Endpoints.Userinfo = srv.UserinfoEndpoint
	}
	if m.Server.TokenEndpoint == "" {
		m.Server.TokenEndpoint = m.Client.Endpoints.Token
		m.Server.RevocationEndpoint = m.Client.Endpoints.Revocation
		m.Server.UserinfoEndpoint = m.Client.Endpoints.Userinfo
	}
}

// serverChanged reports whether the stored pairing belongs to another
// server or client than the configured one.
func (m *Machine) serverChanged(rec store.Pairing) bool {
	if m.Server.Issuer == "" || rec.Server.Issuer == "" {
		return false
	}
	return strings.TrimSuffix(rec.Server.Issuer, "/") != strings.TrimSuffix(m.Server.Issuer, "/") ||
		(m.Server.ClientID != "" && rec.Server.ClientID != m.Server.ClientID)
}

// codeUsable reports whether a stored code can be resumed: the wall clock
// is trustworthy, the code was issued before now (a clock stepped back
// since would stretch its life beyond what the server granted), its life
// is no longer than any server is granted (the parser clamps expires_in),
// and at least one poll interval of it is left. A code is never reused
// after its absolute expiry.
func codeUsable(c store.Code, now time.Time) bool {
	if c.IsZero() || !clockSane(now) || c.IssuedAt.IsZero() || now.Before(c.IssuedAt) ||
		c.ExpiresAt.Sub(c.IssuedAt) > oauth.MaxCodeLifetime {
		return false
	}
	return c.ExpiresAt.Sub(now) > max(c.Interval, defaultInterval)
}

// stepNewCode waits until it is time, then asks for a device code.
func (m *Machine) stepNewCode(ctx context.Context) error {
	if err := m.sleepUntil(ctx, m.nextAt); err != nil {
		return err
	}
	if m.Client.Endpoints.DeviceAuthorization == "" && m.Discover != nil {
		ep, err := m.Discover(ctx)
		if err != nil {
			return m.failNewCode(ctx, err) // it says "discovery"
		}
		m.Client.Endpoints = ep
		m.Server.TokenEndpoint = ep.Token
		m.Server.RevocationEndpoint = ep.Revocation
		m.Server.UserinfoEndpoint = ep.Userinfo
		m.Logger.Info("discovered endpoints", "device_authorization", ep.DeviceAuthorization, "token", ep.Token)
	}
	if pf, ok := m.Client.Wire().(oauth.Preflighter); ok {
		if err := pf.Preflight(ctx, m.Client); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return m.failNewCode(ctx, err)
		}
	}
	wallStart, monoStart := m.Clock.Now(), m.Clock.Mono()
	da, err := m.Client.DeviceAuth(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return m.failNewCode(ctx, err)
	}
	for _, w := range da.Warnings {
		m.Logger.Warn("device authorization response", "fixed", w)
	}
	uri, complete, err := checkVerificationURIs(da.VerificationURI, da.VerificationURIComplete)
	if err != nil {
		return m.failNewCode(ctx, fmt.Errorf("device authorization: %w", err))
	}
	// The code's life counts from the request, not the answer: the server
	// started its clock before it replied.
	m.deadline = monoStart + da.ExpiresIn
	m.codeMono = monoStart
	m.ps = pollState{Interval: da.Interval}
	// RFC 8628 §3.5: poll no sooner than one interval after the answer;
	// the phase is spread over another.
	m.nextAt = m.Clock.Mono() + firstPollAfter(da.Interval, m.rand())
	code := store.Code{
		DeviceCode:              da.DeviceCode,
		UserCode:                sanitize.Line(da.UserCode, 64),
		VerificationURI:         uri,
		VerificationURIComplete: complete,
		Interval:                da.Interval,
		IssuedAt:                wallStart,
		ExpiresAt:               wallStart.Add(da.ExpiresIn),
	}
	m.Logger.Info("got a device code", "user_code", code.UserCode, "verification_uri", uri,
		"interval", da.Interval, "expires_in", da.ExpiresIn)
	detail := ""
	if m.reason != "" {
		detail = m.reason + " Or open " + shortURI(uri) + " and enter the code."
		m.reason = ""
	}
	return m.enterState(ctx, AwaitingUser, detail, func(p *store.Pairing) {
		p.Code = code
		// Stored with the code, so that a restart polls the same server.
		p.Server = m.Server
	}, false)
}

// failNewCode shows why no code could be had and schedules the next try.
func (m *Machine) failNewCode(ctx context.Context, err error) error {
	m.errCount++
	wait := spreadRetry(backoff(firstErrorBackoff, m.errCount, maxErrorBackoff), firstErrorBackoff/2, m.rand())
	var te *oauth.TransientError
	var de *oauth.DiscoveryError
	var detail string
	switch {
	case errors.Is(err, oauth.ErrUnsupported):
		detail = "The server does not offer device pairing to this client."
		var oe *oauth.OAuthError
		if !errors.As(err, &oe) {
			// Say why: a 404, or RomM's version gate.
			detail = "The server does not offer device pairing to this client: " + sanitize.Line(errText(err), 200) + "."
		}
	case errors.As(err, &te):
		sentence, hint := m.why(te)
		if m.clockUnset(te) {
			sentence += " A code follows once the time is set."
		}
		detail = withHint(sentence, hint)
	case errors.As(err, &de):
		detail = "The server's OAuth metadata could not be used: " + sanitize.Line(de.Brief(), 200) + ". Check the issuer URL."
	default:
		detail = "The server's answer could not be used: " + sanitize.Line(errText(err), 200) + "."
	}
	var oe *oauth.OAuthError
	if errors.As(err, &oe) && oe.Description != "" {
		detail += " " + oe.Description
	}
	m.counts.failed(err)
	m.Logger.Warn("no device code", "err", err, "retry_in", wait)
	m.report("ERROR", "PAIRING_FAILED", detail)
	m.nextAt = m.Clock.Mono() + wait
	return m.enterState(ctx, Error, detail+" Retrying in "+roundSec(wait)+".", clearCode, false)
}

// stepPoll waits for the next tick and polls once.
func (m *Machine) stepPoll(ctx context.Context) error {
	if m.deadline <= m.nextAt {
		// Our own deadline comes first: some servers keep answering
		// authorization_pending for a dead code.
		if err := m.sleepUntil(ctx, m.deadline); err != nil {
			return err
		}
		m.Logger.Info("the code expired", "user_code", m.rec.Code.UserCode)
		return m.codeExpired(ctx)
	}
	if err := m.sleepUntil(ctx, m.nextAt); err != nil {
		return err
	}
	if p, ok := m.Client.Wire().(oauth.Pacer); ok {
		// Stay under the server's per-address rate limits: a long wait
		// for the user must not lock the device out.
		limits := p.PollLimits()
		if at := paced(m.polls, limits, m.Clock.Mono()); at > m.Clock.Mono() {
			m.Logger.Info("pacing polls under the server's rate limit", "wait", (at - m.Clock.Mono()).Round(time.Second))
			m.nextAt = at
			return nil
		}
		m.polls = append(m.polls, m.Clock.Mono())
		if n := maxLimit(limits); len(m.polls) > n {
			m.polls = m.polls[len(m.polls)-n:]
		}
	}
	tok, err := m.Client.PollToken(ctx, m.rec.Code.DeviceCode)
	if ctx.Err() != nil {
		return nil
	}
	m.counts.add(func(s *Stats) { s.Polls++ })
	errorWait := backoff(firstErrorBackoff, m.errCount+1, maxErrorBackoff)
	ps, out := poll1(m.ps, tok, err, errorWait, m.DeniedCooldown, m.rand())
	m.ps = ps
	// The interval counts from the end of the response, so a slow server
	// never gets two requests back to back.
	m.polledAt = m.Clock.Mono()
	m.nextAt = m.polledAt + out.Wait
	if out.Err != nil {
		m.counts.failed(out.Err)
		m.Logger.Warn("token poll", "err", out.Err, "next_in", out.Wait)
	}
	switch out.Next {
	case AwaitingUser:
		if errors.Is(err, oauth.ErrAuthorizationPending) {
			m.errCount = 0
		}
		if errors.Is(err, oauth.ErrSlowDown) {
			m.Logger.Info("slow_down", "interval", ps.Interval)
		}
		if te := (*oauth.TransientError)(nil); errors.As(out.Err, &te) {
			// poll1 knows only the error; the loop also knows the
			// network and the clock.
			sentence, hint := m.why(te)
			out.Detail = retryDetail(sentence, hint, out.Wait)
		}
		if out.Detail != m.detail {
			// Display only: nothing is written while polling.
			m.showUnsaved(out.Detail)
		}
		return nil
	case Paired:
		m.errCount, m.youngDeaths = 0, 0
		return m.commitPaired(ctx, out.Token, m.Clock.Now(), m.Clock.Mono())
	case Expired:
		// expired_token, or invalid_grant for the device code.
		return m.codeExpired(ctx)
	case Error:
		m.errCount++
		if wait := m.codeEnded(); wait > out.Wait {
			m.nextAt = m.Clock.Mono() + wait
		}
		m.report("ERROR", "PAIRING_FAILED", out.Detail)
	case Denied:
		m.report("WARNING", "PAIRING_DENIED", out.Detail)
	}
	return m.enterState(ctx, out.Next, out.Detail, clearCode, false)
}

// minCodeLife is how long a code must live for its end to be ordinary. A
// code that ends unused sooner (it expired before its first poll, the
// server said expired_token at once, or its 200 could not be used) "died
// young"; when every code does, the next ones back off instead of being
// asked for in a loop.
const minCodeLife = time.Minute

// codeEnded counts the code on screen, which just ended unused, and returns
// how long to wait before the next one: nothing after one young death in
// a row (a server restart may have dropped its codes), then 10 s doubling
// to 5 min.
func (m *Machine) codeEnded() time.Duration {
	if m.Clock.Mono()-m.codeMono >= minCodeLife {
		m.youngDeaths = 0
		return 0
	}
	m.youngDeaths++
	if m.youngDeaths < 2 {
		return 0
	}
	return spreadRetry(backoff(firstErrorBackoff, m.youngDeaths-1, maxErrorBackoff), firstErrorBackoff/2, m.rand())
}

// expiredDetail says on screen that the code expired and when the next
// one comes.
func expiredDetail(wait time.Duration) string {
	if wait <= 0 {
		return "The code expired. Getting a new one."
	}
	return "The code expired. A new code follows in " + roundSec(wait) + "."
}

// commitPaired stores the grant in one transaction with the new state,
// before anything reports "paired". It retries a failing store: the device
// code is spent, so the grant in memory is all there is.
func (m *Machine) commitPaired(ctx context.Context, tok oauth.Token, wall time.Time, mono time.Duration) error {
	tokens := tokensFrom(tok, store.Tokens{}, wall)
	edit := func(p *store.Pairing) {
		p.Tokens = tokens
		p.BoundDeviceID = sanitize.Line(tok.BoundDeviceID, 128)
		p.PairedAt = wall
		p.Server = m.Server
		p.Code = store.Code{}
	}
	for failures := 1; ; failures++ {
		m.detail = ""
		err := m.enterState(ctx, Paired, "", edit, true)
		if err == nil {
			break
		}
		if errors.Is(err, errChanged) {
			// Someone wrote meanwhile (an unpair of the old pairing):
			// our fresh grant wins.
			if rec, rerr := m.Store.Pairing(ctx); rerr == nil {
				m.rec = rec
			}
			continue
		}
		wait := backoff(time.Second, failures, 30*time.Second)
		m.Logger.Error("saving the pairing", "err", err, "retry_in", wait)
		m.showUnsaved("Approved, but the pairing could not be saved. Retrying.")
		m.beat()
		select {
		case <-ctx.Done():
			return nil
		case <-m.Clock.After(wait):
		}
	}
	m.refreshAt = after(mono, spreadRefresh(refreshIn(m.Client, tokens, wall), m.rand()))
	// Check the new grant at once: RomM wants its binding confirmed.
	m.checkAt, m.checkFails = mono, 0
	m.Logger.Info("paired", "server", m.Server.Issuer, "bound_device_id", m.rec.BoundDeviceID,
		"token_expires_in", tok.ExpiresIn)
	return nil
}

// stepPaired waits until the token needs a refresh or the grant a check,
// and does that.
func (m *Machine) stepPaired(ctx context.Context) error {
	if m.check == nil {
		m.checkAt = forever
	}
	if m.refreshed {
		// The floor under every schedule: whatever the lifetime, the
		// clock or a check says, refreshes are minRefreshGap apart.
		m.refreshAt = max(m.refreshAt, m.lastRefresh+minRefreshGap)
	}
	if err := m.sleepUntil(ctx, min(m.refreshAt, m.checkAt)); err != nil {
		var r *rejectedError
		if errors.As(err, &r) {
			return m.grantRejected(ctx, "a report", r.err)
		}
		return err
	}
	if m.Clock.Mono() < m.refreshAt {
		return m.runCheck(ctx)
	}
	monoStart := m.Clock.Mono()
	m.refreshed, m.lastRefresh = true, monoStart
	// Paired with "token refreshed" below, it brackets the one window in
	// which a kill loses a rotated refresh token.
	m.Logger.Debug("refreshing the token")
	rec, err := refresh(ctx, m.Store, m.Client, m.Clock, m.rec.Rev,
		refreshHooks{onRetry: m.saveRetry, alive: m.beat, aliveEvery: m.WatchEvery})
	if ctx.Err() != nil {
		return nil
	}
	switch {
	case err == nil && State(rec.State) == Paired && !rec.Tokens.IsZero():
		// Refreshed, by us or by a `pairingd token` that got the lock
		// first: either way these are the tokens to keep fresh. Their
		// age is read on the wall clock they were stamped with; however
		// soon that makes them due, the floor above keeps the next
		// refresh minRefreshGap after this one.
		m.rec = rec
		m.errCount = 0
		m.counts.add(func(s *Stats) { s.Refreshes++ })
		m.refreshAt = after(monoStart, spreadRefresh(refreshIn(m.Client, rec.Tokens, m.Clock.Now()), m.rand()))
		m.detail = m.pairedDetail()
		m.unsaved.Store(nil)
		m.Logger.Info("token refreshed", "expires_at", rec.Tokens.ExpiresAt.Format(time.RFC3339))
		m.redraw()
		m.notify()
		return nil
	case err == nil, errors.Is(err, errChanged):
		// Another process unpaired meanwhile.
		return errChanged
	case errors.Is(err, oauth.ErrInvalidGrant), errors.Is(err, errNoRefreshToken):
		// Refresh cleared the grant in the store; adopt that.
		m.Logger.Warn("the grant is gone; pairing again", "err", err)
		return errChanged
	default:
		if rec.Rev > m.rec.Rev && State(rec.State) == Paired && !rec.Tokens.IsZero() {
			// A refused answer whose rotated refresh token was kept: that
			// write is ours, not another process's.
			m.rec = rec
		}
		m.errCount++
		m.counts.add(func(s *Stats) { s.RefreshFailures++ })
		m.counts.failed(err)
		wait := spreadRetry(backoff(10*time.Second, m.errCount, maxErrorBackoff), 5*time.Second, m.rand())
		m.refreshAt = m.Clock.Mono() + wait
		m.Logger.Warn("token refresh failed; keeping the tokens", "err", err, "retry_in", wait)
		sentence, hint := "Can't refresh the token.", ""
		if te := (*oauth.TransientError)(nil); errors.As(err, &te) {
			why, whyHint := m.why(te)
			sentence, hint = sentence+" "+why, whyHint
		}
		m.showUnsaved(retryDetail(sentence, hint, wait))
		m.report("ERROR", "REFRESH_FAILED", "Token refresh failed: "+err.Error())
		return nil
	}
}

// saveRetry is told that new tokens could not be committed and will be
// retried after wait (the lock is held meanwhile, and the watchdog fed),
// and says so on screen.
func (m *Machine) saveRetry(err error, wait time.Duration) {
	m.Logger.Error("saving the refreshed tokens", "err", err, "retry_in", wait)
	m.showUnsaved("The token was refreshed but could not be saved. Retrying.")
}

// maxLimit is the largest N of limits: how many poll times to keep.
func maxLimit(limits []oauth.RateLimit) int {
	n := 0
	for _, l := range limits {
		n = max(n, l.N)
	}
	return n
}

// sleepUntil waits until the monotonic time t. It wakes every WatchEvery to
// look for changes by another process, and returns errChanged when there
// was one, errRenew when the user asked for a new code, and ctx's error when
// ctx ends.
func (m *Machine) sleepUntil(ctx context.Context, t time.Duration) error {
	for {
		d := t - m.Clock.Mono()
		if d <= 0 {
			return nil
		}
		// look: whether to read the record's revision after this wake. With
		// the store telling of changes, only when it told or WatchEvery
		// passed: a read through cgo at every wake costs more wake-ups of
		// the runtime's threads than the wake itself.
		look := true
		select {
		case <-ctx.Done():
			return ctx.Err()
		case k := <-m.pressCh():
			if err := m.press(k); err != nil {
				return err
			}
			continue
		case r := <-m.requests():
			if err := m.take(r); err != nil {
				return err
			}
			continue
		case r := <-m.rejections():
			if m.state == Paired && r.access == m.rec.Tokens.AccessToken {
				return &rejectedError{r.err}
			}
		case <-m.Network:
			if m.waitingForNetwork() {
				return errNetwork
			}
		case <-m.ClockSet:
			if m.waitingForNetwork() {
				m.Logger.Info("the clock was set", "now", m.Clock.Now().Format(time.RFC3339))
				return errNetwork
			}
		case _, ok := <-m.changes:
			if !ok {
				// The store stopped telling: look often again.
				m.changes = nil
				m.WatchEvery = min(m.WatchEvery, pollRecordEvery)
			}
		case <-m.Clock.After(min(d, m.WatchEvery, m.ui.untilConfirmEnds(m.Clock.Mono()))):
			m.confirmEnded()
			look = m.changes == nil || m.Clock.Mono()-m.lookedAt >= m.WatchEvery
		}
		m.beat()
		if !look {
			continue
		}
		m.lookedAt = m.Clock.Mono()
		rev, err := m.Store.Rev(ctx)
		if err == nil && rev != m.rec.Rev {
			return errChanged
		}
	}
}

// networkRetrySpread spreads the retries of a fleet whose network comes
// back together; a single device's code still shows within 2 s.
const networkRetrySpread = time.Second

// waitingForNetwork reports whether the loop waits to retry something
// that failed, which a new network may let through: a code it could not
// get, polls or a refresh that failed.
func (m *Machine) waitingForNetwork() bool {
	switch m.state {
	case Error, Unpaired:
		return m.errCount > 0
	case AwaitingUser:
		return m.ps.Failures > 0
	case Paired:
		return m.errCount > 0
	}
	return false
}

// retrySoon moves the retry the loop waits for to now, spread by up to
// networkRetrySpread, and never sooner than a poll interval after the
// last poll.
func (m *Machine) retrySoon() {
	at := m.Clock.Mono() + time.Duration(m.rand()*float64(networkRetrySpread))
	m.Logger.Info("the network changed; retrying now")
	switch m.state {
	case AwaitingUser:
		m.nextAt = min(m.nextAt, max(at, m.polledAt+m.ps.Interval))
	case Paired:
		m.refreshAt = min(m.refreshAt, at)
	default:
		m.nextAt = min(m.nextAt, at)
	}
}

// why says why te kept the daemon from the server, in a sentence a
// person can act on, and a hint ("" for none): what the network lacks
// when that explains te, the clock when it is too early for any
// certificate to be valid, otherwise te's own words.
func (m *Machine) why(te *oauth.TransientError) (sentence, hint string) {
	if off := m.offline(te); off != "" {
		return "Can't reach the server (" + off + ").", "Check the device's network connection."
	}
	if m.clockUnset(te) {
		return fmt.Sprintf("Waiting for the clock: it says %s, before this software was made, so no certificate can be checked.",
			m.Clock.Now().UTC().Format("2006-01-02")), ""
	}
	return te.Summary(), te.Hint()
}

// clockUnset reports whether te is a certificate outside its validity
// because the wall clock is before the build (a board without a
// real-time clock, before time sync).
func (m *Machine) clockUnset(te *oauth.TransientError) bool {
	return te.Kind() == oauth.FailureCertExpired && m.Clock.Now().Before(m.NotBefore)
}

// offline says what the network lacks when te may come from there
// being none; "" otherwise.
func (m *Machine) offline(te *oauth.TransientError) string {
	if m.Offline == nil {
		return ""
	}
	switch te.Kind() {
	case oauth.FailureNoNetwork, oauth.FailureDNS, oauth.FailureOther, oauth.FailureTimeout:
		return m.Offline()
	}
	return ""
}

// rand is the next random number for a spread, 0 without Rand.
func (m *Machine) rand() float64 {
	if m.Rand == nil {
		return 0
	}
	return m.Rand()
}

// beat tells the watchdog the loop is alive.
func (m *Machine) beat() {
	if m.Heartbeat != nil {
		m.Heartbeat()
	}
}

// enterState is the one transition function, for every state the loop
// arrives at, the stored one it adopts included: it logs old -> new (or the
// state it starts in), persists the record (state, detail and edit in one
// transaction, and nothing when nothing changed), redraws and sends the
// status line. A record another process changed meanwhile returns
// errChanged and changes nothing. With mustPersist, a failed write leaves
// the state as it was and returns the error; otherwise the daemon goes on
// in memory (the store is only a cache of where we are, except for the
// grant). Run's stepFailed handles what it returns.
func (m *Machine) enterState(ctx context.Context, s State, detail string, edit func(*store.Pairing), mustPersist bool) error {
	old := m.state
	next := m.rec
	next.State = int(s)
	if State(m.rec.State) != s || next.StateSince.IsZero() {
		next.StateSince = m.Clock.Now()
	}
	next.Message = detail
	if edit != nil {
		edit(&next)
	}
	if err := m.persist(ctx, next, mustPersist); err != nil {
		return err
	}
	m.state = s
	m.detail = detail
	m.unsaved.Store(nil) // the message is stored with the state
	if s == Paired && detail == "" {
		m.detail = m.pairedDetail()
	}
	first := !m.started
	switch {
	case first:
		m.started = true
		m.Logger.Info("starting in state "+s.String(), "detail", m.detail)
	case old != s:
		m.Logger.Info(fmt.Sprintf("state %s -> %s", old, s), "detail", m.detail)
	}
	m.redraw()
	m.notify()
	if first || old != s {
		m.changed(old, first)
	}
	return nil
}

// persist commits next as the record, unless it is what the record already
// holds; see enterState for the errors.
func (m *Machine) persist(ctx context.Context, next store.Pairing, mustPersist bool) error {
	if next == m.rec {
		return nil
	}
	want := m.rec.Rev
	committed, err := m.Store.Update(ctx, func(p *store.Pairing) error {
		if p.Rev != want {
			return errChanged
		}
		*p = next
		p.Rev = want
		return nil
	})
	switch {
	case errors.Is(err, errChanged):
		return err
	case err != nil && mustPersist:
		return fmt.Errorf("save state %s: %w", State(next.State), err)
	case err != nil:
		m.Logger.Error("saving state", "state", State(next.State), "err", err)
		m.rec = next
	default:
		m.rec = committed
	}
	return nil
}

// clearCode forgets the device code on screen.
func clearCode(p *store.Pairing) { p.Code = store.Code{} }

// clearGrant forgets the code, the tokens and the server's device id; the
// device's own id stays.
func clearGrant(p *store.Pairing) {
	p.Code = store.Code{}
	p.Tokens = store.Tokens{}
	p.BoundDeviceID = ""
	p.PairedAt = time.Time{}
}

// checkVerificationURIs accepts only http and https URLs from the server:
// a phone opens whatever the QR code says. A bad complete URI is dropped
// (the QR code falls back to the plain one); a bad plain one is an error.
func checkVerificationURIs(uri, complete string) (string, string, error) {
	ok := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
			sanitize.Line(s, 0) == s
	}
	if !ok(uri) {
		return "", "", fmt.Errorf("verification_uri %q is not an http(s) URL", sanitize.Line(uri, 80))
	}
	if complete != "" && !ok(complete) {
		complete = ""
	}
	return uri, complete, nil
}
