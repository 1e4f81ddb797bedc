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
// start-stop-daemon with a temporary root and no syslog daemon: start (a
// supervisor, which runs the daemon), status, a second start, the log
// file (rotated at start when it is too big), stop with no process left
// behind, a stale pidfile (status 1, LSB), and a bad configuration, which
// the supervisor does not restart. TestBusyBoxInitPID1 runs the script
// under BusyBox init as PID 1, with a kill and a respawn, and syslogd.
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
	for _, d := range []string{bin, filepath.Join(root, "etc/default"), filepath.Join(root, "run"), filepath.Join(root, "var/log")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// BusyBox applets first on PATH, as on a BusyBox image.
	for _, applet := range busyboxApplets {
		if err := os.Symlink(bb, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	defaults := filepath.Join(root, "etc/default/pairingd")
	setArgs := func(args string) {
		t.Helper()
		if err := os.WriteFile(defaults, []byte(`PAIRINGD_ARGS="`+args+`"`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setArgs("--issuer " + auth.issuer + " --client-id init-test --display plain")
	stateDir := filepath.Join(root, "var/lib/pairingd")
	pidfile := filepath.Join(root, "run/pairingd.pid")
	daemonPidfile := filepath.Join(root, "run/pairingd.daemon.pid")
	logFile := filepath.Join(root, "var/log/pairingd.log")
	script, err := filepath.Abs("../../init/S80pairingd")
	if err != nil {
		t.Fatal(err)
	}
	daemonExec := pairingdBin
	initd := func(action string) (string, int) {
		t.Helper()
		cmd := exec.Command(bb, "sh", script, action)
		cmd.Env = append(childEnv(),
			"PATH="+bin+":"+os.Getenv("PATH"),
			"INIT_PAIRINGD_EXEC="+daemonExec,
			"INIT_PAIRINGD_PIDFILE="+pidfile,
			"INIT_PAIRINGD_DEFAULTS="+defaults,
			"INIT_PAIRINGD_STATE_DIR="+stateDir,
			"INIT_PAIRINGD_LOG="+logFile,
			"INIT_PAIRINGD_SH="+filepath.Join(bin, "sh"),
			// No syslog daemon, whatever this machine has.
			"INIT_PAIRINGD_SYSLOG_SOCKET="+filepath.Join(root, "dev/log"),
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
	readPid := func(file string) int {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("pidfile: %v", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("pidfile %s holds %q", file, b)
		}
		return pid
	}
	// An old log over 256 KiB: start moves it to pairingd.log.1.
	old := strings.Repeat("an old line of the log\n", 300<<10/23)
	if err := os.WriteFile(logFile, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}

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
	supervisor, daemon := readPid(pidfile), readPid(daemonPidfile)
	if daemon != s.DaemonPID {
		t.Errorf("%s holds %d, want the daemon's pid %d", daemonPidfile, daemon, s.DaemonPID)
	}
	if supervisor == daemon || !alive(supervisor) {
		t.Errorf("pidfile holds %d, want the supervisor's pid (the daemon's is %d)", supervisor, daemon)
	}
	out, code := initd("status")
	if want := "is running (pid " + strconv.Itoa(daemon) + ", supervisor pid " + strconv.Itoa(supervisor) + ")"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("status = %q (exit %d), want %q, exit 0", out, code, want)
	}
	if out, code := initd("start"); code != 0 || !strings.Contains(out, "already running") {
		t.Errorf("second start = %q (exit %d), want already running", out, code)
	}
	if b, err := os.ReadFile(logFile + ".1"); err != nil || string(b) != old {
		t.Errorf("the old log was not moved to pairingd.log.1 whole (%v, %d bytes)", err, len(b))
	}
	// No syslogd: the daemon's log, its screens and the supervisor's
	// lines are in the log file.
	waitFile(t, logFile, "level=INFO msg=\"pairingd starting\"", "Code: ", "pairingd: started (pid "+strconv.Itoa(daemon)+", log to stderr)")
	if out, code := initd("stop"); code != 0 || !strings.HasSuffix(out, "OK") {
		t.Errorf("stop = %q (exit %d), want OK", out, code)
	}
	for _, pid := range []int{supervisor, daemon} {
		if alive(pid) {
			t.Errorf("process %d still runs after stop", pid)
		}
	}
	for _, f := range []string{pidfile, daemonPidfile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind after stop (%v)", f, err)
		}
	}
	if out, code := initd("status"); code != 3 {
		t.Errorf("status after stop = %q (exit %d), want exit 3", out, code)
	}
	waitFile(t, logFile, "pairingd: stopped (exit status 0)")
	if b, _ := os.ReadFile(logFile); len(b) >= len(old) {
		t.Errorf("pairingd.log is %d bytes after the rotation", len(b))
	}

	// A stale pidfile (the supervisor is gone): LSB's 1.
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(supervisor)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := initd("status"); code != 1 || !strings.Contains(out, "dead") {
		t.Errorf("status with a stale pidfile = %q (exit %d), want dead, exit 1", out, code)
	}
	if out, code := initd("stop"); code != 0 || !strings.Contains(out, "not running") {
		t.Errorf("stop with a stale pidfile = %q (exit %d), want not running, exit 0", out, code)
	}

	// A bad configuration (exit status 2) is logged and not restarted.
	setArgs("--issuer " + auth.issuer + " --client-id init-test --display nonsense")
	if out, code := initd("start"); code != 0 {
		t.Fatalf("start = %q (exit %d), want exit 0", out, code)
	}
	waitFile(t, logFile, "pairingd: bad configuration, not restarting; fix it and run S80pairingd restart")
	supervisor = readPid(pidfile)
	for deadline := time.Now().Add(waitTimeout); alive(supervisor); {
		if time.Now().After(deadline) {
			t.Fatalf("the supervisor still runs %v after a bad configuration", waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, code := initd("status"); code != 1 {
		t.Errorf("status after a bad configuration = %q (exit %d), want exit 1", out, code)
	}

	// A daemon that fails at once: restarted after 5 s; stop during
	// that wait ends the supervisor and its sleep at once.
	daemonExec = filepath.Join(root, "bin/failing")
	if err := os.WriteFile(daemonExec, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, code := initd("start"); code != 0 || !strings.HasSuffix(out, "OK") {
		t.Fatalf("start = %q (exit %d), want OK", out, code)
	}
	waitFile(t, logFile, "pairingd: exited with status 1 after ")
	waitFile(t, logFile, " s; restarting in 5 s")
	supervisor = readPid(pidfile)
	if out, code := initd("status"); code != 0 || !strings.Contains(out, "restarting (supervisor pid "+strconv.Itoa(supervisor)+")") {
		t.Errorf("status while the supervisor waits = %q (exit %d), want restarting, exit 0", out, code)
	}
	children := childrenOf(supervisor)
	if len(children) == 0 {
		t.Errorf("the supervisor has no child while it waits (its sleep)")
	}
	stopped := time.Now()
	if out, code := initd("stop"); code != 0 || !strings.HasSuffix(out, "OK") {
		t.Errorf("stop = %q (exit %d), want OK", out, code)
	}
	if took := time.Since(stopped); took > 2*time.Second {
		t.Errorf("stop took %v while the supervisor waited to restart", took)
	}
	for _, pid := range append(children, supervisor) {
		if alive(pid) {
			t.Errorf("process %d still runs after stop", pid)
		}
	}
	waitFile(t, logFile, "pairingd: stopped\n")
}

// childrenOf returns the pids whose parent is pid.
func childrenOf(pid int) []int {
	var pids []int
	for _, p := range hostPids() {
		if ppid(p) == pid {
			pids = append(pids, p)
		}
	}
	return pids
}

// busyboxApplets are the commands init/S80pairingd runs: BusyBox's, as
// on the images it is for.
var busyboxApplets = []string{"sh", "start-stop-daemon", "id", "mkdir", "chmod", "chown", "cat", "sleep", "rm", "mv", "tr", "wc", "date", "dirname", "kill", "logger"}

// waitFile waits until file holds every one of wants.
func waitFile(t *testing.T, file string, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		b, _ := os.ReadFile(file)
		missing := ""
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %q after %v:\n%s", file, missing, waitTimeout, b)
		}
		time.Sleep(50 * time.Millisecond)
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
