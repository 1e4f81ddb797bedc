package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// terminal is a tmux session on a socket of the test's own, in which a
// command runs as a person at a terminal sees it. It is killed when the
// test ends.
type terminal struct {
	t    *testing.T
	sock string
}

// startTerminal runs command (a shell command line) in a w×h tmux session.
// Without tmux the test skips, except under CI, which installs it.
func startTerminal(t *testing.T, w, h int, command string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is needed for this test (.ci/run installs it): %v", err)
		}
		t.Skip("tmux not installed; CI runs this test")
	}
	term := &terminal{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	if out, err := term.tmux("new-session", "-d", "-s", "t", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(term.kill)
	return term
}

func (term *terminal) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-S", term.sock}, args...)...).CombinedOutput()
	return string(out), err
}

// screen is what the terminal shows now.
func (term *terminal) screen() string {
	out, _ := term.tmux("capture-pane", "-p", "-t", "t")
	return out
}

// send types keys (tmux send-keys names: "r", "Enter", "C-c").
func (term *terminal) send(keys ...string) {
	term.tmux(append([]string{"send-keys", "-t", "t"}, keys...)...)
}

// kill ends the session: the terminal goes away, and its processes get
// SIGHUP.
func (term *terminal) kill() { term.tmux("kill-server") }

// waitFor returns the screen once ok accepts it, and fails the test when
// limit passes first, saying what it waited for and what the screen shows.
func (term *terminal) waitFor(what string, limit time.Duration, ok func(screen string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := term.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("after %v the screen does not show %s:\n%s", limit, what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
