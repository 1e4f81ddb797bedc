package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
	"github.com/pairingd/pairingd/store/sqlite"
)

// Closing the terminal that runs `pairingd run --display term` ends it (a
// hang-up), instead of leaving it polling unseen. A daemon that is not on a
// terminal (a service) ignores SIGHUP.
func TestTerminalHangupEnds(t *testing.T) {
	needBinary(t)
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	state := filepath.Join(t.TempDir(), "state")
	cmd := strings.Join([]string{pairingdBin, "run", "--display", "term", "--issuer", as.issuer, "--client-id", "hangup-test",
		"--state-dir", state, "2>" + filepath.Join(t.TempDir(), "log")}, " ")
	term := startTerminal(t, 100, 40, "exec "+cmd)
	term.waitFor("a code", 30*time.Second, func(s string) bool { return strings.Contains(s, "Code: ") })
	pid, running := sqlite.DaemonPID(state)
	if !running {
		t.Fatalf("no daemon holds the state directory")
	}
	term.kill() // the terminal goes away: SIGHUP to the pane
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("pairingd (pid %d) still runs 10 s after its terminal closed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServiceIgnoresSIGHUP(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	d := startDaemon(t, filepath.Join(t.TempDir(), "state"), as.issuer)
	d.waitCode(0)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
		t.Fatalf("pairingd on the plain display exited on SIGHUP (exit %d), want it to go on", d.cmd.ProcessState.ExitCode())
	case <-time.After(2 * time.Second):
	}
	if _, code := d.sigterm(10 * time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
