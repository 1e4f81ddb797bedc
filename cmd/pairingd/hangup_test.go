package main

import (
	"os/exec"
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
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed; CI runs this test")
	}
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	state := filepath.Join(t.TempDir(), "state")
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(args ...string) string {
		out, _ := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out)
	}
	cmd := strings.Join([]string{pairingdBin, "run", "--display", "term", "--issuer", as.issuer, "--client-id", "hangup-test",
		"--state-dir", state, "2>" + filepath.Join(t.TempDir(), "log")}, " ")
	tmux("new-session", "-d", "-s", "hup", "-x", "100", "-y", "40", "exec "+cmd)
	t.Cleanup(func() { tmux("kill-server") })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(tmux("capture-pane", "-p", "-t", "hup"), "Code: ") {
		if time.Now().After(deadline) {
			t.Fatalf("no code on the terminal:\n%s", tmux("capture-pane", "-p", "-t", "hup"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid, running := sqlite.DaemonPID(state)
	if !running {
		t.Fatalf("no daemon holds the state directory")
	}
	tmux("kill-server") // the terminal goes away: SIGHUP to the pane
	deadline = time.Now().Add(10 * time.Second)
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
