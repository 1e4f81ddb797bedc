package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// userManagerDrops are the directives of systemd/pairingd.service that a
// user manager cannot apply (no User=, no device cgroup, no tty, and
// namespaces that fail with 226/NAMESPACE there). Everything else of the
// real unit runs as written: Type=notify, the watchdog, ProtectSystem=strict,
// the state directory, the system call filter.
var userManagerDrops = []string{
	"User=", "Group=", "SupplementaryGroups=", "TTY", "StandardInput=", "Device",
	"ProtectKernel", "ProtectControlGroups=", "ProtectClock=", "ProtectHostname=",
	"ProtectHome=", "PrivateTmp=", "PrivateUsers=", "ProtectProc=", "ProcSubset=",
	"RemoveIPC=", "KeyringMode=", "Conflicts=", "CapabilityBoundingSet=", "AmbientCapabilities=",
	"RestrictNamespaces=", "EnvironmentFile=", "ConfigurationDirectory",
}

// TestUnderSystemdUserManager runs the unit under a real systemd (a user
// manager in a private mount namespace): it must become active with the
// STATUS= line, switch to Paired, and stop cleanly.
func TestUnderSystemdUserManager(t *testing.T) {
	needBinary(t)
	if os.Getuid() != 0 {
		t.Skip("needs root for a private mount namespace")
	}
	for _, tool := range []string{"unshare", "/lib/systemd/systemd", "systemctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed (.ci/run installs systemd): %v", tool, err)
			}
			t.Skipf("%s not installed; CI runs this test", tool)
		}
	}
	auth := startAuthServer(t, devauth.Options{}, nil)
	dir, err := os.MkdirTemp("", "sdu") // short: the manager's socket path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"xdg", "conf/systemd/user", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// No --state-dir: StateDirectory= gives the daemon $STATE_DIRECTORY,
	// the only place ProtectSystem=strict leaves writable.
	unit := userUnit(t, fmt.Sprintf("%s run --issuer %s --client-id sdu --display plain", pairingdBin, auth.issuer))
	if err := os.WriteFile(filepath.Join(dir, "conf/systemd/user/pairingd.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `set -e
mount -t tmpfs tmpfs /run/systemd 2>/dev/null || { mkdir -p /run/systemd; mount -t tmpfs tmpfs /run/systemd; }
mkdir -p /run/systemd/system
/lib/systemd/systemd --user --log-target=console >"$D/manager.log" 2>&1 &
mgr=$!
trap 'kill $mgr; wait $mgr' EXIT
for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break; sleep 0.1; done
prop() { systemctl --user show -p "$1" --value pairingd.service; }
systemctl --user start pairingd.service
echo "started: $(prop ActiveState)|$(prop SubState)|$(prop StatusText)"
for _ in $(seq 100); do [ -e "$D/approved" ] && break; sleep 0.1; done
for _ in $(seq 100); do
	s=$(prop StatusText)
	case "$s" in Paired*) break ;; esac
	sleep 0.1
done
echo "paired: $(prop ActiveState)|$(prop NRestarts)|$(prop StatusText)"
systemctl --user stop pairingd.service
echo "stopped: $(prop ActiveState)|$(prop SubState)"
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "bash", "-c", script)
	cmd.Env = append(childEnv(), "D="+dir, "XDG_RUNTIME_DIR="+dir+"/xdg", "XDG_CONFIG_HOME="+dir+"/conf", "HOME="+dir+"/home")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if strings.HasPrefix(l, "started: ") {
			code := ""
			if _, rest, ok := strings.Cut(l, "code "); ok {
				code, _, _ = strings.Cut(rest, " ")
			}
			if code == "" {
				t.Errorf("no code in the unit's status: %q", l)
			} else {
				decide(t, auth.issuer, code, "approve")
			}
			os.WriteFile(filepath.Join(dir, "approved"), nil, 0o644)
		}
	}
	if err := cmd.Wait(); err != nil {
		mgr, _ := os.ReadFile(filepath.Join(dir, "manager.log"))
		if strings.Contains(stderr.String(), "unshare failed") || strings.Contains(stderr.String(), "Operation not permitted") {
			t.Skipf("no mount namespaces here: %s", stderr.String())
		}
		t.Fatalf("systemd user manager run: %v\n%s\n%s\nmanager log:\n%s", err, strings.Join(lines, "\n"), stderr.String(), mgr)
	}
	want := []string{
		"started: active|running|Waiting for approval: code ",
		"paired: active|0|Paired with " + auth.issuer,
		"stopped: inactive|dead",
	}
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q (all: %q)", i, at(lines, i), w, lines)
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// userUnit is systemd/pairingd.service for a user manager, with exec as
// its ExecStart.
func userUnit(t *testing.T, exec string) string {
	t.Helper()
	b, err := os.ReadFile("../../systemd/pairingd.service")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
next:
	for _, l := range strings.Split(string(b), "\n") {
		for _, d := range userManagerDrops {
			if strings.HasPrefix(l, d) {
				continue next
			}
		}
		if strings.HasPrefix(l, "ExecStart=") {
			l = "ExecStart=" + exec
		}
		if strings.HasPrefix(l, "WatchdogSec=") {
			l = "WatchdogSec=2s"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
