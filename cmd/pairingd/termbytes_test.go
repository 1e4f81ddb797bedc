package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// On the terminal display a countdown tick sends only what changed: at
// most 200 bytes to the terminal a second while a code is shown (the
// whole screen, QR code and all, is about 4 KB). And what the ticks leave
// on the terminal is the screen: tcell's full redraw of its cells
// (SIGWINCH at the same size) changes nothing but the seconds, colours
// and attributes included.
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
	switch {
	case perTick > 200:
		t.Errorf("%d bytes a countdown tick, want at most 200", perTick)
	case perTick > 30:
		// tcell's Show sends about 41 bytes for a tick, the direct
		// writes about 15.
		t.Errorf("%d bytes a countdown tick, want at most 30: the seconds do not go to the terminal directly", perTick)
	}
	if len(b) == 0 {
		t.Errorf("nothing reached the terminal in %d s: the countdown did not tick", seconds)
	}

	styled := func() string {
		out, err := term.tmux("capture-pane", "-p", "-e", "-t", "t")
		if err != nil {
			t.Fatalf("tmux capture-pane: %v: %s", err, out)
		}
		return seconds2.ReplaceAllString(out, "M:SS")
	}
	ticked := styled()
	o, err := term.tmux("list-panes", "-t", "t", "-F", "#{pane_pid}")
	pid, perr := strconv.Atoi(strings.TrimSpace(o))
	if err != nil || perr != nil {
		t.Fatalf("tmux list-panes: %v %v: %q", err, perr, o)
	}
	redraw := filepath.Join(dir, "redraw")
	if o, err := term.tmux("pipe-pane", "-t", "t", "-o", "cat >> "+redraw); err != nil {
		t.Fatalf("tmux pipe-pane: %v: %s", err, o)
	}
	if err := syscall.Kill(pid, syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if fi, err := os.Stat(redraw); err == nil && fi.Size() > 1000 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no full redraw reached the terminal within 10 s of SIGWINCH")
		}
	}
	term.tmux("pipe-pane", "-t", "t")
	if again := styled(); again != ticked {
		t.Errorf("the ticks left on the terminal\n%s\nbut a full redraw shows\n%s", ticked, again)
	}
}

// seconds2 is a countdown's time left, which may change between two
// captures.
var seconds2 = regexp.MustCompile(`\d+:\d\d`)
