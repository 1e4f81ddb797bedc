package devauth

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The dfc profile is the Data Exporter ("DFC") device API:
//   - POST /api/v1/device/authorize with the client metadata device_name
//     (required), device_type, firmware_version, as JSON (the Rust
//     ClientMetadata) or form-encoded; an RFC 8628 answer with a 64-char
//     device code, a XXXX-1234 user code (letters without I and O, digits
//     without 0 and 1), verification_uri base+/device-verify, expires_in
//     900, interval 5;
//   - POST /api/v1/device/token (JSON or form) with RFC 8628 errors,
//     invalid_grant for unknown codes, and on success {"domain",
//     "client_secret"}; approval picks a site (domain), rotates that
//     site's secret and so revokes the site's previous device: one device
//     per site;
//   - POST /api/dfc/auth/token with Basic base64(domain:client_secret):
//     {"token","expiresIn","tokenType":"Bearer"} (camelCase, as the API
//     documents it), 401 for a bad or revoked secret;
//   - POST /api/dfc/error with the JWT and {type, message, severity,
//     metadata}: 204, 400 when validation fails, 401 when the token is
//     missing or expired, 403 when it is invalid.
//
// The API's documentation leaves open: the case of the credential body
// (client_secret is chosen: its example config file and Rust field use it),
// the error bodies (NestJS-style {"statusCode","message"} is chosen),
// whether JWTs die with their device's secret (no: they are stateless and
// live until expiry), and the slow_down rule (RFC 8628's, as the API's own
// client expects +5 s).
var dfcProfile = profile{
	name:             ProfileDFC,
	description:      "Data Exporter (DFC) device authorization",
	verificationPath: "/device-verify",
	newUserCode:      dfcUserCode,
	newDeviceCode:    func() string { return randomHex(32) },
	codeTTL:          15 * time.Minute,
	interval:         5 * time.Second,
	tokenTTL:         300 * time.Second, // unused: JWTTTL
	refreshTTL:       30 * 24 * time.Hour,
	poll:             pollRules{slowDown: slowDownRFC},
	onApprove:        dfcApprove,
	serve:            serveDFC,
	page: func(s *Server, d *pageData) {
		d.ShowSite = true
		d.Site = s.dfc.defaultSite
	},
}

const (
	dfcLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ" // no I, O
	dfcDigits  = "23456789"                 // no 0, 1
)

func dfcUserCode() string { return codeFrom(dfcLetters, 4) + "-" + codeFrom(dfcDigits, 4) }

// Severities of a DFC global error report.
var dfcSeverities = []string{"CRITICAL", "ERROR", "WARNING", "INFO"}

// ErrorReport is one report received on dfc's POST /api/dfc/error.
type ErrorReport struct {
	Domain     string // the site of the JWT that sent it
	Type       string
	Message    string
	Severity   string
	Metadata   map[string]any
	ReceivedAt time.Time
}

type dfcState struct {
	defaultSite string
	jwtTTL      time.Duration
	jwt         jwtSigner
	sites       map[string]*dfcSite
	reports     []ErrorReport
}

// dfcSite is a site's one device credential.
type dfcSite struct {
	secret     string // "" when revoked; never logged
	deviceName string
}

// dfcResult is what the one successful poll collects.
type dfcResult struct{ domain, secret string }

func newDFCState(o Options) dfcState {
	site := o.SiteDomain
	if site == "" {
		site = "site1.example.com"
	}
	return dfcState{
		defaultSite: site,
		jwtTTL:      orDefault(o.JWTTTL, 24*time.Hour),
		jwt:         newJWTSigner(),
		sites:       make(map[string]*dfcSite),
	}
}

// ErrorReports returns the reports dfc's /api/dfc/error accepted, oldest
// first.
func (s *Server) ErrorReports() []ErrorReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dfc.reports)
}

func serveDFC(s *Server, w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case "/api/v1/device/authorize":
		if allow(w, r, http.MethodPost) {
			s.serveDFCAuthorize(w, r)
		}
	case "/api/v1/device/token":
		if allow(w, r, http.MethodPost) {
			s.serveDFCToken(w, r)
		}
	case "/api/dfc/auth/token":
		if allow(w, r, http.MethodPost) {
			s.serveDFCAuthToken(w, r)
		}
	case "/api/dfc/error":
		if allow(w, r, http.MethodPost) {
			s.serveDFCError(w, r)
		}
	default:
		return false
	}
	return true
}

// readParams reads a JSON object of strings or a form, whichever the
// Content-Type says.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if !isJSON(r) {
		return readForm(w, r)
	}
	var obj map[string]any
	if err := readJSON(w, r, &obj); err != nil || obj == nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the body is not a JSON object")
	}
	v := url.Values{}
	for k, x := range obj {
		switch x := x.(type) {
		case string:
			v.Set(k, x)
		case nil:
		default:
			return nil, errorf(http.StatusBadRequest, "invalid_request", "%q must be a string", k)
		}
	}
	return v, nil
}

// dfcMeta is the API's ClientMetadata.
type dfcMeta struct{ deviceName, deviceType, firmwareVersion string }

func (s *Server) serveDFCAuthorize(w http.ResponseWriter, r *http.Request) {
	p, oerr := readParams(w, r)
	if oerr == nil && strings.TrimSpace(p.Get("device_name")) == "" {
		oerr = errorf(http.StatusBadRequest, "invalid_request", "device_name is required")
	}
	if oerr == nil && (len(p.Get("device_name")) > 255 || len(p.Get("device_type")) > 255 || len(p.Get("firmware_version")) > 255) {
		oerr = errorf(http.StatusBadRequest, "invalid_request", "client metadata longer than 255 bytes")
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	meta := dfcMeta{deviceName: p.Get("device_name"), deviceType: p.Get("device_type"), firmwareVersion: p.Get("firmware_version")}
	g := s.newDeviceGrant(meta.deviceName, "", meta)
	s.log.Info("device authorization", "user_code", g.userCode, "device_name", meta.deviceName,
		"device_type", meta.deviceType, "firmware_version", meta.firmwareVersion)
	writeJSON(w, http.StatusOK, deviceAuthResponse{
		DeviceCode:              g.deviceCode,
		UserCode:                g.userCode,
		VerificationURI:         s.VerificationURI(),
		VerificationURIComplete: s.VerificationURI() + "?user_code=" + g.userCode,
		ExpiresIn:               seconds(s.codeTTL),
		Interval:                seconds(s.interval),
	})
}

// dfcCredentials is the API's DeviceCredentials.
type dfcCredentials struct {
	Domain       string `json:"domain"`
	ClientSecret string `json:"client_secret"`
}

func (s *Server) serveDFCToken(w http.ResponseWriter, r *http.Request) {
	p, oerr := readParams(w, r)
	if oerr == nil {
		switch gt := p.Get("grant_type"); gt {
		case GrantDeviceCode:
		case "":
			oerr = errorf(http.StatusBadRequest, "invalid_request", "missing grant_type")
		default:
			oerr = errorf(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported", gt)
		}
	}
	if oerr == nil && p.Get("device_code") == "" {
		oerr = errorf(http.StatusBadRequest, "invalid_request", "missing device_code")
	}
	if oerr != nil {
		s.countPoll()
		writeOAuthError(w, oerr)
		return
	}
	res := s.pollGrant(p.Get("device_code"), "", false)
	s.log.Debug("device code poll", "result", res.outcome.String(), "user_code", res.grant.userCode)
	if res.outcome != pollApproved {
		writeOAuthError(w, rfc8628PollError(res))
		return
	}
	cred := res.grant.result.(dfcResult)
	s.log.Info("tokens issued", "user_code", res.grant.userCode, "domain", cred.domain)
	writeJSON(w, http.StatusOK, dfcCredentials{Domain: cred.domain, ClientSecret: cred.secret})
}

// validDomain is a loose host name check for the site field.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, c := range d {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// dfcApprove gives the site a new secret, which revokes the site's
// previous device. It runs under the server lock.
func dfcApprove(s *Server, g *deviceGrant, a approval, now time.Time) (any, error) {
	domain := strings.ToLower(a.site)
	if domain == "" {
		domain = s.dfc.defaultSite
	}
	if !validDomain(domain) {
		return nil, fmt.Errorf("%w: %q is not a domain name", ErrBadApproval, a.site)
	}
	meta := g.extra.(dfcMeta)
	if old := s.dfc.sites[domain]; old != nil && old.secret != "" {
		s.log.Info("site secret rotated: previous device revoked", "domain", domain, "previous_device", old.deviceName)
	}
	secret := "cs_" + randomHex(16)
	s.dfc.sites[domain] = &dfcSite{secret: secret, deviceName: meta.deviceName}
	return dfcResult{domain: domain, secret: secret}, nil
}

// writeNest writes a NestJS-style error body.
func writeNest(w http.ResponseWriter, status int, message any) {
	body := map[string]any{"statusCode": status, "message": message}
	if status == http.StatusBadRequest {
		body["error"] = "Bad Request"
	}
	writeJSON(w, status, body)
}

func (s *Server) serveDFCAuthToken(w http.ResponseWriter, r *http.Request) {
	domain, secret, ok := r.BasicAuth()
	if ok {
		s.mu.Lock()
		site := s.dfc.sites[strings.ToLower(domain)]
		ok = site != nil && site.secret != "" && subtle.ConstantTimeCompare([]byte(site.secret), []byte(secret)) == 1
		s.mu.Unlock()
	}
	if !ok {
		s.log.Info("site authentication failed", "domain", domain)
		w.Header().Set("WWW-Authenticate", `Basic realm="dfc"`)
		writeNest(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	now := s.now()
	tok := s.dfc.jwt.sign(map[string]any{
		"sub": strings.ToLower(domain), "iat": now.Unix(), "exp": now.Add(s.dfc.jwtTTL).Unix(), "jti": randomUUID(),
	})
	s.log.Info("site token issued", "domain", strings.ToLower(domain))
	writeJSON(w, http.StatusOK, map[string]any{
		"token": tok, "expiresIn": seconds(s.dfc.jwtTTL), "tokenType": "Bearer",
	})
}

// Limits of a global error report, as the API documents them.
const (
	dfcMaxType         = 100
	dfcMaxMessage      = 10000
	dfcMaxMetadataKeys = 20
	dfcMaxMetadata     = 10 << 10
)

func (s *Server) serveDFCError(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeNest(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	claims, err := s.dfc.jwt.verify(tok, s.now())
	switch err {
	case nil:
	case errJWTExpired:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token expired"`)
		writeNest(w, http.StatusUnauthorized, "Unauthorized")
		return
	default:
		writeNest(w, http.StatusForbidden, "Forbidden")
		return
	}
	var body struct {
		Type     *string         `json:"type"`
		Message  *string         `json:"message"`
		Severity *string         `json:"severity"`
		Metadata json.RawMessage `json:"metadata"`
	}
	var problems []string
	if !isJSON(r) {
		problems = append(problems, "body must be application/json")
	} else if err := readJSON(w, r, &body); err != nil {
		problems = append(problems, "body must be a JSON object with string type, message and severity")
	}
	var rep ErrorReport
	if len(problems) == 0 {
		rep, problems = validateReport(body.Type, body.Message, body.Severity, body.Metadata)
	}
	if len(problems) > 0 {
		writeNest(w, http.StatusBadRequest, problems)
		return
	}
	rep.Domain, _ = claims["sub"].(string)
	rep.ReceivedAt = s.now()
	s.mu.Lock()
	s.dfc.reports = append(s.dfc.reports, rep)
	s.mu.Unlock()
	s.log.Info("error report received", "domain", rep.Domain, "type", rep.Type, "severity", rep.Severity)
	w.WriteHeader(http.StatusNoContent)
}

func validateReport(typ, msg, sev *string, meta json.RawMessage) (ErrorReport, []string) {
	var rep ErrorReport
	var problems []string
	switch {
	case typ == nil || *typ == "":
		problems = append(problems, "type should not be empty")
	case utf8.RuneCountInString(*typ) > dfcMaxType:
		problems = append(problems, fmt.Sprintf("type must be shorter than or equal to %d characters", dfcMaxType))
	default:
		rep.Type = *typ
	}
	switch {
	case msg == nil || *msg == "":
		problems = append(problems, "message should not be empty")
	case utf8.RuneCountInString(*msg) > dfcMaxMessage:
		problems = append(problems, fmt.Sprintf("message must be shorter than or equal to %d characters", dfcMaxMessage))
	default:
		rep.Message = *msg
	}
	rep.Severity = "ERROR" // the API's default
	if sev != nil {
		if !slices.Contains(dfcSeverities, *sev) {
			problems = append(problems, "severity must be one of the following values: "+strings.Join(dfcSeverities, ", "))
		} else {
			rep.Severity = *sev
		}
	}
	if len(meta) > 0 && string(meta) != "null" {
		var m map[string]any
		switch {
		case json.Unmarshal(meta, &m) != nil:
			problems = append(problems, "metadata must be an object")
		case len(m) > dfcMaxMetadataKeys:
			problems = append(problems, fmt.Sprintf("metadata must have at most %d keys", dfcMaxMetadataKeys))
		case jsonLen(m) > dfcMaxMetadata:
			problems = append(problems, fmt.Sprintf("metadata must be at most %d bytes", dfcMaxMetadata))
		default:
			rep.Metadata = m
		}
	}
	return rep, problems
}

func jsonLen(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}
