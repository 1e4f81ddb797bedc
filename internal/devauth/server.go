package devauth

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Grant types this server accepts at the token endpoint.
const (
	GrantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	GrantRefreshToken = "refresh_token"
)

// maxBody bounds every request body; real forms here are a few hundred
// bytes.
const maxBody = 64 << 10

// Options configure a Server. Zero values take the documented defaults,
// which depend on the profile.
type Options struct {
	// Issuer is the public base URL, e.g. "http://127.0.0.1:8080"; all
	// endpoint URLs derive from it. A path in it ("http://h/auth") is the
	// prefix the handler serves under. For romm and dfc it is the server's
	// base URL. Required.
	Issuer string
	// Profile is the server to behave like: "rfc8628" (default, RFC 8628
	// as auth-framework does it), "authelia" (stock Authelia 4.39), "romm"
	// (RomM 5 device pairing) or "dfc" (the Data Exporter device API).
	// New panics on any other value.
	Profile string
	// CodeTTL is the device code lifetime; default the profile's (600 s;
	// dfc 900 s).
	CodeTTL time.Duration
	// Interval is the polling interval announced and enforced; default the
	// profile's (5 s; authelia 10 s). The real RomM and Authelia have it
	// fixed; changing it is for tests.
	Interval time.Duration
	// TokenTTL is the access token lifetime; default 300 s (short, so that
	// clients exercise refresh), authelia 1 h. RomM client tokens ignore
	// it: the approver picks their expiry.
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime, renewed on each rotation;
	// default 30 days, authelia 90 minutes (its default lifespan).
	RefreshTTL time.Duration
	// ClientSecret, when set, makes every client confidential: the token
	// and revocation endpoints (and device authorization) require
	// client_secret_basic or client_secret_post with this secret, whatever
	// the client_id. rfc8628 and authelia only.
	ClientSecret string

	// TokenRateLimits are authelia's per-IP limits on its token endpoint,
	// counting every answer other than 200. nil means Authelia's defaults
	// (30 per minute, 50 per 10 minutes, 100 per hour); an empty, non-nil
	// slice means no limit.
	TokenRateLimits []RateLimit
	// RequireAudience, for authelia, is the one audience the client is
	// registered with: device authorization without it, or with any other
	// value, is invalid_request. Empty accepts any audience or none.
	RequireAudience string

	// RommVersion is what romm's GET /api/heartbeat reports as
	// SYSTEM.VERSION; default "5.2.0". Set "4.3.0" to test the fallback
	// for servers without device pairing.
	RommVersion string
	// ForbidAfterApproval makes romm's authenticated endpoints answer 403
	// for this long after a token's approval, as RomM briefly does with a
	// fresh token; default 0.
	ForbidAfterApproval time.Duration
	// RommInitLimit and RommPollLimit are romm's per-IP fixed windows on
	// init and token polls; defaults 10 and 60 per 60 s.
	RommInitLimit RateLimit
	RommPollLimit RateLimit

	// SiteDomain is dfc's default site on the approval page; default
	// "site1.example.com".
	SiteDomain string
	// JWTTTL is the lifetime of dfc's JWTs (expiresIn); default 86400 s.
	JWTTTL time.Duration

	// Now is the clock; default time.Now. It is used for every time
	// decision, so tests can advance it (or run in a synctest bubble).
	Now func() time.Time
	// Logger receives one line per device authorization, decision and
	// token issue; default discards. It never sees device codes, tokens or
	// client secrets.
	Logger *slog.Logger
}

// Server is the authorization server, an http.Handler. It is safe for
// concurrent use.
type Server struct {
	prof       *profile
	issuer     string
	prefix     string // path of issuer, "" or "/something"
	codeTTL    time.Duration
	interval   time.Duration
	tokenTTL   time.Duration
	refreshTTL time.Duration
	secret     string
	now        func() time.Time
	log        *slog.Logger

	mu          sync.Mutex
	polls       int
	byDevice    map[string]*deviceGrant // key: device code
	byUser      map[string]*deviceGrant // key: normalized user code
	access      map[string]*token
	refresh     map[string]*token
	usedRefresh map[string]*token // rotated refresh tokens, for reuse detection

	authelia autheliaState
	romm     rommState
	dfc      dfcState
}

// New returns a Server for o. It panics if o.Issuer is not an absolute
// http(s) URL or o.Profile is unknown, since that is a programming error
// in a test or main.
func New(o Options) *Server {
	u, err := url.Parse(strings.TrimRight(o.Issuer, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		panic(fmt.Sprintf("devauth.New: Issuer %q is not an absolute http(s) URL without query", o.Issuer))
	}
	prof, ok := lookupProfile(o.Profile)
	if !ok {
		panic(fmt.Sprintf("devauth.New: unknown Profile %q (want one of %s)", o.Profile, strings.Join(Profiles, ", ")))
	}
	s := &Server{
		prof:        prof,
		issuer:      u.String(),
		prefix:      u.Path,
		codeTTL:     orDefault(o.CodeTTL, prof.codeTTL),
		interval:    orDefault(o.Interval, prof.interval),
		tokenTTL:    orDefault(o.TokenTTL, prof.tokenTTL),
		refreshTTL:  orDefault(o.RefreshTTL, prof.refreshTTL),
		secret:      o.ClientSecret,
		now:         o.Now,
		log:         o.Logger,
		byDevice:    make(map[string]*deviceGrant),
		byUser:      make(map[string]*deviceGrant),
		access:      make(map[string]*token),
		refresh:     make(map[string]*token),
		usedRefresh: make(map[string]*token),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.authelia = newAutheliaState(o)
	s.romm = newRommState(o)
	s.dfc = newDFCState(o)
	return s
}

// Profile returns the profile name.
func (s *Server) Profile() string { return s.prof.name }

// ProfileDescription says in a few words which server the profile
// emulates.
func (s *Server) ProfileDescription() string { return s.prof.description }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Issuer returns the issuer URL, without a trailing slash.
func (s *Server) Issuer() string { return s.issuer }

// VerificationURI returns the URL of the profile's own page where users
// approve devices (rfc8628 /device, authelia
// /consent/openid/device-authorization, romm /pair/device, dfc
// /device-verify). /device works in every profile.
func (s *Server) VerificationURI() string { return s.issuer + s.prof.verificationPath }

// Polls returns the number of device_code token requests received so far,
// whatever their outcome.
func (s *Server) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// ServeHTTP routes a request to one of the endpoints: /device (every
// profile), then the profile's own.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if path == "/device" {
		if !allow(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
			return
		}
		if r.Method == http.MethodPost {
			s.serveDeviceDecision(w, r)
			return
		}
		s.serveDevicePage(w, r)
		return
	}
	if path != "/" && path == s.prof.verificationPath {
		if allow(w, r, http.MethodGet, http.MethodHead) {
			s.serveDevicePage(w, r)
		}
		return
	}
	if !s.prof.serve(s, w, r, path) {
		http.NotFound(w, r)
	}
}

// serveRFC8628 is the rfc8628 profile's routing.
func serveRFC8628(s *Server, w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return true
		}
		s.serveMetadata(w)
	case "/device_authorization":
		if !allow(w, r, http.MethodPost) {
			return true
		}
		s.serveDeviceAuthorization(w, r)
	case "/token":
		if !allow(w, r, http.MethodPost) {
			return true
		}
		s.serveToken(w, r)
	case "/revoke":
		if !allow(w, r, http.MethodPost) {
			return true
		}
		s.serveRevoke(w, r)
	case "/userinfo":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return true
		}
		s.serveUserinfo(w, r)
	default:
		return false
	}
	return true
}

// allow answers 405 with an Allow header unless r.Method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// metadata is the RFC 8414 / OpenID Connect Discovery document.
type metadata struct {
	Issuer                            string   `json:"issuer"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
}

func (s *Server) serveMetadata(w http.ResponseWriter) {
	// Without a secret every client is public ("none"); with one, "none"
	// is refused, so advertising it would send clients into a 401.
	auth := []string{"none"}
	if s.secret != "" {
		auth = []string{"client_secret_basic", "client_secret_post"}
	}
	writeJSON(w, http.StatusOK, metadata{
		Issuer:                            s.issuer,
		DeviceAuthorizationEndpoint:       s.issuer + "/device_authorization",
		TokenEndpoint:                     s.issuer + "/token",
		RevocationEndpoint:                s.issuer + "/revoke",
		UserinfoEndpoint:                  s.issuer + "/userinfo",
		GrantTypesSupported:               []string{GrantDeviceCode, GrantRefreshToken},
		TokenEndpointAuthMethodsSupported: auth,
		RevocationEndpointAuthMethods:     auth,
		// RFC 8414 makes this field required; there is no authorization
		// endpoint, so the only honest value is "none" (OAuth 2.0
		// Multiple Response Type Encoding Practices §4).
		ResponseTypesSupported: []string{"none"},
		SubjectTypesSupported:  []string{"public"},
	})
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errorf(status int, code, format string, args ...any) *oauthError {
	return &oauthError{status: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

// writeOAuthError writes err as RFC 6749 §5.2 JSON. A 401 carries the
// WWW-Authenticate challenge §5.2 asks for.
func writeOAuthError(w http.ResponseWriter, err *oauthError) {
	if err.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="devauth"`)
	}
	writeJSON(w, err.status, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled; this cannot happen.
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// RFC 6749 §5.1: token responses must not be cached; nothing this
	// server says should be.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readForm reads an application/x-www-form-urlencoded body. Query
// parameters are not looked at: RFC 6749 §3.2 wants POST bodies, and
// credentials in URLs end up in logs. A parameter sent twice is an error
// (RFC 6749 §3.1).
func readForm(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errorf(http.StatusBadRequest, "invalid_request",
			"request body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "invalid_request",
				"request body larger than %d bytes", maxBody)
		}
		return nil, errorf(http.StatusBadRequest, "invalid_request", "reading request body: %v", err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "parsing form body: %v", err)
	}
	for k, v := range form {
		if len(v) > 1 && !slices.Contains(repeatable, k) {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "parameter %q sent more than once", k)
		}
	}
	return form, nil
}

// authenticateClient returns the client_id of the request (RFC 6749
// §2.3.1). Without a configured secret every client is public and only
// identified; with one, it must present the secret by exactly one method.
// needID says whether a public client must name itself; it may return ""
// only when needID is false.
func (s *Server) authenticateClient(r *http.Request, form url.Values, needID bool) (string, *oauthError) {
	formID := form.Get("client_id")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic {
		// §2.3.1: both parts are form-urlencoded before base64.
		basicID = formUnescape(basicID)
		basicSecret = formUnescape(basicSecret)
		if formID != "" && formID != basicID {
			return "", errorf(http.StatusBadRequest, "invalid_request",
				"client_id in the form differs from the one in the Authorization header")
		}
	}
	id := formID
	if hasBasic {
		id = basicID
	}
	if s.secret == "" {
		if id == "" && needID {
			return "", errorf(http.StatusBadRequest, "invalid_request", "missing client_id")
		}
		return id, nil
	}
	_, hasPost := form["client_secret"]
	var got string
	switch {
	case hasBasic && hasPost:
		return "", errorf(http.StatusBadRequest, "invalid_request",
			"client authenticated with more than one method")
	case hasBasic:
		got = basicSecret
	case hasPost:
		got = form.Get("client_secret")
	default:
		return "", errorf(http.StatusUnauthorized, "invalid_client", "client authentication required")
	}
	if id == "" {
		return "", errorf(http.StatusBadRequest, "invalid_request", "missing client_id")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.secret)) != 1 {
		return "", errorf(http.StatusUnauthorized, "invalid_client", "client authentication failed")
	}
	return id, nil
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// seconds rounds d up to whole seconds, at least 1, for expires_in and
// interval: a zero would mean "use the default" to a client.
func seconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// deviceAuthResponse is RFC 8628 §3.2.
type deviceAuthResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (s *Server) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	form, oerr := readForm(w, r)
	if oerr == nil {
		var clientID string
		clientID, oerr = s.authenticateClient(r, form, true)
		if oerr == nil {
			g := s.newDeviceGrant(clientID, form.Get("scope"), nil)
			s.log.Info("device authorization", "user_code", g.userCode, "client_id", clientID, "scope", g.scope)
			writeJSON(w, http.StatusOK, deviceAuthResponse{
				DeviceCode:              g.deviceCode,
				UserCode:                g.userCode,
				VerificationURI:         s.VerificationURI(),
				VerificationURIComplete: s.VerificationURI() + "?user_code=" + url.QueryEscape(g.userCode),
				ExpiresIn:               seconds(s.codeTTL),
				Interval:                seconds(s.interval),
			})
			return
		}
	}
	s.log.Debug("device authorization refused", "error", oerr.Code, "description", oerr.Description)
	writeOAuthError(w, oerr)
}

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	resp, oerr := s.token(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) (*tokenResponse, *oauthError) {
	form, oerr := readForm(w, r)
	if oerr != nil {
		return nil, oerr
	}
	grant := form.Get("grant_type")
	if grant == "" {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "missing grant_type")
	}
	if grant != GrantDeviceCode && grant != GrantRefreshToken {
		return nil, errorf(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported", grant)
	}
	// A refresh request from a public client may omit client_id (RFC 6749
	// §6 only requires authentication of confidential clients); the device
	// code grant requires it (RFC 8628 §3.4).
	clientID, oerr := s.authenticateClient(r, form, grant == GrantDeviceCode)
	if oerr != nil {
		if grant == GrantDeviceCode {
			s.countPoll()
		}
		return nil, oerr
	}
	var iss issued
	switch grant {
	case GrantDeviceCode:
		dc := form.Get("device_code")
		if dc == "" {
			s.countPoll()
			return nil, errorf(http.StatusBadRequest, "invalid_request", "missing device_code")
		}
		p := s.pollGrant(dc, clientID, true)
		s.log.Debug("device code poll", "result", p.outcome.String(), "user_code", p.grant.userCode)
		if p.outcome != pollApproved {
			return nil, rfc8628PollError(p)
		}
		g := p.grant
		iss = s.issue(token{clientID: g.clientID, scope: g.scope, sub: subject, userCode: g.userCode, family: randomID("")}, rfc8628Tokens, true)
	case GrantRefreshToken:
		rt := form.Get("refresh_token")
		if rt == "" {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "missing refresh_token")
		}
		iss, oerr = s.rotateRefresh(rt, clientID, form.Get("scope"), form.Has("scope"), refreshRules{kinds: rfc8628Tokens})
		if oerr != nil {
			s.log.Info("refresh refused", "error", oerr.Code, "description", oerr.Description)
			return nil, oerr
		}
	}
	s.log.Info("tokens issued", "grant", grant, "user_code", iss.access.userCode,
		"client_id", iss.access.clientID, "scope", iss.access.scope)
	return &tokenResponse{
		AccessToken:  iss.accessID,
		TokenType:    "Bearer",
		ExpiresIn:    seconds(s.tokenTTL),
		RefreshToken: iss.refreshID,
		Scope:        iss.access.scope,
	}, nil
}

// rfc8628Tokens are the rfc8628 profile's token prefixes.
var rfc8628Tokens = tokenKinds{access: "at_", refresh: "rt_"}

// countPoll counts a device_code token request that never reached the
// code lifecycle (which counts the others).
func (s *Server) countPoll() {
	s.mu.Lock()
	s.polls++
	s.mu.Unlock()
}

// rfc8628PollError maps a poll outcome to RFC 8628 §3.5 / RFC 6749 §5.2.
func rfc8628PollError(p pollResult) *oauthError {
	switch p.outcome {
	case pollWrongClient:
		return errorf(http.StatusBadRequest, "invalid_grant", "device_code was issued to another client")
	case pollExpired:
		return errorf(http.StatusBadRequest, "expired_token", "the device code has expired")
	case pollSlowDown:
		return errorf(http.StatusBadRequest, "slow_down",
			"polled sooner than %v after the last poll; the interval is now %v", p.interval-slowDownStep, p.interval)
	case pollPending:
		return errorf(http.StatusBadRequest, "authorization_pending", "the user has not yet approved the device")
	case pollDenied:
		return errorf(http.StatusBadRequest, "access_denied", "the user denied the device")
	}
	return errorf(http.StatusBadRequest, "invalid_grant", "unknown device_code")
}

func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	form, oerr := readForm(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	// RFC 7009 §2.1: confidential clients authenticate; public clients
	// need not even name themselves.
	clientID, oerr := s.authenticateClient(r, form, false)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeOAuthError(w, errorf(http.StatusBadRequest, "invalid_request", "missing token"))
		return
	}
	// token_type_hint is only a hint (RFC 7009 §2.1); both kinds are
	// looked up whatever it says.
	if kind, userCode := s.revoke(tok, clientID); kind != "" {
		s.log.Info("token revoked", "kind", kind, "user_code", userCode)
	}
	// §2.2: 200 also for unknown or already invalid tokens.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// userinfo is the OpenID Connect UserInfo response, minus what a
// development server cannot know.
type userinfo struct {
	Sub      string `json:"sub"`
	Name     string `json:"name"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
}

func (s *Server) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		// RFC 6750 §3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="devauth"`)
		http.Error(w, "missing bearer token", http.StatusUnauthorized)
		return
	}
	t, ok := s.lookupAccess(strings.TrimSpace(tok))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devauth", error="invalid_token", error_description="the access token is unknown, expired or revoked"`)
		http.Error(w, "invalid access token", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, userinfo{Sub: t.sub, Name: "Demo User", ClientID: t.clientID, Scope: t.scope})
}
