package main

import (
	"io"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// A reader of the daemon's output that goes away (`| head`, a log pipe
// that restarts) must not take the daemon down: it keeps pairing.
func TestRunSurvivesClosedStdout(t *testing.T) {
	t.Parallel()
	needBinary(t)
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(pairingdBin, "run", "--state-dir", dir, "--issuer", as.issuer,
		"--client-id", "e2e-test", "--display", "plain")
	cmd.Env = childEnv()
	stderr := newLineBuf()
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("stderr:\n%s", stderr)
		}
	})
	// Like `head -c 10`: read ten bytes, then close the pipe.
	if _, err := io.ReadFull(out, make([]byte, 10)); err != nil {
		t.Fatalf("reading the daemon's first output: %v", err)
	}
	out.Close()

	s, _ := waitStatus(t, dir, "awaiting_user")
	// Approving makes the daemon draw the paired screen into the closed
	// pipe.
	decide(t, as.issuer, s.UserCode, "approve")
	// Paired, and still running a few seconds later.
	deadline := time.Now().Add(waitTimeout)
	var paired time.Time
	for paired.IsZero() || time.Since(paired) < 3*time.Second {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the daemon died when its stdout closed: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if s, _ := statusJSONOf(t, dir); paired.IsZero() && s.State == "paired" {
			paired = time.Now()
		}
		if paired.IsZero() && time.Now().After(deadline) {
			t.Fatalf("not paired within %v", waitTimeout)
		}
	}
	if r := pairingd(t, "token", "--state-dir", dir); r.code != exitOK || r.stdout == "" {
		t.Errorf("token after stdout closed: exit %d, stderr %s", r.code, r.stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no exit within 5 s of SIGTERM")
	}
}
