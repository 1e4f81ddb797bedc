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

// UserCodeAlphabet is the set user codes are drawn from: upper case
// letters and digits without the look-alikes 0, O, 1 and I (RFC 8628 §6.1;
// the seed's alphabet). 32 symbols, so a random byte maps without bias.
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

// deviceGrant is one device authorization (the seed's
// StoredDeviceAuthorization).
type deviceGrant struct {
	deviceCode string // secret: never logged
	userCode   string // XXXX-XXXX
	clientID   string
	scope      string
	status     status
	expiresAt  time.Time
	// lastPoll is meaningful only once polled is set: the first poll has
	// nothing to be too early against.
	lastPoll  time.Time
	polled    bool
	slowDowns int
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
	family    string
	expiresAt time.Time
}

// issued is the result of a successful token request.
type issued struct {
	accessID  string
	access    token
	refreshID string
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
		if now.After(t.expiresAt) {
			delete(s.access, id)
		}
	}
	for id, t := range s.refresh {
		if now.After(t.expiresAt) {
			delete(s.refresh, id)
		}
	}
}

func (s *Server) newDeviceGrant(clientID, scope string) deviceGrant {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	userCode := randomUserCode()
	for s.byUser[normalizeUserCode(userCode)] != nil {
		userCode = randomUserCode()
	}
	g := &deviceGrant{
		deviceCode: randomID("dc_"),
		userCode:   userCode,
		clientID:   clientID,
		scope:      scope,
		expiresAt:  now.Add(s.codeTTL),
	}
	s.byDevice[g.deviceCode] = g
	s.byUser[normalizeUserCode(userCode)] = g
	return *g
}

// pollDeviceCode is one device_code token request, in the seed's order:
// unknown, expired, too early, then the user's decision. It returns the
// user code (public) for logging whenever the device code is known.
func (s *Server) pollDeviceCode(deviceCode, clientID string) (issued, string, *oauthError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	g := s.byDevice[deviceCode]
	if g == nil {
		return issued{}, "", errorf(http.StatusBadRequest, "invalid_grant", "unknown device_code")
	}
	if g.clientID != clientID {
		// RFC 6749 §5.2: "issued to another client" is invalid_grant. No
		// poll state changes: it is not this client's code.
		return issued{}, g.userCode, errorf(http.StatusBadRequest, "invalid_grant", "device_code was issued to another client")
	}
	if now.After(g.expiresAt) {
		return issued{}, g.userCode, errorf(http.StatusBadRequest, "expired_token", "the device code has expired")
	}
	effective := s.interval + time.Duration(g.slowDowns)*slowDownStep
	if g.polled && now.Sub(g.lastPoll) < effective {
		g.slowDowns++
		g.lastPoll = now
		return issued{}, g.userCode, errorf(http.StatusBadRequest, "slow_down",
			"polled sooner than %v after the last poll; the interval is now %v", effective, effective+slowDownStep)
	}
	g.polled = true
	g.lastPoll = now
	switch g.status {
	case pending:
		return issued{}, g.userCode, errorf(http.StatusBadRequest, "authorization_pending", "the user has not yet approved the device")
	case denied:
		return issued{}, g.userCode, errorf(http.StatusBadRequest, "access_denied", "the user denied the device")
	}
	// Approved: the device code is single use.
	delete(s.byDevice, g.deviceCode)
	delete(s.byUser, normalizeUserCode(g.userCode))
	return s.issueLocked(now, token{clientID: g.clientID, scope: g.scope, sub: subject, userCode: g.userCode, family: randomID("")}), g.userCode, nil
}

// issueLocked mints an access and a refresh token for the grant family in
// tmpl.
func (s *Server) issueLocked(now time.Time, tmpl token) issued {
	a, r := tmpl, tmpl
	a.expiresAt = now.Add(s.tokenTTL)
	r.expiresAt = now.Add(s.refreshTTL)
	iss := issued{accessID: randomID("at_"), access: a, refreshID: randomID("rt_"), refresh: r}
	s.access[iss.accessID] = &a
	s.refresh[iss.refreshID] = &r
	return iss
}

// rotateRefresh is a refresh_token grant (RFC 6749 §6). The used refresh
// token dies at once; the new one gets a fresh RefreshTTL. A scope, when
// sent, must not exceed the original.
func (s *Server) rotateRefresh(refreshID, clientID, scope string, hasScope bool) (issued, *oauthError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	t := s.refresh[refreshID]
	if t == nil {
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
	return s.issueLocked(now, tmpl), nil
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
		for id, a := range s.access {
			if a.family == t.family {
				delete(s.access, id)
			}
		}
		for id, r := range s.refresh {
			if r.family == t.family {
				delete(s.refresh, id)
			}
		}
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
	if t == nil {
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

// Approve approves the device authorization of userCode, as the /device
// page's Approve button does. The code is matched case-insensitively,
// with or without the dash. Approving twice is not an error.
func (s *Server) Approve(userCode string) error {
	return s.decide(userCode, approved)
}

// Deny denies the device authorization of userCode, as the /device page's
// Deny button does.
func (s *Server) Deny(userCode string) error {
	return s.decide(userCode, denied)
}

func (s *Server) decide(userCode string, st status) error {
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
	g.status = st
	s.log.Info("device "+st.String(), "user_code", g.userCode, "client_id", g.clientID, "scope", g.scope)
	return nil
}

func verb(st status) string {
	if st == denied {
		return "deny"
	}
	return "approve"
}
