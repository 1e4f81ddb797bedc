package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/internal/devauth"
)

// buildTags are the tags of every build in this repository, comma-separated,
// from build.tags at the root (TestMain reads it; buildflags_test.go): the
// SQLite C compile is cached for exactly these.
var buildTags string

// waitTimeout bounds every wait for the daemon's output.
const waitTimeout = 20 * time.Second

// testInterval is the devauth polling interval: short, so that tests are
// quick.
const testInterval = time.Second

// pairingdBin is the binary that TestMain builds.
var pairingdBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	tags, err := readBuildTags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the build tags: %v\n", err)
		return 1
	}
	buildTags = strings.Join(tags, ",")
	if testing.Short() {
		// -short: the tests that run the binary skip (needBinary).
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pairingd-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	pairingdBin = filepath.Join(dir, "pairingd")
	// The test runs in the package directory, so "." is cmd/pairingd
	// whatever os.Args[0] is.
	build := exec.Command("go", "build", "-trimpath", "-tags="+buildTags, "-o", pairingdBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// needBinary skips t under -short, when TestMain builds no pairingd
// binary: go test -short ./... is the quick run of the in-process tests.
func needBinary(t *testing.T) {
	t.Helper()
	if pairingdBin == "" {
		t.Skip("-short: the pairingd binary is not built")
	}
}

// childEnv is the environment of a pairingd subprocess: ours, without
// anything that would configure pairingd behind the test's back (the
// locale would choose the screens' language, and the tests read English).
func childEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "PAIRINGD_") || strings.HasPrefix(e, "NOTIFY_SOCKET=") ||
			strings.HasPrefix(e, "STATE_DIRECTORY=") || strings.HasPrefix(e, "LC_ALL=") ||
			strings.HasPrefix(e, "LC_MESSAGES=") || strings.HasPrefix(e, "LANG=") {
			continue
		}
		env = append(env, e)
	}
	return env
}

// line is one line of a subprocess's output and when the test saw it.
type line struct {
	text string
	at   time.Time
}

// lineBuf collects a subprocess's output as lines; it is the subprocess's
// Stdout or Stderr, so exec copies into it.
type lineBuf struct {
	mu      sync.Mutex
	partial []byte
	lines   []line
	all     bytes.Buffer
	changed chan struct{} // closed and replaced on every Write
}

func newLineBuf() *lineBuf { return &lineBuf{changed: make(chan struct{})} }

func (b *lineBuf) Write(p []byte) (int, error) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.Write(p)
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, line{text: string(b.partial[:i]), at: now})
		b.partial = b.partial[i+1:]
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// snapshot returns the complete lines so far and a channel closed on the
// next write.
func (b *lineBuf) snapshot() ([]line, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lines[:len(b.lines):len(b.lines)], b.changed
}

func (b *lineBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

// daemon is a running `pairingd run`.
type daemon struct {
	t        *testing.T
	cmd      *exec.Cmd
	stateDir string
	stdout   *lineBuf
	stderr   *lineBuf
	done     chan struct{} // closed when the process has exited
	waitErr  error         // valid after done
}

// startDaemon runs `pairingd run` on stateDir against issuer (none when
// "") with the plain display, plus extra flags. The daemon is killed when the test ends.
func startDaemon(t *testing.T, stateDir, issuer string, extra ...string) *daemon {
	t.Helper()
	return startDaemonEnv(t, stateDir, issuer, nil, extra...)
}

// startDaemonEnv is startDaemon with extra environment variables.
func startDaemonEnv(t *testing.T, stateDir, issuer string, env []string, extra ...string) *daemon {
	t.Helper()
	needBinary(t)
	args := []string{"run", "--state-dir", stateDir, "--display", "plain"}
	if issuer != "" {
		args = append(args, "--issuer", issuer, "--client-id", "e2e-test")
	}
	args = append(args, extra...)
	d := &daemon{
		t:        t,
		cmd:      exec.Command(pairingdBin, args...),
		stateDir: stateDir,
		stdout:   newLineBuf(),
		stderr:   newLineBuf(),
		done:     make(chan struct{}),
	}
	d.cmd.Env = append(childEnv(), env...)
	d.cmd.Stdout = d.stdout
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting pairingd run: %v", err)
	}
	go func() {
		d.waitErr = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("pairingd run (pid %d) stdout:\n%s", d.cmd.Process.Pid, d.stdout)
			t.Logf("pairingd run (pid %d) stderr:\n%s", d.cmd.Process.Pid, d.stderr)
		}
	})
	return d
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Kill()
	<-d.done
}

// exited reports whether the process has exited, and its exit code.
func (d *daemon) exited() (code int, ok bool) {
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode(), true
	default:
		return 0, false
	}
}

// waitLine waits until a stdout line at index from or later matches re and
// returns its index, the line and the submatches.
func (d *daemon) waitLine(from int, re *regexp.Regexp) (int, line, []string) {
	d.t.Helper()
	return waitLine(d.t, d, d.stdout, from, re, waitTimeout)
}

// waitLineWithin is waitLine with its own timeout.
func (d *daemon) waitLineWithin(from int, re *regexp.Regexp, timeout time.Duration) (int, line, []string) {
	d.t.Helper()
	return waitLine(d.t, d, d.stdout, from, re, timeout)
}

func waitLine(t *testing.T, d *daemon, b *lineBuf, from int, re *regexp.Regexp, timeout time.Duration) (int, line, []string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		lines, changed := b.snapshot()
		for i := from; i < len(lines); i++ {
			if m := re.FindStringSubmatch(lines[i].text); m != nil {
				return i, lines[i], m
			}
		}
		select {
		case <-changed:
		case <-d.done:
			// Drain: output written before the exit is in b already.
			lines, _ := b.snapshot()
			for i := from; i < len(lines); i++ {
				if m := re.FindStringSubmatch(lines[i].text); m != nil {
					return i, lines[i], m
				}
			}
			t.Fatalf("pairingd exited (%v) before printing a line matching %q", d.waitErr, re)
		case <-deadline.C:
			t.Fatalf("no line matching %q within %v", re, timeout)
		}
	}
}

var codeRE = regexp.MustCompile(`^Code: (\S+)$`)

// waitCode waits for a "Code: " line at or after from and returns its index
// and the user code.
func (d *daemon) waitCode(from int) (int, string) {
	d.t.Helper()
	i, _, m := d.waitLine(from, codeRE)
	return i, m[1]
}

// isHalfBlocks reports whether s is a non-empty line of QR half blocks.
func isHalfBlocks(s string) bool {
	return s != "" && strings.Trim(s, " ▀▄█") == ""
}

// waitQR waits for the QR code block after the line at index from and
// returns its lines.
func (d *daemon) waitQR(from int) []string {
	d.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		lines, changed := d.stdout.snapshot()
		start := -1
		for i := from + 1; i < len(lines); i++ {
			if isHalfBlocks(lines[i].text) {
				start = i
				break
			}
		}
		if start >= 0 {
			end := start
			for end < len(lines) && isHalfBlocks(lines[end].text) {
				end++
			}
			// The block ends with an empty line; until then more QR
			// rows may be on the way.
			if end < len(lines) {
				var qr []string
				for _, l := range lines[start:end] {
					qr = append(qr, l.text)
				}
				return qr
			}
		}
		select {
		case <-changed:
		case <-d.done:
			d.t.Fatalf("pairingd exited (%v) before printing a QR code", d.waitErr)
		case <-time.After(time.Until(deadline)):
			d.t.Fatalf("no QR code after stdout line %d within %v", from+1, waitTimeout)
		}
	}
}

// result is the outcome of a short pairingd command.
type result struct {
	stdout, stderr string
	code           int
}

// pairingd runs a short pairingd command and returns its output and exit
// code.
func pairingd(t *testing.T, args ...string) result {
	t.Helper()
	needBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pairingdBin, args...)
	cmd.Env = childEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("pairingd %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("pairingd %s: did not finish within %v", strings.Join(args, " "), waitTimeout)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// statusJSONOf runs `pairingd status --json` and decodes it.
func statusJSONOf(t *testing.T, stateDir string) (statusJSON, result) {
	t.Helper()
	r := pairingd(t, "status", "--state-dir", stateDir, "--json")
	var s statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("pairingd status --json: %v (exit %d)\nstdout: %s\nstderr: %s", err, r.code, r.stdout, r.stderr)
	}
	return s, r
}

// waitStatus runs `pairingd status --json` until its state is want.
func waitStatus(t *testing.T, stateDir, want string) (statusJSON, result) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s, r := statusJSONOf(t, stateDir)
		if s.State == want {
			return s, r
		}
		if time.Now().After(deadline) {
			t.Fatalf("pairingd status --json: state %q after %v, want %q", s.State, waitTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// authServer is devauth behind a real loopback HTTP server.
type authServer struct {
	*devauth.Server
	ts     *httptest.Server
	issuer string
}

// startAuthServer starts devauth on a free loopback port. wrap, if not
// nil, wraps its handler. The server is closed when the test ends.
func startAuthServer(t *testing.T, o devauth.Options, wrap func(http.Handler) http.Handler) *authServer {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	o.Issuer = issuer
	if o.Interval == 0 {
		o.Interval = testInterval
	}
	srv := devauth.New(o)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(h)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return &authServer{Server: srv, ts: ts, issuer: issuer}
}

// decide posts the verification page's form, as a browser or curl does.
func decide(t *testing.T, issuer, userCode, action string) {
	t.Helper()
	resp, err := http.PostForm(issuer+"/device", url.Values{"user_code": {userCode}, "action": {action}})
	if err != nil {
		t.Fatalf("POST /device %s: %v", action, err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("POST /device action=%s user_code=%s: status %d, want %d", action, userCode, got, want)
	}
}

// userinfoStatus returns the status of GET /userinfo with the token.
func userinfoStatus(t *testing.T, issuer, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, issuer+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /userinfo: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// decodeQR decodes the half-block QR code lines.
func decodeQR(t *testing.T, qr []string) string {
	t.Helper()
	got, err := displaytest.DecodeHalfBlocks(qr)
	if err != nil {
		t.Fatalf("decoding the QR code on stdout: %v\n%s", err, strings.Join(qr, "\n"))
	}
	return got
}

// sigterm sends SIGTERM and returns how long the daemon took to exit, and
// its exit code; it fails the test if it takes more than limit.
func (d *daemon) sigterm(limit time.Duration) (time.Duration, int) {
	d.t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(limit):
		d.t.Errorf("pairingd did not exit within %v of SIGTERM", limit)
		d.kill()
	}
	return time.Since(start), d.cmd.ProcessState.ExitCode()
}

// reserveAddr returns a loopback listener on a free port.
func reserveAddr(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// openBinary returns a directory every user may enter and a copy of the
// binary in it that every user may run, for running commands as another
// user (t.TempDir and the built binary are root's alone).
func openBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	dir = t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin = filepath.Join(dir, "pairingd")
	b, err := os.ReadFile(pairingdBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}
