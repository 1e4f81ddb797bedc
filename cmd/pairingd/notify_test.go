package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// notifySocket collects the sd_notify datagrams a daemon sends.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	// sun_path holds 108 bytes: keep the path short.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns := &notifySocket{path: filepath.Join(dir, "notify")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: ns.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ns.mu.Lock()
			ns.msgs = append(ns.msgs, string(buf[:n]))
			ns.mu.Unlock()
		}
	}()
	return ns
}

func (ns *notifySocket) all() []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append([]string(nil), ns.msgs...)
}

// waitFor waits until a datagram starting with prefix arrives.
func (ns *notifySocket) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		for _, m := range ns.all() {
			if strings.HasPrefix(m, prefix) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q datagram within %v; got %q", prefix, waitTimeout, ns.all())
	return ""
}

// TestSystemdNotify runs the built binary as systemd would with
// Type=notify and WatchdogSec=1s: READY=1 once it draws, a STATUS= for each
// state, WATCHDOG=1 pings, and STOPPING=1 after SIGTERM; no secret in any
// datagram.
func TestSystemdNotify(t *testing.T) {
	t.Parallel()
	secrets := &secretRecorder{secrets: map[string]string{}}
	auth := startAuthServer(t, devauth.Options{}, secrets.wrap)
	ns := listenNotify(t)
	d := startDaemonEnv(t, t.TempDir(), auth.issuer, []string{"NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=1000000"})

	ns.waitFor(t, "READY=1")
	waiting := ns.waitFor(t, "STATUS=Waiting for approval: code ")
	_, code := d.waitCode(0)
	if !strings.Contains(waiting, code) {
		t.Errorf("status %q does not name the code %s", waiting, code)
	}
	decide(t, auth.issuer, code, "approve")
	ns.waitFor(t, "STATUS=Paired with "+auth.issuer)

	// Pings every half interval at least; count them over 2 s.
	before := count(ns.all(), "WATCHDOG=1")
	time.Sleep(2 * time.Second)
	if got := count(ns.all(), "WATCHDOG=1") - before; got < 3 {
		t.Errorf("%d WATCHDOG=1 in 2 s with WatchdogSec=1s, want at least 3", got)
	}

	if _, code := d.sigterm(time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	msgs := ns.all()
	if last := msgs[len(msgs)-1]; last != "STOPPING=1" {
		t.Errorf("last datagram %q, want STOPPING=1", last)
	}
	if i, j := index(msgs, "READY=1"), index(msgs, "STATUS=Paired"); i < 0 || j < 0 || i > j {
		t.Errorf("READY=1 (at %d) must come before pairing ends (at %d): %q", i, j, msgs)
	}
	secrets.check(t, "sd_notify datagrams", strings.Join(msgs, "\n"))
}

// check fails the test if any recorded secret appears in text.
func (sr *secretRecorder) check(t *testing.T, what, text string) {
	t.Helper()
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if len(sr.secrets) == 0 {
		t.Errorf("no secrets recorded: the scan of %s proves nothing", what)
	}
	for v, kind := range sr.secrets {
		if strings.Contains(text, v) {
			t.Errorf("a %s appears in %s", kind, what)
		}
	}
}

func count(msgs []string, prefix string) int {
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

func index(msgs []string, prefix string) int {
	for i, m := range msgs {
		if strings.HasPrefix(m, prefix) {
			return i
		}
	}
	return -1
}
