package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// TestBusyBoxInitScript runs init/S80pairingd under BusyBox's sh and
// start-stop-daemon with a temporary root: start, status, a second start,
// stop, and no process left behind.
func TestBusyBoxInitScript(t *testing.T) {
	needBinary(t)
	bb, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("busybox is needed (.ci/run installs it): %v", err)
		}
		t.Skip("busybox not installed; CI runs this test")
	}
	auth := startAuthServer(t, devauth.Options{}, nil)
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	for _, d := range []string{bin, filepath.Join(root, "etc/default"), filepath.Join(root, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// BusyBox applets first on PATH, as on a BusyBox image.
	for _, applet := range []string{"start-stop-daemon", "id", "mkdir", "chmod", "chown", "cat", "sleep", "rm"} {
		if err := os.Symlink(bb, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	defaults := filepath.Join(root, "etc/default/pairingd")
	args := `PAIRINGD_ARGS="--issuer ` + auth.issuer + ` --client-id init-test --display plain --log-output stderr"` + "\n"
	if err := os.WriteFile(defaults, []byte(args), 0o644); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(root, "var/lib/pairingd")
	pidfile := filepath.Join(root, "run/pairingd.pid")
	script, err := filepath.Abs("../../init/S80pairingd")
	if err != nil {
		t.Fatal(err)
	}
	initd := func(action string) (string, int) {
		cmd := exec.Command(bb, "sh", script, action)
		cmd.Env = append(childEnv(),
			"PATH="+bin+":"+os.Getenv("PATH"),
			"INIT_PAIRINGD_EXEC="+pairingdBin,
			"INIT_PAIRINGD_PIDFILE="+pidfile,
			"INIT_PAIRINGD_DEFAULTS="+defaults,
			"INIT_PAIRINGD_STATE_DIR="+stateDir,
		)
		out, err := cmd.CombinedOutput()
		code := 0
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("S80pairingd %s: %v", action, err)
			}
			code = ee.ExitCode()
		}
		return strings.TrimSpace(string(out)), code
	}
	t.Cleanup(func() { initd("stop") })

	if out, code := initd("status"); code != 3 || !strings.Contains(out, "not running") {
		t.Errorf("status before start = %q (exit %d), want not running, exit 3", out, code)
	}
	if out, code := initd("start"); code != 0 || !strings.HasSuffix(out, "OK") {
		t.Fatalf("start = %q (exit %d), want OK", out, code)
	}
	// The daemon creates its state in the background: wait for it.
	for deadline := time.Now().Add(waitTimeout); ; {
		if _, err := os.Stat(filepath.Join(stateDir, "pairingd.db")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no database in %s within %v", stateDir, waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, _ := waitStatus(t, stateDir, "awaiting_user")
	if !s.DaemonRunning {
		t.Errorf("status --json says the daemon is not running")
	}
	out, code := initd("status")
	if code != 0 || !strings.Contains(out, "is running") {
		t.Errorf("status = %q (exit %d), want running, exit 0", out, code)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("pidfile: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid != s.DaemonPID {
		t.Errorf("pidfile holds %q, want the daemon's pid %d", b, s.DaemonPID)
	}
	if out, code := initd("start"); code != 0 || !strings.Contains(out, "already running") {
		t.Errorf("second start = %q (exit %d), want already running", out, code)
	}
	if out, code := initd("stop"); code != 0 || !strings.HasSuffix(out, "OK") {
		t.Errorf("stop = %q (exit %d), want OK", out, code)
	}
	if alive(pid) {
		t.Errorf("process %d still runs after stop", pid)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind after stop (%v)", err)
	}
	if out, code := initd("status"); code != 3 {
		t.Errorf("status after stop = %q (exit %d), want exit 3", out, code)
	}
}

// alive reports whether pid runs: a zombie waiting for its reaper (the
// daemon's parent exited, so it was reparented) has stopped.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
