package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/devauth"
	"github.com/pairingd/pairingd/internal/logtest"
	"github.com/pairingd/pairingd/localapi"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store/sqlite"
)

// pairDaemon starts a daemon on state against a new devauth server and
// pairs it; extra are more flags for the daemon.
func pairDaemon(t *testing.T, state string, o devauth.Options, wrap func(http.Handler) http.Handler, extra ...string) (*daemon, *authServer) {
	t.Helper()
	as := startAuthServer(t, o, wrap)
	d := startDaemon(t, state, as.issuer, extra...)
	i, code := d.waitCode(0)
	decide(t, as.issuer, code, "approve")
	d.waitLine(i, pairedRE)
	return d, as
}

// existingGroup returns a group of this machine that uid 65534 is not in.
func existingGroup(t *testing.T) (name string, gid int) {
	t.Helper()
	for _, n := range []string{"users", "video", "staff", "adm", "daemon"} {
		if g, err := user.LookupGroup(n); err == nil {
			gid, _ := strconv.Atoi(g.Gid)
			return n, gid
		}
	}
	t.Skip("no group to let a user in with")
	return "", 0
}

// The local API lets in root, members of socket_group and nobody else:
// as another uid (nobody, 65534) the token comes through the socket only
// with the group, without access to the database; outside the group the
// socket's mode refuses, and when the mode was loosened by hand the peer
// check does, saying how to be let in.
func TestLocalAPIPeerCredentials(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the client as other users")
	}
	dir, bin := openBinary(t)
	group, gid := existingGroup(t)
	state := filepath.Join(dir, "state")
	sock := filepath.Join(dir, "run", "pairingd.sock")
	d, _ := pairDaemon(t, state, devauth.Options{}, nil, "--socket", sock, "--socket-group", group)
	as := func(groups []uint32, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = childEnv()
		if groups != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: groups}}
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("pairingd %s: %v", strings.Join(args, " "), err)
		}
		return out.String() + errb.String(), cmd.ProcessState.ExitCode()
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o660 || int(st.Gid) != gid {
		t.Errorf("socket mode %v group %d, want 0660 group %d (%s)", fi.Mode().Perm(), st.Gid, gid, group)
	}
	args := []string{"token", "--state-dir", state, "--socket", sock, "--config", os.DevNull}
	rootOut, code := as(nil, args...)
	token := strings.TrimSpace(rootOut)
	if code != 0 || token == "" {
		t.Fatalf("token as root: exit %d, %q", code, rootOut)
	}
	if out, code := as([]uint32{uint32(gid)}, args...); code != 0 || strings.TrimSpace(out) != token {
		t.Errorf("token as uid 65534 in %s: exit %d, %q; want exit 0 and root's token", group, code, out)
	}
	out, code := as([]uint32{}, args...)
	if code == 0 || strings.Contains(out, token) || !strings.Contains(out, "permission denied") {
		t.Errorf("token as uid 65534 outside %s: exit %d, %q; want a refusal", group, code, out)
	}
	t.Logf("outside the group, by the socket's mode: %s", strings.TrimSpace(out))
	// Loosened by hand: the peer check still refuses.
	for p, mode := range map[string]os.FileMode{sock: 0o666, filepath.Dir(sock): 0o755} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	out, code = as([]uint32{}, args...)
	if code == 0 || strings.Contains(out, token) || !strings.Contains(out, "usermod -aG "+group) {
		t.Errorf("token as uid 65534 outside %s on a 0666 socket: exit %d, %q; want the refusal saying usermod -aG %s", group, code, out, group)
	}
	t.Logf("outside the group, by the peer check: %s", strings.TrimSpace(out))
	waitLine(t, d, d.stderr, 0, regexp.MustCompile(`local API: refused.*uid=65534`), waitTimeout)
	if strings.Contains(d.stderr.String(), token) || strings.Contains(d.stdout.String(), token) {
		t.Errorf("the daemon's output shows the token")
	}
}

// watch sees every transition of a pairing, a denial and an unpair in
// order; wait returns within 100 ms of the commit that pairs; nothing a
// program sees (events, metrics, the log) holds the token or the device
// code.
func TestWaitAndWatch(t *testing.T) {
	needBinary(t)
	as := startAuthServer(t, devauth.Options{}, nil)
	state := filepath.Join(t.TempDir(), "state")
	d := startDaemon(t, state, as.issuer, "--denied-cooldown", "1s")
	i, code := d.waitCode(0)
	st, err := sqlite.Open(context.Background(), state, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Pairing(context.Background())
	st.Close()
	if err != nil || rec.Code.DeviceCode == "" {
		t.Fatalf("the stored device code: %v", err)
	}
	deviceCode := rec.Code.DeviceCode

	watch := exec.Command(pairingdBin, "watch", "--json", "--state-dir", state)
	watch.Env = childEnv()
	events := newLineBuf()
	watch.Stdout, watch.Stderr = events, events
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer watch.Process.Kill()
	waitLine(t, d, events, 0, regexp.MustCompile(`"state":"awaiting_user"`), waitTimeout)

	decide(t, as.issuer, code, "deny")
	i, _, _ = d.waitLine(i, regexp.MustCompile(`^Pairing was denied`))
	i, code = d.waitCode(i)

	wait := exec.Command(pairingdBin, "wait", "--state-dir", state, "--timeout", "20s")
	wait.Env = childEnv()
	var waitOut bytes.Buffer
	wait.Stdout, wait.Stderr = &waitOut, &waitOut
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan time.Time, 1)
	go func() {
		wait.Wait()
		waited <- time.Now()
	}()
	time.Sleep(300 * time.Millisecond) // it is following the events
	decide(t, as.issuer, code, "approve")
	_, committed, _ := waitLine(t, d, d.stderr, 0, regexp.MustCompile(`state awaiting_user -> paired`), waitTimeout)
	var returned time.Time
	select {
	case returned = <-waited:
	case <-time.After(waitTimeout):
		t.Fatalf("wait did not return after pairing")
	}
	if c := wait.ProcessState.ExitCode(); c != 0 {
		t.Errorf("wait: exit %d, %s", c, waitOut.String())
	}
	lag := returned.Sub(committed.at)
	t.Logf("wait returned %v after the daemon logged the commit", lag.Round(time.Microsecond))
	if lag > 100*time.Millisecond {
		t.Errorf("wait returned %v after the commit that pairs, want within 100 ms", lag)
	}
	token := strings.TrimSpace(pairingd(t, "token", "--state-dir", state).stdout)

	c := localapi.NewClient(filepath.Join(state, "pairingd.sock"))
	defer c.Close()
	metrics, err := c.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`pairingd_state{state="paired"} 1`, "pairingd_polls_total ", "pairingd_token_expiry_seconds ", `pairingd_build_info{version=`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	if r := pairingd(t, "unpair", "--state-dir", state); r.code != 0 || !strings.Contains(r.stdout, "Unpaired.") {
		t.Errorf("unpair: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	d.waitCode(i)
	waitLine(t, d, events, 0, regexp.MustCompile(`"old_state":"unpaired".*"state":"awaiting_user"|"state":"awaiting_user","old_state":"unpaired"`), waitTimeout)
	time.Sleep(200 * time.Millisecond)

	var got []string
	lines, _ := events.snapshot()
	for _, l := range lines {
		m := regexp.MustCompile(`"state":"([a-z_]+)","old_state":"([a-z_]+)"`).FindStringSubmatch(l.text)
		if m == nil {
			t.Errorf("watch --json printed %q", l.text)
			continue
		}
		got = append(got, m[2]+">"+m[1])
	}
	want := []string{"unpaired>awaiting_user", "awaiting_user>denied", "denied>awaiting_user",
		"awaiting_user>paired", "paired>unpaired", "unpaired>awaiting_user"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("watch saw\n %v\nwant\n %v", got, want)
	}
	all := events.String() + string(metrics) + d.stdout.String() + d.stderr.String()
	for name, secret := range map[string]string{"access token": token, "device code": deviceCode} {
		if secret == "" || strings.Contains(all, secret) {
			t.Errorf("the %s (%q) is in the events, metrics or the daemon's output", name, secret)
		}
	}
}

// wait gives up with exit 3 at its timeout, and without a daemon reads
// the database.
func TestWaitTimeout(t *testing.T) {
	needBinary(t)
	as := startAuthServer(t, devauth.Options{}, nil)
	state := filepath.Join(t.TempDir(), "state")
	d := startDaemon(t, state, as.issuer)
	d.waitCode(0)
	start := time.Now()
	r := pairingd(t, "wait", "--state-dir", state, "--timeout", "500ms")
	if took := time.Since(start); r.code != exitNotPaired || took > 5*time.Second || !strings.Contains(r.stderr, "not paired after 500ms") {
		t.Errorf("wait --timeout 500ms: exit %d after %v, %q; want exit 3 soon, saying so", r.code, took, r.stderr)
	}
	if r := pairingd(t, "wait", "--state-dir", state, "--state", "awaiting_user", "--timeout", "5s"); r.code != 0 {
		t.Errorf("wait --state awaiting_user while awaiting: exit %d %q", r.code, r.stderr)
	}
	d.sigterm(10 * time.Second)
	if r := pairingd(t, "wait", "--state-dir", state, "--state", "awaiting_user", "--timeout", "5s"); r.code != 0 {
		t.Errorf("wait without a daemon, in the stored state: exit %d %q", r.code, r.stderr)
	}
}

// on_change runs for every change with the states, the server and the
// device id in its environment and never a secret; it can get the token
// from the daemon; its output goes to the log; one that hangs is stopped
// at on_change_timeout and holds nothing up.
func TestOnChangeHook(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	hook := filepath.Join(dir, "hook")
	script := `#!/bin/sh
n=$(ls "$OUT" | wc -l)
env | grep -E '^PAIRING' | sort > "$OUT/$(printf %03d "$n")-$PAIRING_STATE"
echo "hook saw $PAIRING_OLD_STATE to $PAIRING_STATE"
if [ "$PAIRING_STATE" = paired ]; then "$BIN" token --config /dev/null > "$OUT/token"; fi
if [ -n "$PAIRING_FIRST" ]; then sleep 60; fi
`
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	as := startAuthServer(t, devauth.Options{}, nil)
	state := filepath.Join(dir, "state")
	d := startDaemonEnv(t, state, as.issuer, []string{"OUT=" + out, "BIN=" + pairingdBin},
		"--on-change", hook, "--on-change-timeout", "2s")
	// The first run hangs; the code comes all the same.
	start := time.Now()
	i, code := d.waitCode(0)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the code took %v with a hanging hook", took)
	}
	waitLine(t, d, d.stderr, 0, regexp.MustCompile(`on_change took too long and was stopped`), waitTimeout)
	decide(t, as.issuer, code, "approve")
	d.waitLine(i, pairedRE)
	waitLine(t, d, d.stderr, 0, regexp.MustCompile(`on_change output.*hook saw awaiting_user to paired`), waitTimeout)
	deadline := time.Now().Add(waitTimeout)
	var tok []byte
	for time.Now().Before(deadline) {
		if tok, _ = os.ReadFile(filepath.Join(out, "token")); len(bytes.TrimSpace(tok)) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	token := strings.TrimSpace(string(tok))
	if token == "" {
		t.Fatalf("the hook got no token from pairingd token")
	}
	entries, _ := os.ReadDir(out)
	var states []string
	var envs strings.Builder
	for _, e := range entries {
		if e.Name() == "token" {
			continue
		}
		_, s, _ := strings.Cut(e.Name(), "-")
		states = append(states, s)
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		envs.Write(b)
		if s == "paired" {
			for _, want := range []string{"PAIRING_STATE=paired", "PAIRING_OLD_STATE=awaiting_user", "PAIRING_SERVER=" + as.issuer, "PAIRING_DEVICE_ID="} {
				if !strings.Contains(string(b), want+"\n") && !strings.Contains(string(b), want) {
					t.Errorf("the paired hook's environment lacks %s:\n%s", want, b)
				}
			}
		}
	}
	if got, want := strings.Join(states, " "), "unpaired awaiting_user paired"; got != want {
		t.Errorf("the hook ran for %q, want %q", got, want)
	}
	if strings.Contains(envs.String(), token) || strings.Contains(d.stderr.String(), token) {
		t.Errorf("a hook's environment or the log holds the token")
	}
}

// Fifty programs asking for the token at once while it needs refreshing
// cause one refresh request at the server, and all fifty get the new
// token.
func TestTokenRefreshSharedByFifty(t *testing.T) {
	needBinary(t)
	var refreshes atomic.Int32
	slowRefresh := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if form, _ := url.ParseQuery(string(body)); form.Get("grant_type") == "refresh_token" {
					refreshes.Add(1)
					time.Sleep(300 * time.Millisecond) // the callers overlap
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	state := filepath.Join(t.TempDir(), "state")
	d, as := pairDaemon(t, state, devauth.Options{}, slowRefresh)
	d.sigterm(10 * time.Second)
	old := strings.TrimSpace(pairingd(t, "token", "--state-dir", state, "--socket", "off").stdout)

	st, err := sqlite.Open(context.Background(), state, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Defaults()
	cfg.Issuer, cfg.ClientID, cfg.StateDir = as.issuer, "e2e-test", state
	b := newBackend(cfg, st, nil)
	// 290 s into the token's 300: due, still valid.
	b.tokens.Clock = shiftedClock{pairing.SystemClock(), 290 * time.Second}
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := localapi.Listen(sock, -1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&localapi.Server{Backend: b, Access: localapi.Access{UID: os.Getuid(), GID: -1}}).Serve(ctx, ln)

	const callers = 50
	got := make([]string, callers)
	var wg sync.WaitGroup
	for n := range callers {
		wg.Go(func() {
			c := localapi.NewClient(sock)
			defer c.Close()
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Errorf("caller %d: %v", n, err)
			}
			got[n] = tok.AccessToken
		})
	}
	wg.Wait()
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d refresh requests at the server for %d callers, want 1", n, callers)
	}
	for n, g := range got {
		if g == old || g == "" || g != got[0] {
			t.Errorf("caller %d got %q; want the one new token (old %q, first %q)", n, g, old, got[0])
			break
		}
	}
	if userinfoStatus(t, as.issuer, got[0]) != http.StatusOK {
		t.Errorf("the new token is refused by the server")
	}
}

// shiftedClock is the system clock with its wall time moved ahead.
type shiftedClock struct {
	pairing.Clock
	by time.Duration
}

func (c shiftedClock) Now() time.Time { return c.Clock.Now().Add(c.by) }

// BenchmarkToken compares the ways a program gets the token, in one run:
// GET /v1/token over the socket from a program that keeps its client,
// `pairingd token` as a process that asks the daemon, and `pairingd
// token` reading the database itself (socket off).
func BenchmarkToken(b *testing.B) {
	if pairingdBin == "" {
		b.Skip("-short: the pairingd binary is not built")
	}
	state := filepath.Join(b.TempDir(), "state")
	srv, issuer := benchServer(b)
	defer srv.Close()
	cmd := exec.Command(pairingdBin, "run", "--state-dir", state, "--display", "plain", "--issuer", issuer, "--client-id", "bench")
	cmd.Env = childEnv()
	var outb logtest.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	code := benchWait(b, &outb, regexp.MustCompile(`(?m)^Code: (\S+)$`))
	resp, err := http.PostForm(issuer+"/device", map[string][]string{"user_code": {code}, "action": {"approve"}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	benchWait(b, &outb, regexp.MustCompile(`(?m)^(Paired)\b`))
	sock := filepath.Join(state, "pairingd.sock")
	b.Run("socket", func(b *testing.B) {
		c := localapi.NewClient(sock)
		defer c.Close()
		for b.Loop() {
			if _, err := c.Token(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, mode := range []struct{ name, socket string }{{"process-via-socket", sock}, {"process-via-database", "off"}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				c := exec.Command(pairingdBin, "token", "--state-dir", state, "--socket", mode.socket, "--config", os.DevNull)
				c.Env = childEnv()
				if out, err := c.Output(); err != nil || len(out) < 10 {
					b.Fatalf("pairingd token: %v %q", err, out)
				}
			}
		})
	}
}

// benchWait waits for re in the daemon's output and returns its group.
func benchWait(b *testing.B, out *logtest.Buffer, re *regexp.Regexp) string {
	b.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("no %v in the daemon's output:\n%s", re, out.String())
	return ""
}

// benchServer starts devauth on a free loopback port for a benchmark.
func benchServer(b *testing.B) (*http.Server, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: devauth.New(devauth.Options{Issuer: issuer, Interval: testInterval})}
	go srv.Serve(ln)
	return srv, issuer
}
