package devauth

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/logtest"
)

// clock is a fake clock the tests advance by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t    *testing.T
	srv  *Server
	url  string
	clk  *clock
	logs *logtest.Buffer
}

// newEnv starts a Server on 127.0.0.1 with a fake clock; o.Issuer, Now and
// Logger are filled in.
func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	e := &env{
		t:    t,
		url:  "http://" + ts.Listener.Addr().String(),
		clk:  &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)},
		logs: &logtest.Buffer{},
	}
	o.Issuer = e.url
	o.Now = e.clk.Now
	o.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv = New(o)
	ts.Config.Handler = e.srv
	ts.Start()
	t.Cleanup(ts.Close)
	return e
}

type response struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (r response) str(key string) string {
	s, _ := r.json[key].(string)
	return s
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("reading %s %s: %v", req.Method, req.URL, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.json); err != nil {
			e.t.Fatalf("%s %s: decoding JSON %q: %v", req.Method, req.URL, b, err)
		}
	}
	return r
}

// post sends form to path; edit, when not nil, changes the request first.
func (e *env) post(path string, form url.Values, edit func(*http.Request)) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	return e.do(req)
}

func (e *env) get(path string, edit func(*http.Request)) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	return e.do(req)
}

// authorize runs a device authorization for client "tv" and returns the
// answer, failing the test unless it is a 200.
func (e *env) authorize(scope string) response {
	e.t.Helper()
	form := url.Values{"client_id": {"tv"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := e.post("/device_authorization", form, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("device authorization: status %d, body %s", r.status, r.body)
	}
	return r
}

func (e *env) poll(deviceCode string) response {
	e.t.Helper()
	return e.post("/token", url.Values{
		"grant_type":  {GrantDeviceCode},
		"device_code": {deviceCode},
		"client_id":   {"tv"},
	}, nil)
}

func (e *env) refresh(refreshToken string) response {
	e.t.Helper()
	return e.post("/token", url.Values{
		"grant_type":    {GrantRefreshToken},
		"refresh_token": {refreshToken},
		"client_id":     {"tv"},
	}, nil)
}

// pair runs a whole flow and returns the token response.
func (e *env) pair(scope string) response {
	e.t.Helper()
	da := e.authorize(scope)
	if err := e.srv.Approve(da.str("user_code")); err != nil {
		e.t.Fatalf("Approve(%q): %v", da.str("user_code"), err)
	}
	r := e.poll(da.str("device_code"))
	if r.status != http.StatusOK {
		e.t.Fatalf("poll after approval: status %d, body %s", r.status, r.body)
	}
	return r
}

// wantError checks an RFC 6749 §5.2 error answer.
func wantError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Errorf("%s = %d %q, want %d %q (body %s)", what, r.status, r.str("error"), status, code, r.body)
	}
}

// postJSON sends v as a JSON body to path; a string v is sent verbatim.
func (e *env) postJSON(path string, v any, edit func(*http.Request)) response {
	e.t.Helper()
	var body []byte
	if s, ok := v.(string); ok {
		body = []byte(s)
	} else {
		var err error
		if body, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if edit != nil {
		edit(req)
	}
	return e.do(req)
}

// approvePage approves (or denies) userCode through the /device POST, as
// scripts do, with extra form fields; it fails the test unless it is a 200.
func (e *env) approvePage(userCode, action string, extra url.Values) {
	e.t.Helper()
	form := url.Values{"user_code": {userCode}, "action": {action}}
	for k, v := range extra {
		form[k] = v
	}
	r := e.post("/device", form, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("POST /device %s %s: status %d, body %s", action, userCode, r.status, r.body)
	}
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// noSecretsLogged fails the test if any of secrets is in the log.
func (e *env) noSecretsLogged(secrets ...string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, s := range secrets {
		if s == "" {
			e.t.Errorf("noSecretsLogged: empty secret (flow incomplete?)")
		} else if strings.Contains(logs, s) {
			e.t.Errorf("log contains a secret %q:\n%s", s, logs)
		}
	}
}

// detail returns a RomM-style {"detail": "..."} string.
func (r response) detail() string {
	s, _ := r.json["detail"].(string)
	return s
}
