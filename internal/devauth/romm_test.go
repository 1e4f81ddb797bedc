package devauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func rommEnv(t *testing.T, o Options) *env {
	o.Profile = ProfileRomM
	return newEnv(t, o)
}

func rommInitBody(identifier string, scopes ...string) map[string]any {
	if len(scopes) == 0 {
		scopes = []string{"roms.read", "me.read", "devices.write"}
	}
	return map[string]any{
		"client_device_identifier": identifier, "name": "Living room", "client": "pairingd",
		"platform": "Linux", "client_version": "0.1.0", "requested_scopes": scopes,
	}
}

func (e *env) rommInit(body any) response {
	e.t.Helper()
	return e.postJSON("/api/auth/device/init", body, nil)
}

func (e *env) rommPoll(dc string) response {
	e.t.Helper()
	return e.postJSON("/api/auth/device/token", map[string]string{"device_code": dc}, nil)
}

// rommPair inits, approves with extra page fields and collects the token.
func (e *env) rommPair(identifier string, extra url.Values, scopes ...string) response {
	e.t.Helper()
	in := e.rommInit(rommInitBody(identifier, scopes...))
	if in.status != http.StatusCreated {
		e.t.Fatalf("init: %d %s", in.status, in.body)
	}
	e.approvePage(in.str("user_code"), "approve", extra)
	tok := e.rommPoll(in.str("device_code"))
	if tok.status != http.StatusOK {
		e.t.Fatalf("poll after approval: %d %s", tok.status, tok.body)
	}
	return tok
}

func wantDetail(t *testing.T, what string, r response, status int, detail string) {
	t.Helper()
	if r.status != status || r.detail() != detail {
		t.Errorf("%s = %d %q, want %d %q (body %s)", what, r.status, r.detail(), status, detail, r.body)
	}
}

func TestRommHeartbeat(t *testing.T) {
	for _, tt := range []struct{ opt, want string }{{"", "5.2.0"}, {"4.3.0", "4.3.0"}} {
		e := rommEnv(t, Options{RommVersion: tt.opt})
		r := e.get("/api/heartbeat", nil)
		sys, _ := r.json["SYSTEM"].(map[string]any)
		if r.status != http.StatusOK || sys["VERSION"] != tt.want {
			t.Errorf("heartbeat = %d %s, want SYSTEM.VERSION %s", r.status, r.body, tt.want)
		}
	}
}

var (
	rommUserCodeRE = regexp.MustCompile(`^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$`)
	hex64RE        = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uuidRE         = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestRommFlow(t *testing.T) {
	e := rommEnv(t, Options{})
	in := e.rommInit(rommInitBody("install-1"))
	if in.status != http.StatusCreated {
		t.Fatalf("init: %d %s", in.status, in.body)
	}
	uc, dc := in.str("user_code"), in.str("device_code")
	if !rommUserCodeRE.MatchString(uc) || !hex64RE.MatchString(dc) {
		t.Errorf("user_code %q or device code not in RomM's format", uc)
	}
	if in.str("verification_path") != "/pair/device" || in.str("verification_path_complete") != "/pair/device?user_code="+uc {
		t.Errorf("verification paths: %s", in.body)
	}
	if _, ok := in.json["verification_uri"]; ok {
		t.Errorf("RomM sends no verification_uri: %s", in.body)
	}
	if in.json["expires_in"] != float64(600) || in.json["interval"] != float64(5) {
		t.Errorf("expires_in/interval: %s", in.body)
	}

	// Strict slow_down: every pending poll records its time, slow_down
	// ones too, and the interval does not grow.
	for i, st := range []struct {
		advance time.Duration
		detail  string
	}{
		{0, "authorization_pending"},
		{time.Second, "slow_down"},
		{4 * time.Second, "slow_down"}, // 5 s after the first, 4 s after the last
		{5 * time.Second, "authorization_pending"},
		{5 * time.Second, "authorization_pending"},
	} {
		e.clk.Advance(st.advance)
		wantDetail(t, fmt.Sprintf("poll %d", i), e.rommPoll(dc), 400, st.detail)
	}

	page := e.get(in.str("verification_path_complete"), nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `value="`+uc+`"`) || !strings.Contains(page.body, `<option value="never" selected>`) {
		t.Fatalf("pair page: %d %s", page.status, page.body)
	}
	// Approve as a script would, sloppy code, no expiry field.
	e.approvePage(strings.ToLower(uc[:4]+"-"+uc[4:]), "approve", nil)

	// Approved: no pacing, the token at once.
	tok := e.rommPoll(dc)
	if tok.status != http.StatusOK {
		t.Fatalf("poll after approval: %d %s", tok.status, tok.body)
	}
	at, devID := tok.str("access_token"), tok.str("device_id")
	if !strings.HasPrefix(at, "rmm_") || !hex64RE.MatchString(at[4:]) || !uuidRE.MatchString(devID) {
		t.Errorf("token answer: %s", tok.body)
	}
	if got := fmt.Sprint(tok.json["scopes"]); got != "[devices.write me.read roms.read]" {
		t.Errorf("scopes = %s, want sorted", got)
	}
	if v, ok := tok.json["expires_at"]; !ok || v != nil {
		t.Errorf("expires_at = %v (present %v), want null", v, ok)
	}
	// One shot: GETDEL.
	wantDetail(t, "second poll", e.rommPoll(dc), 400, "expired_token")

	me := e.get("/api/users/me", bearer(at))
	if me.status != http.StatusOK || me.str("current_device_id") != devID || me.str("username") != "demo" {
		t.Errorf("users/me: %d %s", me.status, me.body)
	}
	e.noSecretsLogged(dc, at)
}

func TestRommInitErrors(t *testing.T) {
	e := rommEnv(t, Options{})
	noName := rommInitBody("x")
	delete(noName, "name")
	long := rommInitBody("x")
	long["client"] = strings.Repeat("c", 51)
	noScopes := rommInitBody("x")
	noScopes["requested_scopes"] = []string{}
	for _, tt := range []struct {
		name string
		body any
		typ  string
	}{
		{"missing name", noName, "missing"},
		{"unknown scope", rommInitBody("x", "roms.read", "admin"), "enum"},
		{"no scopes", noScopes, "too_short"},
		{"client too long", long, "string_too_long"},
		{"not JSON", "{", "json_invalid"},
		{"array", "[]", "model_attributes_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.rommInit(tt.body)
			list, ok := r.json["detail"].([]any)
			if r.status != http.StatusUnprocessableEntity || !ok || len(list) == 0 {
				t.Fatalf("init: %d %s, want 422 with a detail list", r.status, r.body)
			}
			if first, _ := list[0].(map[string]any); first["type"] != tt.typ {
				t.Errorf("detail[0].type = %v, want %s", first["type"], tt.typ)
			}
		})
	}
	// 10 inits per 60 s per IP (the 422s above did not count).
	for i := range 10 {
		if r := e.rommInit(rommInitBody("x")); r.status != http.StatusCreated {
			t.Fatalf("init %d: %d %s", i, r.status, r.body)
		}
	}
	r := e.rommInit(rommInitBody("x"))
	wantDetail(t, "11th init", r, 429, "Too many authorize attempts. Try again later.")
	e.clk.Advance(60 * time.Second)
	if r := e.rommInit(rommInitBody("x")); r.status != http.StatusCreated {
		t.Errorf("init after the window: %d", r.status)
	}
}

func TestRommPollErrors(t *testing.T) {
	e := rommEnv(t, Options{RommPollLimit: RateLimit{Period: time.Minute, Requests: 8}})
	wantDetail(t, "unknown code", e.rommPoll("00"), 400, "expired_token")
	if r := e.postJSON("/api/auth/device/token", map[string]any{"device_code": ""}, nil); r.status != 422 {
		t.Errorf("empty device_code: %d, want 422", r.status)
	}

	in := e.rommInit(rommInitBody("x"))
	e.approvePage(in.str("user_code"), "deny", nil)
	wantDetail(t, "poll after deny", e.rommPoll(in.str("device_code")), 400, "access_denied")
	e.clk.Advance(59 * time.Second)
	wantDetail(t, "poll 59 s after deny", e.rommPoll(in.str("device_code")), 400, "access_denied")
	e.clk.Advance(time.Second)
	wantDetail(t, "poll 60 s after deny", e.rommPoll(in.str("device_code")), 400, "expired_token")

	in = e.rommInit(rommInitBody("x"))
	e.clk.Advance(601 * time.Second)
	wantDetail(t, "poll after expiry", e.rommPoll(in.str("device_code")), 400, "expired_token")
	if err := e.srv.Approve(in.str("user_code")); !errors.Is(err, ErrExpiredUserCode) {
		t.Errorf("Approve(expired) = %v", err)
	}

	// The poll limit counts every poll, before any lookup. 6 so far (the
	// 422 did not count), in this window since the 601 s advance: 1.
	for i := range 7 {
		if r := e.rommPoll("00"); r.status != 400 {
			t.Fatalf("poll %d: %d", i, r.status)
		}
	}
	r := e.rommPoll("00")
	wantDetail(t, "poll over the limit", r, 429, "Too many polling attempts. Try again later.")
	if r.header.Get("Retry-After") != "" {
		t.Errorf("RomM sends no Retry-After, got %q", r.header.Get("Retry-After"))
	}
}

func TestRommTokens(t *testing.T) {
	e := rommEnv(t, Options{ForbidAfterApproval: 2 * time.Second})
	tok := e.rommPair("install-1", url.Values{"expires_in": {"30d"}}, "me.read", "devices.write")
	at, devID := tok.str("access_token"), tok.str("device_id")
	if got, want := tok.str("expires_at"), "2025-07-01T12:00:00Z"; got != want {
		t.Errorf("expires_at = %q, want %q", got, want)
	}
	wantDetail(t, "users/me right after approval", e.get("/api/users/me", bearer(at)), 403, "Forbidden")
	e.clk.Advance(2 * time.Second)
	if r := e.get("/api/users/me", bearer(at)); r.status != http.StatusOK {
		t.Fatalf("users/me after the forbidden window: %d %s", r.status, r.body)
	}

	// Dedupe on the identifier: same device, new token, old token valid.
	again := e.rommPair("install-1", nil, "me.read", "roms.read")
	if again.str("device_id") != devID || again.str("access_token") == at {
		t.Errorf("re-pair: device_id %q (want %q), token reused %v", again.str("device_id"), devID, again.str("access_token") == at)
	}
	other := e.rommPair("install-2", nil, "roms.read")
	if other.str("device_id") == devID {
		t.Errorf("another identifier got the same device_id")
	}
	e.clk.Advance(2 * time.Second)
	for _, tk := range []string{at, again.str("access_token")} {
		if r := e.get("/api/users/me", bearer(tk)); r.status != http.StatusOK || r.str("current_device_id") != devID {
			t.Errorf("users/me with a token of the deduped device: %d %s", r.status, r.body)
		}
	}
	wantDetail(t, "users/me without me.read", e.get("/api/users/me", bearer(other.str("access_token"))), 403, "Forbidden")

	// Delete the device: tokens stay valid, unbound.
	wantDetail(t, "delete without devices.write", e.rommDelete(devID, again.str("access_token")), 403, "Forbidden")
	if r := e.rommDelete(devID, at); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /api/devices/%s: %d %s", devID, r.status, r.body)
	}
	wantDetail(t, "delete twice", e.rommDelete(devID, at), 404, "Device with ID "+devID+" not found")
	me := e.get("/api/users/me", bearer(again.str("access_token")))
	if v, ok := me.json["current_device_id"]; me.status != http.StatusOK || !ok || v != nil {
		t.Errorf("users/me after device deletion: %d %s, want current_device_id null", me.status, me.body)
	}

	// Revoked, unknown and expired tokens: 401 Not authenticated.
	if !e.srv.RevokeToken(again.str("access_token")) {
		t.Errorf("RevokeToken = false")
	}
	for name, tk := range map[string]string{"revoked": again.str("access_token"), "unknown": "rmm_00", "not rmm": "at_x"} {
		r := e.get("/api/users/me", bearer(tk))
		wantDetail(t, name, r, 401, "Not authenticated")
		if r.header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: WWW-Authenticate = %q", name, r.header.Get("WWW-Authenticate"))
		}
	}
	wantDetail(t, "no header", e.get("/api/users/me", nil), 401, "Not authenticated")
	e.clk.Advance(31 * 24 * time.Hour)
	wantDetail(t, "30d token after 31 days", e.get("/api/users/me", bearer(at)), 401, "Not authenticated")

	// A bad expiry from the page is refused.
	in := e.rommInit(rommInitBody("install-3"))
	if r := e.post("/device", url.Values{"user_code": {in.str("user_code")}, "action": {"approve"}, "expires_in": {"2w"}}, nil); r.status != http.StatusBadRequest {
		t.Errorf("approve with expiry 2w: %d, want 400", r.status)
	}
	e.noSecretsLogged(at, again.str("access_token"), other.str("access_token"))
}

func (e *env) rommDelete(id, tok string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodDelete, e.url+"/api/devices/"+id, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	bearer(tok)(req)
	return e.do(req)
}
