package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// On the terminal display a countdown tick sends only what changed: at
// most 200 bytes to the terminal a second while a code is shown (the
// whole screen, QR code and all, is about 4 KB).
func TestTerminalTickBytes(t *testing.T) {
	needBinary(t)
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := t.TempDir()
	cmd := strings.Join([]string{pairingdBin, "run", "--display", "term", "--issuer", as.issuer, "--client-id", "bytes-test",
		"--state-dir", filepath.Join(dir, "state"), "2>" + filepath.Join(dir, "log")}, " ")
	term := startTerminal(t, 100, 40, "exec "+cmd)
	term.waitFor("a code", 30*time.Second, func(s string) bool { return strings.Contains(s, "Code: ") })
	out := filepath.Join(dir, "pane")
	if o, err := term.tmux("pipe-pane", "-t", "t", "-o", "cat >> "+out); err != nil {
		t.Fatalf("tmux pipe-pane: %v: %s", err, o)
	}
	const seconds = 5
	time.Sleep(seconds*time.Second + 500*time.Millisecond)
	term.tmux("pipe-pane", "-t", "t")
	b, _ := os.ReadFile(out)
	perTick := len(b) / seconds
	t.Logf("%d bytes to the terminal in %d s of countdown: %d a tick", len(b), seconds, perTick)
	if perTick > 200 {
		t.Errorf("%d bytes a countdown tick, want at most 200", perTick)
	}
	if len(b) == 0 {
		t.Errorf("nothing reached the terminal in %d s: the countdown did not tick", seconds)
	}
}
