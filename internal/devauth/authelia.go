package devauth

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The authelia profile is stock Authelia 4.39 as measured, where that
// differs from what its library code suggests:
//   - endpoints under /api/oidc, both discovery documents, form bodies,
//     public clients (client_id only), the consent page at
//     /consent/openid/device-authorization;
//   - user codes of 8 consonants, no dash; interval a fixed 10 s;
//     expires_in counts the seconds remaining (599 or 600);
//   - polling never answers slow_down or expired_token: an expired code
//     stays authorization_pending; a denied, used or unknown code answers
//     HTTP 500 {"error":"server_error"};
//   - the token endpoint is rate limited per client IP, counting every
//     answer other than 200, with 429, Retry-After and
//     temporarily_unavailable;
//   - token_type "bearer"; a refresh token only with offline_access (or
//     offline); refresh rotates with no grace period and a reused refresh
//     token revokes its whole family;
//   - the scope authelia.bearer.authz is refused for a device code client
//     (Authelia refuses to even start with such a client).
//
// Real Authelia serves HTTPS only and matches user codes case-sensitively;
// this server also serves http (for loopback tests) and its /device page
// stays case-insensitive like every profile's.
var autheliaProfile = profile{
	name:             ProfileAuthelia,
	description:      "Authelia 4.39 OpenID Connect device authorization",
	verificationPath: "/consent/openid/device-authorization",
	newUserCode:      func() string { return codeFrom(autheliaUserCodeAlphabet, 8) },
	newDeviceCode:    func() string { return randomID("authelia_dc_") },
	codeTTL:          600 * time.Second,
	interval:         10 * time.Second,
	tokenTTL:         time.Hour,
	refreshTTL:       90 * time.Minute,
	poll:             pollRules{slowDown: slowDownNever, expiredPending: true},
	serve:            serveAuthelia,
}

// autheliaUserCodeAlphabet is Authelia's (strategy_hmac.go): consonants.
const autheliaUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// autheliaBearerAuthz is the scope a device code client may not have.
const autheliaBearerAuthz = "authelia.bearer.authz"

var autheliaTokens = tokenKinds{access: "authelia_at_", refresh: "authelia_rt_"}

// DefaultAutheliaTokenRateLimits are Authelia's default token endpoint
// limits.
var DefaultAutheliaTokenRateLimits = []RateLimit{
	{Period: time.Minute, Requests: 30},
	{Period: 10 * time.Minute, Requests: 50},
	{Period: time.Hour, Requests: 100},
}

type autheliaState struct {
	limiter         *slidingLimiter
	requireAudience string
	jwt             jwtSigner
}

func newAutheliaState(o Options) autheliaState {
	limits := o.TokenRateLimits
	if limits == nil {
		limits = DefaultAutheliaTokenRateLimits
	}
	return autheliaState{
		limiter:         newSlidingLimiter(slices.Clone(limits)),
		requireAudience: o.RequireAudience,
		jwt:             newJWTSigner(),
	}
}

func serveAuthelia(s *Server, w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			s.serveAutheliaMetadata(w)
		}
	case "/api/oidc/device-authorization":
		if allow(w, r, http.MethodPost) {
			s.serveAutheliaDeviceAuthorization(w, r)
		}
	case "/api/oidc/token":
		if allow(w, r, http.MethodPost) {
			s.serveAutheliaToken(w, r)
		}
	case "/api/oidc/revocation":
		if allow(w, r, http.MethodPost) {
			s.serveRevoke(w, r)
		}
	case "/api/oidc/userinfo":
		if allow(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
			s.serveUserinfo(w, r)
		}
	default:
		return false
	}
	return true
}

func (s *Server) serveAutheliaMetadata(w http.ResponseWriter) {
	auth := []string{"none"}
	if s.secret != "" {
		auth = []string{"client_secret_basic", "client_secret_post"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                     s.issuer,
		"jwks_uri":                                   s.issuer + "/jwks.json",
		"authorization_endpoint":                     s.issuer + "/api/oidc/authorization",
		"device_authorization_endpoint":              s.issuer + "/api/oidc/device-authorization",
		"token_endpoint":                             s.issuer + "/api/oidc/token",
		"revocation_endpoint":                        s.issuer + "/api/oidc/revocation",
		"userinfo_endpoint":                          s.issuer + "/api/oidc/userinfo",
		"grant_types_supported":                      []string{"authorization_code", "implicit", "client_credentials", "refresh_token", GrantDeviceCode},
		"response_types_supported":                   []string{"code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token", "none"},
		"scopes_supported":                           []string{"offline_access", "openid", "profile", "groups", "email", "address", "phone", autheliaBearerAuthz},
		"subject_types_supported":                    []string{"public", "pairwise"},
		"token_endpoint_auth_methods_supported":      auth,
		"revocation_endpoint_auth_methods_supported": auth,
		"id_token_signing_alg_values_supported":      []string{"HS256"},
		"claims_parameter_supported":                 false,
		"request_uri_parameter_supported":            false,
		"require_pushed_authorization_requests":      false,
	})
}

func (s *Server) serveAutheliaDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	// audience may be repeated or space-delimited.
	form, oerr := readForm(w, r, "audience")
	if oerr == nil {
		var clientID string
		clientID, oerr = s.authenticateClient(r, form, true)
		if oerr == nil {
			var scope string
			scope, oerr = s.autheliaScope(form.Get("scope"), form["audience"])
			if oerr == nil {
				g := s.newDeviceGrant(clientID, scope, nil)
				s.log.Info("device authorization", "user_code", g.userCode, "client_id", clientID, "scope", scope)
				remaining := g.expiresAt.Sub(s.now())
				writeJSON(w, http.StatusOK, deviceAuthResponse{
					DeviceCode:              g.deviceCode,
					UserCode:                g.userCode,
					VerificationURI:         s.VerificationURI(),
					VerificationURIComplete: s.VerificationURI() + "?user_code=" + g.userCode,
					ExpiresIn:               floorSeconds(remaining),
					Interval:                seconds(s.interval),
				})
				return
			}
		}
	}
	s.log.Debug("device authorization refused", "error", oerr.Code, "description", oerr.Description)
	writeOAuthError(w, oerr)
}

// autheliaScope checks the requested scope and audience; an empty scope
// means Authelia's usual "openid offline_access".
func (s *Server) autheliaScope(scope string, audiences []string) (string, *oauthError) {
	if strings.TrimSpace(scope) == "" {
		scope = "openid offline_access"
	}
	scope = strings.Join(strings.Fields(scope), " ")
	if slices.Contains(strings.Fields(scope), autheliaBearerAuthz) {
		return "", errorf(http.StatusBadRequest, "invalid_scope",
			"The requested scope is invalid, unknown, or malformed. The scope '%s' is not permitted for a client with the grant type '%s'.", autheliaBearerAuthz, GrantDeviceCode)
	}
	var aud []string
	for _, a := range audiences {
		aud = append(aud, strings.Fields(a)...)
	}
	if want := s.authelia.requireAudience; want != "" {
		if len(aud) == 0 {
			return "", errorf(http.StatusBadRequest, "invalid_request", "The request is missing the required audience %q.", want)
		}
		for _, a := range aud {
			if a != want {
				return "", errorf(http.StatusBadRequest, "invalid_request", "Requested audience %q has not been whitelisted by the OAuth 2.0 Client.", a)
			}
		}
	}
	return scope, nil
}

// autheliaTokenResponse is Authelia's token answer: lowercase bearer,
// refresh and ID tokens only when offline_access and openid were granted.
type autheliaTokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
}

func hasOffline(scope string) bool {
	f := strings.Fields(scope)
	return slices.Contains(f, "offline_access") || slices.Contains(f, "offline")
}

func (s *Server) serveAutheliaToken(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	s.mu.Lock()
	ok, wait := s.authelia.limiter.check(ip, s.now())
	s.mu.Unlock()
	if !ok {
		if r.PostFormValue("grant_type") == GrantDeviceCode {
			s.countPoll()
		}
		secs := int64(wait / time.Second)
		if wait%time.Second != 0 {
			secs++
		}
		w.Header().Set("Retry-After", strconv.FormatInt(max(1, secs), 10))
		s.log.Info("token endpoint rate limited", "client_ip", ip, "retry_after_s", secs)
		writeOAuthError(w, errorf(http.StatusTooManyRequests, "temporarily_unavailable",
			"The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server."))
		return
	}
	resp, oerr := s.autheliaToken(w, r)
	if oerr != nil {
		s.mu.Lock()
		s.authelia.limiter.record(ip, s.now())
		s.mu.Unlock()
		writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// autheliaServerError is what Authelia answers for a denied, used or
// unknown device code: HTTP 500 and nothing else.
var autheliaServerError = &oauthError{status: http.StatusInternalServerError, Code: "server_error"}

func (s *Server) autheliaToken(w http.ResponseWriter, r *http.Request) (*autheliaTokenResponse, *oauthError) {
	form, oerr := readForm(w, r)
	if oerr != nil {
		return nil, oerr
	}
	grant := form.Get("grant_type")
	switch grant {
	case "":
		return nil, errorf(http.StatusBadRequest, "invalid_request", "missing grant_type")
	case GrantDeviceCode, GrantRefreshToken:
	default:
		return nil, errorf(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported", grant)
	}
	clientID, oerr := s.authenticateClient(r, form, grant == GrantDeviceCode)
	if oerr == nil && grant == GrantDeviceCode && form.Get("device_code") == "" {
		oerr = errorf(http.StatusBadRequest, "invalid_request", "missing device_code")
	}
	if oerr != nil {
		if grant == GrantDeviceCode {
			s.countPoll()
		}
		return nil, oerr
	}
	var iss issued
	if grant == GrantDeviceCode {
		p := s.pollGrant(form.Get("device_code"), clientID, true)
		s.log.Debug("device code poll", "result", p.outcome.String(), "user_code", p.grant.userCode)
		switch p.outcome {
		case pollApproved:
		case pollWrongClient:
			return nil, errorf(http.StatusBadRequest, "invalid_grant", "device_code was issued to another client")
		case pollPending, pollExpired, pollSlowDown:
			// Authelia never says expired_token nor slow_down.
			return nil, errorf(http.StatusBadRequest, "authorization_pending",
				"The authorization request is still pending as the end user hasn't yet completed the user-interaction steps.")
		default: // denied, unknown, used
			return nil, autheliaServerError
		}
		g := p.grant
		iss = s.issue(token{clientID: g.clientID, scope: g.scope, sub: subject, userCode: g.userCode, family: randomID("")},
			autheliaTokens, hasOffline(g.scope))
	} else {
		rt := form.Get("refresh_token")
		if rt == "" {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "missing refresh_token")
		}
		iss, oerr = s.rotateRefresh(rt, clientID, form.Get("scope"), form.Has("scope"), refreshRules{
			kinds:              autheliaTokens,
			reuseRevokesFamily: true,
			revokeOldAccess:    true,
			withRefresh:        hasOffline,
		})
		if oerr != nil {
			s.log.Info("refresh refused", "error", oerr.Code, "description", oerr.Description)
			return nil, oerr
		}
	}
	s.log.Info("tokens issued", "grant", grant, "user_code", iss.access.userCode,
		"client_id", iss.access.clientID, "scope", iss.access.scope)
	resp := &autheliaTokenResponse{
		AccessToken:  iss.accessID,
		ExpiresIn:    max(1, seconds(s.tokenTTL)-1),
		RefreshToken: iss.refreshID,
		Scope:        iss.access.scope,
		TokenType:    "bearer",
	}
	if slices.Contains(strings.Fields(iss.access.scope), "openid") {
		now := s.now()
		resp.IDToken = s.authelia.jwt.sign(map[string]any{
			"iss": s.issuer, "sub": iss.access.sub, "aud": []string{iss.access.clientID},
			"iat": now.Unix(), "exp": now.Add(s.tokenTTL).Unix(), "auth_time": now.Unix(),
			"jti": randomUUID(),
		})
	}
	return resp, nil
}
