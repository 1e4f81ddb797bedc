package devauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The romm profile is RomM 5's device pairing (as in rommapp/romm's
// backend/endpoints/device_auth.py and utils/device_auth.py):
//   - GET /api/heartbeat with SYSTEM.VERSION;
//   - POST /api/auth/device/init, JSON, 201, relative verification paths,
//     8-symbol user codes without a dash, expires_in 600, interval 5; 422
//     with a list detail for a malformed body (checked before the rate
//     limit, as FastAPI validates before the handler runs); 10 inits per
//     60 s per IP;
//   - POST /api/auth/device/token, JSON {"device_code"}: errors are HTTP
//     400 {"detail":"<code>"}; unknown, expired and consumed codes are
//     expired_token; strict per-code slow_down; a denied code is kept 60 s;
//     the approved answer is handed out once (GETDEL); 60 polls per 60 s
//     per IP, 429 without Retry-After;
//   - approval creates (or, for the same user and
//     client_device_identifier, updates) the Device and a new bound client
//     token "rmm_"+64 hex; older tokens stay valid;
//   - GET /api/users/me (scope me.read) with current_device_id; 401
//     {"detail":"Not authenticated"} + WWW-Authenticate: Bearer, 403
//     {"detail":"Forbidden"};
//   - DELETE /api/devices/{id} (scope devices.write, 204): the device's
//     tokens stay valid but unbound;
//   - the web page /pair/device?user_code= with the expiry choice 30d,
//     90d, 1y or never (default never: expires_at null).
//
// There is one user, "demo" (id 1, admin, every scope). RomM's own
// approve/deny API (which needs a logged-in user) is not emulated: the
// page and /device stand in for it.
var rommProfile = profile{
	name:             ProfileRomM,
	description:      "RomM 5 device pairing",
	verificationPath: rommPairPath,
	newUserCode:      func() string { return codeFrom(rommUserCodeAlphabet, 8) },
	newDeviceCode:    func() string { return randomHex(32) },
	codeTTL:          600 * time.Second,
	interval:         5 * time.Second,
	tokenTTL:         300 * time.Second, // unused: the approver picks
	refreshTTL:       30 * 24 * time.Hour,
	poll:             pollRules{slowDown: slowDownStrict, deniedTTL: 60 * time.Second},
	onApprove:        rommApprove,
	serve:            serveRomm,
	page: func(s *Server, d *pageData) {
		d.Expiries = rommExpiries
		d.Expiry = "never"
	},
}

const (
	rommPairPath = "/pair/device"
	// rommUserCodeAlphabet is RomM's PAIR_ALPHABET.
	rommUserCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	rommUserID           = 1
	rommUsername         = "demo"
)

// rommScopes is RomM's Scope enum, in its order.
var rommScopes = []string{"me.read", "me.write", "roms.read", "roms.write", "roms.user.read", "roms.user.write",
	"platforms.read", "platforms.write", "assets.read", "assets.write", "devices.read", "devices.write",
	"firmware.read", "firmware.write", "collections.read", "collections.write", "playlists.read", "playlists.write",
	"users.read", "users.write", "tasks.run", "logs.read"}

// rommExpiries are the approver's choices (utils/client_tokens.py).
var rommExpiries = []string{"30d", "90d", "1y", "never"}

type rommState struct {
	version     string
	forbidAfter time.Duration
	initLimit   *fixedWindow
	pollLimit   *fixedWindow
	devices     map[string]*rommDevice // key: device id
}

// rommDevice is a row of RomM's devices table.
type rommDevice struct {
	id, name, client, platform, clientVersion, identifier string
	userID                                                int
	createdAt, lastSeen                                   time.Time
}

// rommInit is DeviceAuthInitPayload.
type rommInit struct {
	ClientDeviceIdentifier string   `json:"client_device_identifier"`
	Name                   string   `json:"name"`
	Client                 string   `json:"client"`
	Platform               *string  `json:"platform"`
	ClientVersion          *string  `json:"client_version"`
	RequestedScopes        []string `json:"requested_scopes"`
}

// rommResult is the approved blob the one successful poll collects.
type rommResult struct {
	token     string
	deviceID  string
	scopes    []string
	expiresAt time.Time // zero: never
}

func newRommState(o Options) rommState {
	v := o.RommVersion
	if v == "" {
		v = "5.2.0"
	}
	initLimit, pollLimit := o.RommInitLimit, o.RommPollLimit
	if initLimit == (RateLimit{}) {
		initLimit = RateLimit{Period: 60 * time.Second, Requests: 10}
	}
	if pollLimit == (RateLimit{}) {
		pollLimit = RateLimit{Period: 60 * time.Second, Requests: 60}
	}
	return rommState{
		version:     v,
		forbidAfter: o.ForbidAfterApproval,
		initLimit:   newFixedWindow(initLimit),
		pollLimit:   newFixedWindow(pollLimit),
		devices:     make(map[string]*rommDevice),
	}
}

func serveRomm(s *Server, w http.ResponseWriter, r *http.Request, path string) bool {
	switch {
	case path == "/api/heartbeat":
		if rommAllow(w, r, http.MethodGet, http.MethodHead) {
			s.serveRommHeartbeat(w)
		}
	case path == "/api/auth/device/init" || path == "/api/auth/device/init/":
		if rommAllow(w, r, http.MethodPost) {
			s.serveRommInit(w, r)
		}
	case path == "/api/auth/device/token" || path == "/api/auth/device/token/":
		if rommAllow(w, r, http.MethodPost) {
			s.serveRommToken(w, r)
		}
	case path == "/api/users/me":
		if rommAllow(w, r, http.MethodGet, http.MethodHead) {
			s.serveRommMe(w, r)
		}
	case strings.HasPrefix(path, "/api/devices/") && !strings.Contains(path[len("/api/devices/"):], "/"):
		if rommAllow(w, r, http.MethodDelete) {
			s.serveRommDeleteDevice(w, r, path[len("/api/devices/"):])
		}
	case strings.HasPrefix(path, "/api/"):
		writeDetail(w, http.StatusNotFound, "Not Found")
	default:
		return false
	}
	return true
}

// writeDetail writes FastAPI's HTTPException body.
func writeDetail(w http.ResponseWriter, status int, detail any) {
	writeJSON(w, status, map[string]any{"detail": detail})
}

func rommAllow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	return false
}

func (s *Server) serveRommHeartbeat(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"SYSTEM": map[string]any{"VERSION": s.romm.version, "SHOW_SETUP_WIZARD": false},
		"OIDC":   map[string]any{"ENABLED": false, "PROVIDER": ""},
	})
}

// validationError is one entry of FastAPI's 422 detail list.
type validationError struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// decodeRommBody decodes a JSON object body for validation, or returns
// the 422 entry FastAPI would.
func decodeRommBody(w http.ResponseWriter, r *http.Request) (map[string]any, []validationError) {
	var raw any
	if err := readJSON(w, r, &raw); err != nil {
		return nil, []validationError{{Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error",
			Input: map[string]any{}, Ctx: map[string]any{"error": "Expecting value"}}}
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, []validationError{{Type: "model_attributes_type", Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from", Input: raw}}
	}
	return obj, nil
}

// checkString validates a string field as Pydantic does.
func checkString(obj map[string]any, field string, required bool, minLen, maxLen int) []validationError {
	v, present := obj[field]
	loc := []any{"body", field}
	if !present || (v == nil && !required) {
		if required {
			return []validationError{{Type: "missing", Loc: loc, Msg: "Field required", Input: obj}}
		}
		return nil
	}
	str, ok := v.(string)
	if !ok {
		return []validationError{{Type: "string_type", Loc: loc, Msg: "Input should be a valid string", Input: v}}
	}
	n := len([]rune(str))
	if n < minLen {
		return []validationError{{Type: "string_too_short", Loc: loc, Input: v,
			Msg: fmt.Sprintf("String should have at least %d character", minLen), Ctx: map[string]any{"min_length": minLen}}}
	}
	if n > maxLen {
		return []validationError{{Type: "string_too_long", Loc: loc, Input: v,
			Msg: fmt.Sprintf("String should have at most %d characters", maxLen), Ctx: map[string]any{"max_length": maxLen}}}
	}
	return nil
}

func validateRommInit(obj map[string]any) []validationError {
	var errs []validationError
	errs = append(errs, checkString(obj, "client_device_identifier", true, 1, 255)...)
	errs = append(errs, checkString(obj, "name", true, 1, 255)...)
	errs = append(errs, checkString(obj, "client", true, 1, 50)...)
	errs = append(errs, checkString(obj, "platform", false, 0, 50)...)
	errs = append(errs, checkString(obj, "client_version", false, 0, 50)...)
	v, present := obj["requested_scopes"]
	loc := []any{"body", "requested_scopes"}
	list, isList := v.([]any)
	switch {
	case !present:
		errs = append(errs, validationError{Type: "missing", Loc: loc, Msg: "Field required", Input: obj})
	case !isList:
		errs = append(errs, validationError{Type: "list_type", Loc: loc, Msg: "Input should be a valid list", Input: v})
	case len(list) < 1:
		errs = append(errs, validationError{Type: "too_short", Loc: loc, Input: v,
			Msg: "List should have at least 1 item after validation, not 0", Ctx: map[string]any{"field_type": "List", "min_length": 1, "actual_length": 0}})
	case len(list) > len(rommScopes):
		errs = append(errs, validationError{Type: "too_long", Loc: loc, Input: v,
			Msg: fmt.Sprintf("List should have at most %d items after validation, not %d", len(rommScopes), len(list)),
			Ctx: map[string]any{"field_type": "List", "max_length": len(rommScopes), "actual_length": len(list)}})
	default:
		quoted := make([]string, len(rommScopes))
		for i, sc := range rommScopes {
			quoted[i] = "'" + sc + "'"
		}
		expected := strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
		for i, item := range list {
			if sc, ok := item.(string); !ok || !slices.Contains(rommScopes, sc) {
				errs = append(errs, validationError{Type: "enum", Loc: []any{"body", "requested_scopes", i}, Input: item,
					Msg: "Input should be " + expected, Ctx: map[string]any{"expected": expected}})
			}
		}
	}
	return errs
}

// deviceAuthInitResponse is RomM's DeviceAuthInitResponse: relative paths,
// no verification_uri.
type deviceAuthInitResponse struct {
	DeviceCode               string `json:"device_code"`
	UserCode                 string `json:"user_code"`
	VerificationPath         string `json:"verification_path"`
	VerificationPathComplete string `json:"verification_path_complete"`
	ExpiresIn                int64  `json:"expires_in"`
	Interval                 int64  `json:"interval"`
}

func (s *Server) serveRommInit(w http.ResponseWriter, r *http.Request) {
	obj, verrs := decodeRommBody(w, r)
	if verrs == nil {
		verrs = validateRommInit(obj)
	}
	if len(verrs) > 0 {
		writeDetail(w, http.StatusUnprocessableEntity, verrs)
		return
	}
	var in rommInit
	b, _ := json.Marshal(obj) // re-encode the validated object into the struct
	if err := json.Unmarshal(b, &in); err != nil {
		writeDetail(w, http.StatusUnprocessableEntity, []validationError{{Type: "value_error", Loc: []any{"body"}, Msg: err.Error(), Input: obj}})
		return
	}
	s.mu.Lock()
	ok := s.romm.initLimit.allow(clientIP(r), s.now())
	s.mu.Unlock()
	if !ok {
		writeDetail(w, http.StatusTooManyRequests, "Too many authorize attempts. Try again later.")
		return
	}
	g := s.newDeviceGrant(in.Client, strings.Join(in.RequestedScopes, " "), &in)
	s.log.Info("device authorization", "user_code", g.userCode, "client", in.Client,
		"client_device_identifier", in.ClientDeviceIdentifier, "scope", g.scope)
	writeJSON(w, http.StatusCreated, deviceAuthInitResponse{
		DeviceCode:               g.deviceCode,
		UserCode:                 g.userCode,
		VerificationPath:         rommPairPath,
		VerificationPathComplete: rommPairPath + "?user_code=" + g.userCode,
		ExpiresIn:                seconds(s.codeTTL),
		Interval:                 seconds(s.interval),
	})
}

// deviceAuthTokenResponse is RomM's DeviceAuthTokenResponse.
type deviceAuthTokenResponse struct {
	AccessToken string   `json:"access_token"`
	DeviceID    string   `json:"device_id"`
	Scopes      []string `json:"scopes"`
	ExpiresAt   *string  `json:"expires_at"`
}

// rommTime formats like Pydantic does an aware UTC datetime.
func rommTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

func (s *Server) serveRommToken(w http.ResponseWriter, r *http.Request) {
	obj, verrs := decodeRommBody(w, r)
	if verrs == nil {
		verrs = checkString(obj, "device_code", true, 1, 128)
	}
	if len(verrs) > 0 {
		s.countPoll()
		writeDetail(w, http.StatusUnprocessableEntity, verrs)
		return
	}
	s.mu.Lock()
	ok := s.romm.pollLimit.allow(clientIP(r), s.now())
	s.mu.Unlock()
	if !ok {
		s.countPoll()
		// RomM sets no Retry-After.
		writeDetail(w, http.StatusTooManyRequests, "Too many polling attempts. Try again later.")
		return
	}
	p := s.pollGrant(obj["device_code"].(string), "", false)
	s.log.Debug("device code poll", "result", p.outcome.String(), "user_code", p.grant.userCode)
	switch p.outcome {
	case pollSlowDown:
		writeDetail(w, http.StatusBadRequest, "slow_down")
	case pollPending:
		writeDetail(w, http.StatusBadRequest, "authorization_pending")
	case pollDenied:
		writeDetail(w, http.StatusBadRequest, "access_denied")
	case pollApproved:
		res := p.grant.result.(rommResult)
		out := deviceAuthTokenResponse{AccessToken: res.token, DeviceID: res.deviceID, Scopes: res.scopes}
		if !res.expiresAt.IsZero() {
			e := rommTime(res.expiresAt)
			out.ExpiresAt = &e
		}
		s.log.Info("tokens issued", "user_code", p.grant.userCode, "device_id", res.deviceID, "scope", strings.Join(res.scopes, " "))
		writeJSON(w, http.StatusOK, out)
	default: // unknown, expired, consumed
		writeDetail(w, http.StatusBadRequest, "expired_token")
	}
}

// rommApprove is RomM's approve endpoint: it creates or updates the
// Device and mints a bound client token. It runs under the server lock.
func rommApprove(s *Server, g *deviceGrant, a approval, now time.Time) (any, error) {
	in := g.extra.(*rommInit)
	var expiresAt time.Time
	switch a.expiry {
	case "", "never":
	case "30d":
		expiresAt = now.Add(30 * 24 * time.Hour)
	case "90d":
		expiresAt = now.Add(90 * 24 * time.Hour)
	case "1y":
		expiresAt = now.Add(365 * 24 * time.Hour)
	default:
		return nil, fmt.Errorf("%w: expiry %q is not one of %s", ErrBadApproval, a.expiry, strings.Join(rommExpiries, ", "))
	}
	// The demo user holds every scope, so everything requested is allowed.
	scopes := slices.Clone(in.RequestedScopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)

	var dev *rommDevice
	for _, d := range s.romm.devices {
		if d.userID == rommUserID && d.identifier == in.ClientDeviceIdentifier {
			dev = d
		}
	}
	if dev != nil {
		dev.name, dev.lastSeen = in.Name, now
		if in.ClientVersion != nil {
			dev.clientVersion = *in.ClientVersion
		}
	} else {
		dev = &rommDevice{id: randomUUID(), userID: rommUserID, name: in.Name, client: in.Client,
			identifier: in.ClientDeviceIdentifier, createdAt: now, lastSeen: now}
		if in.Platform != nil {
			dev.platform = *in.Platform
		}
		if in.ClientVersion != nil {
			dev.clientVersion = *in.ClientVersion
		}
		s.romm.devices[dev.id] = dev
	}
	tok := "rmm_" + randomHex(32)
	s.access[tok] = &token{clientID: in.Client, scope: strings.Join(scopes, " "), sub: rommUsername,
		userCode: g.userCode, family: randomID(""), expiresAt: expiresAt, issuedAt: now, deviceID: dev.id}
	s.log.Info("romm device bound", "user_code", g.userCode, "device_id", dev.id, "expires", orNever(a.expiry))
	return rommResult{token: tok, deviceID: dev.id, scopes: scopes, expiresAt: expiresAt}, nil
}

func orNever(expiry string) string {
	if expiry == "" {
		return "never"
	}
	return expiry
}

// rommAuth authenticates a RomM client token with scope, writing RomM's
// 401 or 403 when it fails.
func (s *Server) rommAuth(w http.ResponseWriter, r *http.Request, scope string) (token, bool) {
	tok, ok := bearerToken(r)
	var t token
	if ok && strings.HasPrefix(tok, "rmm_") {
		t, ok = s.lookupAccess(tok)
	} else {
		ok = false
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeDetail(w, http.StatusUnauthorized, "Not authenticated")
		return token{}, false
	}
	if s.now().Sub(t.issuedAt) < s.romm.forbidAfter || !slices.Contains(strings.Fields(t.scope), scope) {
		writeDetail(w, http.StatusForbidden, "Forbidden")
		return token{}, false
	}
	s.mu.Lock()
	if d := s.romm.devices[t.deviceID]; d != nil {
		d.lastSeen = s.now()
	}
	s.mu.Unlock()
	return t, true
}

func (s *Server) serveRommMe(w http.ResponseWriter, r *http.Request) {
	t, ok := s.rommAuth(w, r, "me.read")
	if !ok {
		return
	}
	var current any
	s.mu.Lock()
	if t.deviceID != "" && s.romm.devices[t.deviceID] != nil {
		current = t.deviceID
	}
	s.mu.Unlock()
	created := rommTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	writeJSON(w, http.StatusOK, map[string]any{
		"id": rommUserID, "username": rommUsername, "email": "demo@example.com", "enabled": true,
		"role": "admin", "permission_group_id": nil, "oauth_scopes": rommScopes, "avatar_path": "",
		"last_login": nil, "last_active": rommTime(s.now()), "ra_username": nil, "ra_progression": nil,
		"ui_settings": nil, "created_at": created, "updated_at": created,
		"current_device_id": current,
	})
}

func (s *Server) serveRommDeleteDevice(w http.ResponseWriter, r *http.Request, id string) {
	if _, ok := s.rommAuth(w, r, "devices.write"); !ok {
		return
	}
	if !s.DeleteDevice(id) {
		writeDetail(w, http.StatusNotFound, fmt.Sprintf("Device with ID %s not found", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DeleteDevice deletes a RomM device, as DELETE /api/devices/{id} does:
// its tokens stay valid but unbound (current_device_id null). It reports
// whether the device existed.
func (s *Server) DeleteDevice(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.romm.devices[id] == nil {
		return false
	}
	delete(s.romm.devices, id)
	for _, t := range s.access {
		if t.deviceID == id {
			t.deviceID = ""
		}
	}
	s.log.Info("romm device deleted", "device_id", id)
	return true
}

// RevokeToken revokes an access token, refresh token (with its family),
// RomM client token or DFC client secret, as an administrator would. It
// reports whether tok was live.
func (s *Server) RevokeToken(tok string) bool {
	if kind, userCode := s.revoke(tok, ""); kind != "" {
		s.log.Info("token revoked", "kind", kind, "user_code", userCode)
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for domain, site := range s.dfc.sites {
		if site.secret != "" && site.secret == tok {
			site.secret = ""
			s.log.Info("client secret revoked", "domain", domain)
			return true
		}
	}
	return false
}
