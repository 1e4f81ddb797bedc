package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// countingProxy is an HTTPS proxy on loopback that counts the requests it
// gets and answers none: with HTTPS_PROXY pointing at it, every request
// the daemon tries to make to a server arrives here first.
func countingProxy(t *testing.T) (addr string, requests *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	requests = new(atomic.Int64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// A CONNECT line, then nothing: the client times out.
			if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
				requests.Add(1)
			}
			c.Close()
		}
	}()
	return l.Addr().String(), requests
}

// An install nobody configured yet (the example file as it ships, or its
// placeholder server) waits in "not configured": ready for systemd with a
// status line naming the keys and the file, the same on screen and in
// `pairingd status`, no request to any server, and no exit for a service
// manager to restart in a loop. Started again with a server, it pairs.
func TestNotConfigured(t *testing.T) {
	needBinary(t)
	example, err := filepath.Abs("../../pairingd.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		args       []string
		wantKeys   string
		configured bool // the control: a real server's name is asked for
	}{
		{"the example file", []string{"--config", example}, "issuer, client_id", false},
		{"the example's placeholder server", []string{"--config", example, "--issuer", "https://auth.example.com", "--client-id", "x"}, "issuer", false},
		{"client_id missing", []string{"--config", example, "--issuer", "https://auth.pairingd.test"}, "client_id", false},
		{"a server named (control)", []string{"--config", example, "--issuer", "https://auth.pairingd.test", "--client-id", "x"}, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			proxy, requests := countingProxy(t)
			ns := listenNotify(t)
			dir := filepath.Join(t.TempDir(), "state")
			d := startDaemonEnv(t, dir, "", []string{"NOTIFY_SOCKET=" + ns.path, "HTTPS_PROXY=http://" + proxy,
				"https_proxy=http://" + proxy, "NO_PROXY=", "no_proxy="}, tt.args...)
			ns.waitFor(t, "READY=1")
			if tt.configured {
				deadline := time.Now().Add(waitTimeout)
				for requests.Load() == 0 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if requests.Load() == 0 {
					t.Fatalf("a configured daemon made no request through HTTPS_PROXY: the test cannot see requests")
				}
				return
			}
			status := ns.waitFor(t, "STATUS=")
			wantStatus := "STATUS=Not configured: set " + tt.wantKeys + " in " + example + ", then restart pairingd."
			if status != wantStatus {
				t.Errorf("status line %q, want %q", status, wantStatus)
			}
			d.waitLine(0, regexp.MustCompile(`^Not set up yet$`))
			d.waitLine(0, regexp.MustCompile(`^Set `+regexp.QuoteMeta(tt.wantKeys)+` in `))
			if r := pairingd(t, "status", "--state-dir", dir); r.code != exitNotPaired || !strings.Contains(r.stdout, "not configured: ") {
				t.Errorf("pairingd status: exit %d, output %q; want %d and the words not configured", r.code, r.stdout, exitNotPaired)
			}
			s, r := waitStatus(t, dir, "not_configured")
			if r.code != exitNotPaired || !strings.Contains(s.Message, "Set "+tt.wantKeys+" in "+example) {
				t.Errorf("status --json: exit %d, message %q; want %d and the keys and the file", r.code, s.Message, exitNotPaired)
			}
			// Long enough for a first request and its retry.
			time.Sleep(3 * time.Second)
			if code, gone := d.exited(); gone {
				t.Fatalf("the daemon exited (code %d): a service manager would restart it in a loop", code)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("%d requests while not configured, want none", n)
			}
			if _, code := d.sigterm(5 * time.Second); code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0", code)
			}
		})
	}

	t.Run("configured after", func(t *testing.T) {
		t.Parallel()
		as := startAuthServer(t, devauth.Options{}, nil)
		dir := filepath.Join(t.TempDir(), "state")
		d := startDaemon(t, dir, "", "--config", example)
		d.waitLine(0, regexp.MustCompile(`^Not set up yet$`))
		waitStatus(t, dir, "not_configured")
		d.sigterm(5 * time.Second)
		// The file edited: the next start pairs.
		d2 := startDaemon(t, dir, as.issuer, "--config", example)
		_, code := d2.waitCode(0)
		decide(t, as.issuer, code, "approve")
		waitStatus(t, dir, "paired")
	})
}

// In the journal (a service without a console), the plain display writes
// one line per state, the code and where to go on it, and never the QR
// code's text art.
func TestJournalOneLinePerState(t *testing.T) {
	needBinary(t)
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := filepath.Join(t.TempDir(), "state")
	journal, err := os.Create(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer journal.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(journal.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pairingdBin, "run", "--state-dir", dir, "--issuer", as.issuer, "--client-id", "journal-test", "--display", "auto")
	cmd.Env = append(childEnv(), fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino))
	cmd.Stdout, cmd.Stderr = journal, journal
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	read := func() string { b, _ := os.ReadFile(journal.Name()); return string(b) }
	codeLine := regexp.MustCompile(`(?m)^Scan to pair this device \| Code: (\S+) \| Go to: (\S+) \| Code expires in`)
	var m []string
	for deadline := time.Now().Add(waitTimeout); m == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		m = codeLine.FindStringSubmatch(read())
	}
	if m == nil {
		t.Fatalf("no one-line code in the journal:\n%s", read())
	}
	if m[2] != completeURI(as.issuer, m[1]) {
		t.Errorf("Go to: %q, want the complete URI %q", m[2], completeURI(as.issuer, m[1]))
	}
	decide(t, as.issuer, m[1], "approve")
	waitStatus(t, dir, "paired")
	time.Sleep(200 * time.Millisecond)
	out := read()
	if !regexp.MustCompile(`(?m)^Paired ✓ \| `).MatchString(out) {
		t.Errorf("no one-line paired screen in the journal:\n%s", out)
	}
	if strings.ContainsAny(out, "█▀▄") {
		t.Errorf("QR text art in the journal:\n%s", out)
	}
}
