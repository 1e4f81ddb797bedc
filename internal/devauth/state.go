package devauth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// UserCodeAlphabet is the set user codes are drawn from: upper case letters
// and digits without the look-alikes 0, O, 1 and I (RFC 8628 §6.1). 32
// symbols, so a random byte maps without bias.
const UserCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// slowDownStep is what each slow_down adds to the interval, for this and
// every later poll (RFC 8628 §3.5).
const slowDownStep = 5 * time.Second

// subject is the one user this server knows.
const subject = "demo-user"

// Errors of Approve and Deny, also behind the /device page's answers.
var (
	ErrUnknownUserCode = errors.New("unknown user code")
	ErrExpiredUserCode = errors.New("user code expired")
	ErrAlreadyDecided  = errors.New("the device was already approved or denied")
)

type status int

const (
	pending status = iota
	approved
	denied
)

func (st status) String() string {
	switch st {
	case approved:
		return "approved"
	case denied:
		return "denied"
	}
	return "pending"
}

// deviceGrant is one device authorization as the server stores it. Every
// profile keeps its codes here; only the wire format around them differs.
type deviceGrant struct {
	deviceCode string // secret: never logged
	userCode   string // as shown to the user
	clientID   string // client_id, or what the profile shows in its place
	scope      string // space-separated, for the page and the logs
	status     status
	expiresAt  time.Time
	decidedAt  time.Time
	// lastPoll is meaningful only once polled is set: the first poll has
	// nothing to be too early against.
	lastPoll  time.Time
	polled    bool
	slowDowns int
	// extra is the profile's request data (romm's init body, dfc's client
	// metadata); result is what approval produced for the one poll that
	// collects it (romm's token, dfc's site secret).
	extra  any
	result any
}

// token is an access or refresh token's record; its value is the map key.
type token struct {
	clientID string
	scope    string
	sub      string
	userCode string // of the device authorization it descends from, for logs
	// family is shared by every token descending from one device
	// authorization; revoking a refresh token revokes the family (RFC 7009
	// §2.1).
	family string
	// expiresAt zero means the token never expires (RomM's "never").
	expiresAt time.Time
	issuedAt  time.Time
	// deviceID is the RomM device a client token is bound to, "" when
	// unbound.
	deviceID string
}

func (t *token) expired(now time.Time) bool {
	return !t.expiresAt.IsZero() && now.After(t.expiresAt)
}

// issued is the result of a successful token request.
type issued struct {
	accessID  string
	access    token
	refreshID string // "" when no refresh token was issued
	refresh   token
}

// randomID returns prefix and 32 hex digits of crypto randomness.
func randomID(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return prefix + hex.EncodeToString(b[:])
}

func randomUserCode() string {
	var b [8]byte
	rand.Read(b[:])
	code := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, UserCodeAlphabet[c&31])
	}
	return string(code)
}

// normalizeUserCode makes what a user typed comparable: case-insensitive,
// with or without the dash or spaces (RFC 8628 §6.1 suggests ignoring
// punctuation).
func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(s))
}

// sweepLocked drops what has expired. Device grants are kept for one
// more CodeTTL after expiry so that a late poll gets expired_token, not
// invalid_grant, as RFC 8628 §3.5 wants.
func (s *Server) sweepLocked(now time.Time) {
	for dc, g := range s.byDevice {
		if now.After(g.expiresAt.Add(s.codeTTL)) {
			delete(s.byDevice, dc)
			delete(s.byUser, normalizeUserCode(g.userCode))
		}
	}
	for id, t := range s.access {
		if t.expired(now) {
			delete(s.access, id)
		}
	}
	for id, t := range s.refresh {
		if t.expired(now) {
			delete(s.refresh, id)
		}
	}
	for id, t := range s.usedRefresh {
		if t.expired(now) {
			delete(s.usedRefresh, id)
		}
	}
}

// newDeviceGrant issues a device code and a user code in the profile's
// formats. extra is the profile's request data.
func (s *Server) newDeviceGrant(clientID, scope string, extra any) deviceGrant {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	userCode := s.prof.newUserCode()
	for s.byUser[normalizeUserCode(userCode)] != nil {
		userCode = s.prof.newUserCode()
	}
	g := &deviceGrant{
		deviceCode: s.prof.newDeviceCode(),
		userCode:   userCode,
		clientID:   clientID,
		scope:      scope,
		expiresAt:  now.Add(s.codeTTL),
		extra:      extra,
	}
	s.byDevice[g.deviceCode] = g
	s.byUser[normalizeUserCode(userCode)] = g
	return *g
}

// slowDownRule is how a profile paces polls of one device code.
type slowDownRule int

const (
	// slowDownRFC is RFC 8628 §3.5 as auth-framework does it: any poll
	// sooner than the interval after the previous one is slow_down, and
	// each slow_down adds 5 s for this and all later polls.
	slowDownRFC slowDownRule = iota
	// slowDownStrict is RomM's: only pending codes are paced, every
	// pending poll (slow_down ones too) records its time, and the interval
	// never grows.
	slowDownStrict
	// slowDownNever is Authelia's as measured: it never answers slow_down.
	slowDownNever
)

// pollRules are the code-lifecycle differences between profiles.
type pollRules struct {
	slowDown slowDownRule
	// expiredPending: an expired, undecided code keeps answering
	// authorization_pending (Authelia) instead of expired_token.
	expiredPending bool
	// deniedTTL, when set, forgets a denied code that long after the
	// decision (RomM keeps it 60 s), so later polls see an unknown code.
	deniedTTL time.Duration
}

// pollOutcome is the lifecycle's answer to one poll; profiles map it to
// their wire format.
type pollOutcome int

const (
	pollUnknown     pollOutcome = iota // never issued, consumed or forgotten
	pollWrongClient                    // issued to another client_id
	pollExpired
	pollSlowDown
	pollPending
	pollDenied
	pollApproved // the grant is consumed: it works once
)

func (o pollOutcome) String() string {
	return [...]string{"unknown", "wrong_client", "expired", "slow_down", "pending", "denied", "approved"}[o]
}

// pollResult is a poll's outcome with a copy of the grant (zero when
// unknown) and, for slow_down, the interval now in force.
type pollResult struct {
	outcome  pollOutcome
	grant    deviceGrant
	interval time.Duration
}

// pollGrant is one poll of deviceCode, checked in this order: unknown,
// other client, expired, too early, then the user's decision. clientID is
// checked only when checkClient is set (RomM and DFC have no client_id). An
// approved grant is removed, so exactly one poll collects it.
func (s *Server) pollGrant(deviceCode, clientID string, checkClient bool) pollResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	now := s.now()
	s.sweepLocked(now)
	rules := s.prof.poll
	g := s.byDevice[deviceCode]
	if g == nil {
		return pollResult{outcome: pollUnknown}
	}
	if checkClient && g.clientID != clientID {
		// RFC 6749 §5.2: "issued to another client" is invalid_grant. No
		// poll state changes: it is not this client's code.
		return pollResult{outcome: pollWrongClient, grant: *g}
	}
	if g.status == denied && rules.deniedTTL > 0 && now.Sub(g.decidedAt) >= rules.deniedTTL {
		s.dropLocked(g)
		return pollResult{outcome: pollUnknown}
	}
	if now.After(g.expiresAt) && !(rules.expiredPending && g.status == pending) {
		return pollResult{outcome: pollExpired, grant: *g}
	}
	effective := s.interval + time.Duration(g.slowDowns)*slowDownStep
	early := g.polled && now.Sub(g.lastPoll) < effective
	switch rules.slowDown {
	case slowDownRFC:
		g.polled, g.lastPoll = true, now
		if early {
			g.slowDowns++
			return pollResult{outcome: pollSlowDown, grant: *g, interval: effective + slowDownStep}
		}
	case slowDownStrict:
		if g.status == pending {
			g.polled, g.lastPoll = true, now
			if early {
				return pollResult{outcome: pollSlowDown, grant: *g, interval: effective}
			}
		}
	case slowDownNever:
		g.polled, g.lastPoll = true, now
	}
	switch g.status {
	case pending:
		return pollResult{outcome: pollPending, grant: *g}
	case denied:
		return pollResult{outcome: pollDenied, grant: *g}
	}
	s.dropLocked(g)
	return pollResult{outcome: pollApproved, grant: *g}
}

func (s *Server) dropLocked(g *deviceGrant) {
	delete(s.byDevice, g.deviceCode)
	if s.byUser[normalizeUserCode(g.userCode)] == g {
		delete(s.byUser, normalizeUserCode(g.userCode))
	}
}

// tokenKinds names the prefixes of the tokens a profile mints.
type tokenKinds struct {
	access, refresh string
}

// issue mints an access token and, when withRefresh, a refresh token for
// the grant family in tmpl.
func (s *Server) issue(tmpl token, kinds tokenKinds, withRefresh bool) issued {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(s.now(), tmpl, kinds, withRefresh)
}

func (s *Server) issueLocked(now time.Time, tmpl token, kinds tokenKinds, withRefresh bool) issued {
	a := tmpl
	a.issuedAt = now
	a.expiresAt = now.Add(s.tokenTTL)
	iss := issued{accessID: randomID(kinds.access), access: a}
	s.access[iss.accessID] = &a
	if withRefresh {
		r := tmpl
		r.issuedAt = now
		r.expiresAt = now.Add(s.refreshTTL)
		iss.refreshID, iss.refresh = randomID(kinds.refresh), r
		s.refresh[iss.refreshID] = &r
	}
	return iss
}

// refreshRules are the refresh differences between profiles.
type refreshRules struct {
	kinds tokenKinds
	// reuseRevokesFamily: presenting a rotated refresh token again revokes
	// every token of its family (Authelia, RFC 9700 §4.14.2); without it a
	// reuse is only invalid_grant.
	reuseRevokesFamily bool
	// revokeOldAccess: a refresh revokes the family's earlier access
	// tokens (Authelia).
	revokeOldAccess bool
	// withRefresh decides from the scope whether a new refresh token is
	// issued; nil means always.
	withRefresh func(scope string) bool
}

// rotateRefresh is a refresh_token grant (RFC 6749 §6). The used refresh
// token dies at once; the new one gets a fresh RefreshTTL. A scope, when
// sent, must not exceed the original.
func (s *Server) rotateRefresh(refreshID, clientID, scope string, hasScope bool, rules refreshRules) (issued, *oauthError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	t := s.refresh[refreshID]
	if t == nil {
		if used := s.usedRefresh[refreshID]; used != nil && rules.reuseRevokesFamily {
			delete(s.usedRefresh, refreshID)
			s.revokeFamilyLocked(used.family)
			s.log.Warn("rotated refresh token reused: token family revoked", "user_code", used.userCode)
			return issued{}, errorf(http.StatusBadRequest, "invalid_grant", "the refresh token was already used; every token of this grant is revoked")
		}
		return issued{}, errorf(http.StatusBadRequest, "invalid_grant", "unknown, expired, used or revoked refresh_token")
	}
	if clientID != "" && clientID != t.clientID {
		return issued{}, errorf(http.StatusBadRequest, "invalid_grant", "refresh_token was issued to another client")
	}
	tmpl := *t
	if hasScope {
		if !subset(scope, t.scope) {
			return issued{}, errorf(http.StatusBadRequest, "invalid_scope", "requested scope exceeds the scope originally granted")
		}
		tmpl.scope = scope
	}
	delete(s.refresh, refreshID)
	if rules.reuseRevokesFamily {
		s.usedRefresh[refreshID] = t
	}
	if rules.revokeOldAccess {
		for id, a := range s.access {
			if a.family == t.family {
				delete(s.access, id)
			}
		}
	}
	withRefresh := rules.withRefresh == nil || rules.withRefresh(tmpl.scope)
	return s.issueLocked(now, tmpl, rules.kinds, withRefresh), nil
}

func (s *Server) revokeFamilyLocked(family string) {
	for id, a := range s.access {
		if a.family == family {
			delete(s.access, id)
		}
	}
	for id, r := range s.refresh {
		if r.family == family {
			delete(s.refresh, id)
		}
	}
}

// subset reports whether every space-separated scope in a is in b.
func subset(a, b string) bool {
	have := make(map[string]bool)
	for _, sc := range strings.Fields(b) {
		have[sc] = true
	}
	for _, sc := range strings.Fields(a) {
		if !have[sc] {
			return false
		}
	}
	return true
}

// revoke revokes tok if it is a live token of clientID (any client when
// clientID is empty). It returns which kind it was, "" when none.
func (s *Server) revoke(tok, clientID string) (kind, userCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	mine := func(t *token) bool { return t != nil && (clientID == "" || clientID == t.clientID) }
	if t := s.access[tok]; mine(t) {
		delete(s.access, tok)
		return "access_token", t.userCode
	}
	if t := s.refresh[tok]; mine(t) {
		s.revokeFamilyLocked(t.family)
		return "refresh_token", t.userCode
	}
	return "", ""
}

// lookupAccess returns a copy of the live access token tok.
func (s *Server) lookupAccess(tok string) (token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	t := s.access[tok]
	if t == nil || t.expired(s.now()) {
		return token{}, false
	}
	return *t, true
}

// lookupUserCode returns a copy of the pending, unexpired grant for a user
// code, for the verification page.
func (s *Server) lookupUserCode(userCode string) (deviceGrant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	g := s.byUser[normalizeUserCode(userCode)]
	if g == nil || g.status != pending || now.After(g.expiresAt) {
		return deviceGrant{}, false
	}
	return *g, true
}

// approval is what the person approving chose on the page; the zero
// value takes the profile's defaults (RomM: never expires; DFC: the
// default site).
type approval struct {
	expiry string // RomM: 30d, 90d, 1y or never
	site   string // DFC: the site (domain) the device joins
}

// Approve approves the device authorization of userCode, as the /device
// page's Approve button does, with the profile's defaults. The code is
// matched case-insensitively, with or without the dash. Approving twice is
// not an error.
func (s *Server) Approve(userCode string) error {
	return s.decide(userCode, approved, approval{})
}

// Deny denies the device authorization of userCode, as the /device page's
// Deny button does.
func (s *Server) Deny(userCode string) error {
	return s.decide(userCode, denied, approval{})
}

// ErrBadApproval is returned when the page's choices (RomM expiry, DFC
// site) are not valid.
var ErrBadApproval = errors.New("invalid approval choice")

func (s *Server) decide(userCode string, st status, a approval) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	g := s.byUser[normalizeUserCode(userCode)]
	switch {
	case g == nil:
		return fmt.Errorf("%s device: %w", verb(st), ErrUnknownUserCode)
	case now.After(g.expiresAt):
		return fmt.Errorf("%s device %s: %w", verb(st), g.userCode, ErrExpiredUserCode)
	case g.status == st:
		return nil
	case g.status != pending:
		return fmt.Errorf("%s device %s: %w (%v)", verb(st), g.userCode, ErrAlreadyDecided, g.status)
	}
	if st == approved && s.prof.onApprove != nil {
		// Like RomM and DFC, approval itself creates what the device
		// collects (token, device, site secret).
		res, err := s.prof.onApprove(s, g, a, now)
		if err != nil {
			return fmt.Errorf("approve device %s: %w", g.userCode, err)
		}
		g.result = res
	}
	g.status = st
	g.decidedAt = now
	s.log.Info("device "+st.String(), "user_code", g.userCode, "client_id", g.clientID, "scope", g.scope)
	return nil
}

func verb(st status) string {
	if st == denied {
		return "deny"
	}
	return "approve"
}
