package main

// End-to-end tests: the real pairingd binary, built once by TestMain,
// against the development authorization server (internal/devauth) on a
// loopback port. They check what a user sees: the code and QR code on
// stdout, the exit codes and output of status, token and unpair.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

var (
	pairedRE = regexp.MustCompile(`^Paired\b`)
	goToRE   = regexp.MustCompile(`^Go to: (\S+)$`)
)

// completeURI is what the QR code must carry for userCode.
func completeURI(issuer, userCode string) string {
	return issuer + "/device?user_code=" + url.QueryEscape(userCode)
}

func TestPairEndToEnd(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := filepath.Join(t.TempDir(), "state") // run creates it
	d := startDaemon(t, dir, as.issuer)

	i, code := d.waitCode(0)
	if _, _, m := d.waitLine(i, goToRE); m[1] != as.VerificationURI() {
		t.Errorf("Go to: %q, want %q", m[1], as.VerificationURI())
	}
	if got, want := decodeQR(t, d.waitQR(i)), completeURI(as.issuer, code); got != want {
		t.Errorf("QR code = %q, want %q", got, want)
	}

	// Before approval: not paired, and status says what to do.
	s, r := statusJSONOf(t, dir)
	if got, want := r.code, exitNotPaired; got != want {
		t.Errorf("status --json while awaiting: exit %d, want %d", got, want)
	}
	if s.State != "awaiting_user" || s.UserCode != code || s.VerificationURIComplete != completeURI(as.issuer, code) {
		t.Errorf("status --json while awaiting: state %q user_code %q verification_uri_complete %q, want awaiting_user, %q, %q",
			s.State, s.UserCode, s.VerificationURIComplete, code, completeURI(as.issuer, code))
	}
	if !s.DaemonRunning || s.DaemonPID != d.cmd.Process.Pid {
		t.Errorf("status --json: daemon_running %v daemon_pid %d, want true, %d", s.DaemonRunning, s.DaemonPID, d.cmd.Process.Pid)
	}

	// Approve as a browser would.
	decide(t, as.issuer, code, "approve")
	approved := time.Now()

	s, r = waitStatus(t, dir, "paired")
	statusLatency := time.Since(approved)
	_, l, _ := d.waitLine(i, pairedRE)
	screenLatency := l.at.Sub(approved)
	t.Logf("approval to status paired: %v; to %q on stdout: %v", statusLatency.Round(time.Millisecond), l.text, screenLatency.Round(time.Millisecond))
	if limit := testInterval + time.Second; screenLatency > limit {
		t.Errorf("daemon printed %q %v after approval, want within one interval plus a second (%v)", l.text, screenLatency, limit)
	}

	if got, want := r.code, exitOK; got != want {
		t.Errorf("status --json when paired: exit %d, want %d", got, want)
	}
	if s.DeviceID == "" {
		t.Errorf("status --json: device_id is empty")
	}
	if got, want := s.Server, as.issuer; got != want {
		t.Errorf("status --json: server %q, want %q", got, want)
	}
	if s.PairedAt == nil || s.TokenExpiresAt == nil {
		t.Errorf("status --json: paired_at %v, token_expires_at %v, want both set", s.PairedAt, s.TokenExpiresAt)
	}
	if s.UserCode != "" {
		t.Errorf("status --json when paired: user_code %q, want none", s.UserCode)
	}
	if r := pairingd(t, "status", "--state-dir", dir); r.code != exitOK || !strings.Contains(r.stdout, "paired") {
		t.Errorf("status when paired: exit %d, stdout:\n%s\nwant exit 0 and the state", r.code, r.stdout)
	}

	r = pairingd(t, "token", "--state-dir", dir)
	if r.code != exitOK {
		t.Fatalf("token: exit %d, stderr: %s", r.code, r.stderr)
	}
	tok := strings.TrimSpace(r.stdout)
	if tok == "" || strings.Contains(tok, "\n") {
		t.Fatalf("token printed %q, want one token on one line", r.stdout)
	}
	if got, want := userinfoStatus(t, as.issuer, tok), http.StatusOK; got != want {
		t.Errorf("GET /userinfo with the token from pairingd token: %d, want %d", got, want)
	}
}

// TestKillResume kills the daemon while it waits for the user and starts
// it again: it must show the same code and pair when it is approved. With
// discovery, the restarted daemon knows no token endpoint until it asks for
// a new code; the second case configures the endpoints, to tell a resume
// bug from a discovery one.
func TestKillResume(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		flags func(issuer string) []string
	}{
		{"discovery", func(string) []string { return nil }},
		{"configured endpoints", func(issuer string) []string {
			return []string{"--device-authorization-endpoint", issuer + "/device_authorization",
				"--token-endpoint", issuer + "/token", "--revocation-endpoint", issuer + "/revoke"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := startAuthServer(t, devauth.Options{}, nil)
			dir := t.TempDir()
			d := startDaemon(t, dir, as.issuer, tt.flags(as.issuer)...)
			_, code := d.waitCode(0)
			d.kill() // SIGKILL: no chance to clean up

			if s, _ := statusJSONOf(t, dir); s.DaemonRunning {
				t.Errorf("status --json after kill -9: daemon_running true (pid %d), want false", s.DaemonPID)
			}

			d2 := startDaemon(t, dir, as.issuer, tt.flags(as.issuer)...)
			i, code2 := d2.waitCode(0)
			if code2 != code {
				t.Errorf("after restart the daemon shows code %q, want the unexpired %q", code2, code)
			}
			if got, want := decodeQR(t, d2.waitQR(i)), completeURI(as.issuer, code); got != want {
				t.Errorf("QR code after restart = %q, want %q", got, want)
			}
			decide(t, as.issuer, code2, "approve")
			// A new code instead of "Paired" means the resumed code was
			// dropped; say so at once rather than time out.
			if _, l, m := d2.waitLine(i+1, regexp.MustCompile(`^(?:Paired\b|Code: (\S+)$)`)); m[1] != "" {
				t.Fatalf("after approving the resumed code %q the daemon dropped it and shows %q; stderr:\n%s", code2, l.text, d2.stderr)
			}
			if s, r := waitStatus(t, dir, "paired"); r.code != exitOK || s.DeviceID == "" {
				t.Errorf("status after resume: exit %d device_id %q, want 0 and an id", r.code, s.DeviceID)
			}
		})
	}
}

func TestDenyThenNewCode(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := t.TempDir()
	const cooldown = 2 * time.Second
	d := startDaemon(t, dir, as.issuer, "--denied-cooldown", cooldown.String())
	i, code := d.waitCode(0)

	decide(t, as.issuer, code, "deny")
	j, denied, _ := d.waitLine(i, regexp.MustCompile(`(?i)denied`))
	_, newCode, m := d.waitLine(j, codeRE)
	code2 := m[1]
	if code2 == code {
		t.Errorf("after the denial the daemon shows the denied code %q again, want a new one", code)
	}
	if gap := newCode.at.Sub(denied.at); gap < cooldown-200*time.Millisecond {
		t.Errorf("new code %v after %q, want after the %v cool-down", gap, denied.text, cooldown)
	} else {
		t.Logf("new code %v after %q", gap.Round(time.Millisecond), denied.text)
	}
	if s, r := waitStatus(t, dir, "awaiting_user"); r.code != exitNotPaired || s.UserCode != code2 {
		t.Errorf("status after the new code: exit %d user_code %q, want %d, %q", r.code, s.UserCode, exitNotPaired, code2)
	}
}

// TestServerDownThenBack approves while the server is unreachable: the
// daemon must keep the code on screen, back off, and pair once the server
// is back on the same address.
func TestServerDownThenBack(t *testing.T) {
	t.Parallel()
	ln := reserveAddr(t)
	addr := ln.Addr().String()
	issuer := "http://" + addr
	srv := devauth.New(devauth.Options{Issuer: issuer, Interval: testInterval})
	serve := func(ln net.Listener) *httptest.Server {
		ts := httptest.NewUnstartedServer(srv)
		ts.Listener.Close()
		ts.Listener = ln
		ts.Start()
		t.Cleanup(ts.Close)
		return ts
	}
	ts := serve(ln)

	dir := t.TempDir()
	d := startDaemon(t, dir, issuer)
	i, code := d.waitCode(0)

	const outage = 3 * time.Second
	ts.Close()
	down := time.Now()
	if err := srv.Approve(code); err != nil {
		t.Fatalf("Approve(%q) while down: %v", code, err)
	}
	// The user sees why nothing happens, and the code stays.
	d.waitLine(i, regexp.MustCompile(`(?i)can't reach the server`))
	time.Sleep(time.Until(down.Add(outage)))
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	serve(ln2)
	up := time.Now()

	_, l, _ := d.waitLineWithin(i, pairedRE, 70*time.Second)
	t.Logf("paired %v after the server came back (outage %v)", l.at.Sub(up).Round(time.Millisecond), up.Sub(down).Round(time.Millisecond))
	lines, _ := d.stdout.snapshot()
	for _, l := range lines[i+1:] {
		if m := codeRE.FindStringSubmatch(l.text); m != nil && m[1] != code {
			t.Errorf("the daemon showed a new code %q during the outage, want %q kept", m[1], code)
		}
	}
	if s, r := waitStatus(t, dir, "paired"); r.code != exitOK || s.Server != issuer {
		t.Errorf("status after the outage: exit %d server %q, want 0, %q", r.code, s.Server, issuer)
	}
}

func TestSecondDaemonRefused(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := t.TempDir()
	d := startDaemon(t, dir, as.issuer)
	d.waitCode(0)

	start := time.Now()
	r := pairingd(t, "run", "--state-dir", dir, "--issuer", as.issuer, "--client-id", "e2e-test", "--display", "plain")
	elapsed := time.Since(start)
	if r.code == exitOK {
		t.Errorf("second pairingd run on %s: exit 0, want non-zero", dir)
	}
	if elapsed > 5*time.Second {
		t.Errorf("second pairingd run took %v to give up, want quick", elapsed)
	}
	pid := fmt.Sprintf("pid %d", d.cmd.Process.Pid)
	if !strings.Contains(r.stderr, dir) || !strings.Contains(r.stderr, pid) {
		t.Errorf("second pairingd run: stderr %q, want it to name %s and %q", r.stderr, dir, pid)
	}
	if code, exited := d.exited(); exited {
		t.Errorf("the first daemon exited (%d) when the second started", code)
	}
}

func TestSIGTERMStopsFast(t *testing.T) {
	t.Parallel()
	t.Run("awaiting", func(t *testing.T) {
		t.Parallel()
		as := startAuthServer(t, devauth.Options{}, nil)
		d := startDaemon(t, t.TempDir(), as.issuer)
		d.waitCode(0)
		took, code := d.sigterm(time.Second)
		t.Logf("exited %d %v after SIGTERM", code, took.Round(time.Millisecond))
		if code != exitOK {
			t.Errorf("exit code after SIGTERM = %d, want %d; stderr:\n%s", code, exitOK, d.stderr)
		}
	})
	t.Run("token request hangs", func(t *testing.T) {
		t.Parallel()
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		as := startAuthServer(t, devauth.Options{}, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/token" {
					h.ServeHTTP(w, r)
					return
				}
				select {
				case entered <- struct{}{}:
				default:
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
		})
		// Cleanups run last first: release the handler before the
		// server's Close waits for it.
		t.Cleanup(func() { close(release) })
		d := startDaemon(t, t.TempDir(), as.issuer)
		d.waitCode(0)
		select {
		case <-entered:
		case <-time.After(waitTimeout):
			t.Fatalf("the daemon sent no token request within %v", waitTimeout)
		}
		took, code := d.sigterm(time.Second)
		t.Logf("exited %d %v after SIGTERM during a hanging token request", code, took.Round(time.Millisecond))
		if code != exitOK {
			t.Errorf("exit code after SIGTERM = %d, want %d; stderr:\n%s", code, exitOK, d.stderr)
		}
	})
}

// secretRecorder learns the secrets that devauth hands out by reading its
// responses: devauth exposes none of them.
type secretRecorder struct {
	mu      sync.Mutex
	secrets map[string]string // value -> what it is
	grants  int               // successful token responses
}

func (sr *secretRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every profile's endpoints: whatever answer carries a secret.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var body struct {
			DeviceCode   string `json:"device_code"`
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			ClientSecret string `json:"client_secret"` // the Data Exporter API's site secret
			JWT          string `json:"token"`         // and its exchanged JWT
		}
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			sr.mu.Lock()
			for _, s := range []struct{ kind, v string }{
				{"device_code", body.DeviceCode},
				{"access_token", body.AccessToken},
				{"refresh_token", body.RefreshToken},
				{"client_secret", body.ClientSecret},
				{"access_token", body.JWT},
			} {
				if s.v != "" {
					sr.secrets[s.v] = s.kind
				}
			}
			if body.AccessToken != "" || body.JWT != "" {
				sr.grants++
			}
			sr.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func (sr *secretRecorder) count() (grants int, kinds map[string]int) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	kinds = map[string]int{}
	for _, k := range sr.secrets {
		kinds[k]++
	}
	return sr.grants, kinds
}

// TestNoSecretsInOutput runs pairing, a refresh and an unpair with debug
// logging, and looks for every device code and token the server handed out
// in everything pairingd printed.
func TestNoSecretsInOutput(t *testing.T) {
	t.Parallel()
	sr := &secretRecorder{secrets: map[string]string{}}
	// A 12 s token is refreshed 10 s before expiry: about 2 s after
	// pairing.
	as := startAuthServer(t, devauth.Options{TokenTTL: 12 * time.Second}, sr.wrap)
	dir := t.TempDir()
	d := startDaemon(t, dir, as.issuer, "--log-level", "debug")

	var outputs []string // what pairingd printed, apart from `token`
	status := func() statusJSON {
		t.Helper()
		r := pairingd(t, "status", "--state-dir", dir)
		s, rj := statusJSONOf(t, dir)
		outputs = append(outputs, r.stdout, r.stderr, rj.stdout, rj.stderr)
		return s
	}

	i, code := d.waitCode(0)
	status()
	decide(t, as.issuer, code, "approve")
	i, _, _ = d.waitLine(i, pairedRE)
	s1, _ := waitStatus(t, dir, "paired")
	status()

	// Wait for the daemon's refresh, and for it to be stored.
	deadline := time.Now().Add(waitTimeout)
	for {
		grants, _ := sr.count()
		s := status()
		if grants >= 2 && s.TokenExpiresAt != nil && s1.TokenExpiresAt != nil && !s.TokenExpiresAt.Equal(*s1.TokenExpiresAt) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refresh stored within %v (%d grants; token_expires_at %v, was %v)", waitTimeout, grants, s.TokenExpiresAt, s1.TokenExpiresAt)
		}
		time.Sleep(200 * time.Millisecond)
	}

	r := pairingd(t, "token", "--state-dir", dir)
	tok := strings.TrimSpace(r.stdout)
	outputs = append(outputs, r.stderr)
	sr.mu.Lock()
	kind := sr.secrets[tok]
	sr.mu.Unlock()
	if r.code != exitOK || kind != "access_token" {
		t.Errorf("token: exit %d, printed a %q, want 0 and an access token the server issued", r.code, kind)
	}

	r = pairingd(t, "unpair", "--state-dir", dir)
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code != exitOK {
		t.Errorf("unpair: exit %d, stderr %s", r.code, r.stderr)
	}
	_, code2 := d.waitCode(i)
	if code2 == code {
		t.Errorf("after unpair the daemon shows the old code %q", code)
	}
	// The new code's device code is recorded once the daemon shows it.
	status()
	if took, c := d.sigterm(time.Second); c != exitOK {
		t.Errorf("exit %d %v after SIGTERM", c, took)
	}
	outputs = append(outputs, d.stdout.String(), d.stderr.String())

	if !strings.Contains(d.stderr.String(), "level=DEBUG") {
		t.Errorf("no debug lines on stderr with --log-level debug; the scan proves little")
	}
	_, kinds := sr.count()
	t.Logf("secrets handed out: %v", kinds)
	if kinds["device_code"] < 2 || kinds["access_token"] < 2 || kinds["refresh_token"] < 2 {
		t.Errorf("secrets handed out: %v, want at least 2 of each (pairing, refresh, new code after unpair)", kinds)
	}
	all := strings.Join(outputs, "\n")
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for v, kind := range sr.secrets {
		if strings.Contains(all, v) {
			t.Errorf("%s value appears in pairingd's output", kind)
		}
	}
}

func TestStatusExitCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args func(dir string) []string
		code int
		want []string // in stderr
	}{
		{
			name: "status on an empty state dir",
			args: func(dir string) []string { return []string{"status", "--state-dir", dir} },
			code: exitNotPaired,
			want: []string{"not paired", "state-dir"},
		},
		{
			name: "status --json on an empty state dir",
			args: func(dir string) []string { return []string{"status", "--json", "--state-dir", dir} },
			code: exitNotPaired,
			want: []string{"not paired"},
		},
		{
			name: "bad display",
			args: func(dir string) []string {
				return []string{"run", "--state-dir", dir, "--issuer", "http://127.0.0.1:1", "--client-id", "x", "--display", "vga"}
			},
			code: exitUsage,
			want: []string{"display", "vga"},
		},
		{
			name: "run with http to a non-loopback issuer",
			args: func(dir string) []string {
				return []string{"run", "--state-dir", dir, "--issuer", "http://example.com", "--client-id", "x", "--display", "plain"}
			},
			code: exitUsage,
			want: []string{"issuer", "http", "loopback"},
		},
		{
			name: "unknown command",
			args: func(string) []string { return []string{"pair"} },
			code: exitUsage,
			want: []string{`unknown command "pair"`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state")
			r := pairingd(t, tt.args(dir)...)
			if r.code != tt.code {
				t.Errorf("pairingd %v: exit %d, want %d; stderr: %s", tt.args(dir), r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("pairingd %v: stderr %q, want it to contain %q", tt.args(dir), r.stderr, w)
				}
			}
			if tt.code == exitNotPaired && !strings.Contains(r.stderr, dir) {
				t.Errorf("stderr %q does not name the state directory %s", r.stderr, dir)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("pairingd %v created the state directory", tt.args(dir))
			}
		})
	}
}

func TestTokenNotPaired(t *testing.T) {
	t.Parallel()
	t.Run("empty state dir", func(t *testing.T) {
		t.Parallel()
		r := pairingd(t, "token", "--state-dir", filepath.Join(t.TempDir(), "state"))
		if r.code != exitNotPaired || r.stdout != "" {
			t.Errorf("token: exit %d, stdout %q, want %d and nothing", r.code, r.stdout, exitNotPaired)
		}
	})
	t.Run("awaiting the user", func(t *testing.T) {
		t.Parallel()
		as := startAuthServer(t, devauth.Options{}, nil)
		dir := t.TempDir()
		d := startDaemon(t, dir, as.issuer)
		d.waitCode(0)
		r := pairingd(t, "token", "--state-dir", dir)
		if r.code != exitNotPaired || r.stdout != "" {
			t.Errorf("token: exit %d, stdout %q, want %d and nothing", r.code, r.stdout, exitNotPaired)
		}
		if !strings.Contains(r.stderr, "not paired") {
			t.Errorf("token: stderr %q, want it to say not paired", r.stderr)
		}
	})
}

func TestUnpairShowsNewCode(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := t.TempDir()
	d := startDaemon(t, dir, as.issuer)
	i, code := d.waitCode(0)
	decide(t, as.issuer, code, "approve")
	i, _, _ = d.waitLine(i, pairedRE)
	s1, _ := waitStatus(t, dir, "paired")
	tok := strings.TrimSpace(pairingd(t, "token", "--state-dir", dir).stdout)

	r := pairingd(t, "unpair", "--state-dir", dir)
	unpaired := time.Now()
	if r.code != exitOK || !strings.Contains(r.stdout, s1.DeviceID) {
		t.Errorf("unpair: exit %d, stdout %q, stderr %q; want 0 and the kept device id %s", r.code, r.stdout, r.stderr, s1.DeviceID)
	}
	_, l, m := d.waitLine(i, codeRE)
	code2 := m[1]
	t.Logf("new code %v after unpair", l.at.Sub(unpaired).Round(time.Millisecond))
	if took := l.at.Sub(unpaired); took > 5*time.Second {
		t.Errorf("new code %v after unpair, want within a few seconds", took)
	}
	if code2 == code {
		t.Errorf("after unpair the daemon shows the old code %q", code)
	}
	s2, r := waitStatus(t, dir, "awaiting_user")
	if r.code != exitNotPaired {
		t.Errorf("status after unpair: exit %d, want %d", r.code, exitNotPaired)
	}
	if s2.DeviceID != s1.DeviceID {
		t.Errorf("device_id after unpair = %q, want %q kept", s2.DeviceID, s1.DeviceID)
	}
	if got, want := userinfoStatus(t, as.issuer, tok), http.StatusUnauthorized; got != want {
		t.Errorf("GET /userinfo with the token from before unpair: %d, want %d (revoked)", got, want)
	}
}
