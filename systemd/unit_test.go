package systemd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// needTool finds a command the unit checks need; CI installs it (.ci/run).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed (.ci/run installs systemd): %v", name, err)
		}
		t.Skipf("%s not installed; CI runs this check", name)
	}
	return p
}

// testUnit copies pairingd.service into a temporary directory with
// ExecStart pointing at a file that exists, since systemd-analyze checks
// that it does.
func testUnit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("pairingd.service")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("ExecStart=/usr/bin/pairingd"), []byte("ExecStart="+exe))
	p := filepath.Join(t.TempDir(), "pairingd.service")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnitVerifies(t *testing.T) {
	tool := needTool(t, "systemd-analyze")
	cmd := exec.Command(tool, "verify", testUnit(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify printed on stderr (want nothing):\n%s", stderr.String())
	}
}

// The hardened unit's exposure score (systemd-analyze security) stays at
// 2.5 or below.
func TestUnitSecurityExposure(t *testing.T) {
	tool := needTool(t, "systemd-analyze")
	out, err := exec.Command(tool, "security", "--offline=true", testUnit(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for .*: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("exposure %.1f", score)
	if score > 2.5 {
		t.Errorf("exposure %.1f, want at most 2.5:\n%s", score, out)
	}
}

// The unit keeps what the daemon needs: the framebuffer, the console and
// the network must survive the hardening.
func TestUnitKeepsDevicesAndNetwork(t *testing.T) {
	unit := uncommented(t, "pairingd.service")
	for _, want := range []string{
		"Type=notify", "ExecStart=/usr/bin/pairingd run $PAIRINGD_ARGS", "WatchdogSec=", "Restart=on-failure",
		"StateDirectory=pairingd", "StateDirectoryMode=0700", "ConfigurationDirectory=pairingd",
		"User=pairingd", "SupplementaryGroups=video", "DevicePolicy=closed", "DeviceAllow=char-fb rw",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "RestartPreventExitStatus=2", "StartLimitBurst=",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	for _, bad := range []string{"PrivateDevices=yes", "time-sync.target"} {
		if strings.Contains(unit, bad) {
			t.Errorf("unit has %q: it would hide /dev/fb0 or wait for time sync", bad)
		}
	}
	// The console is the drop-in's: the unit alone starts without a tty1
	// and leaves its login prompt.
	for _, bad := range []string{"TTYPath=", "StandardInput=tty", "getty@tty1", "/dev/tty"} {
		if strings.Contains(unit, bad) {
			t.Errorf("unit has %q: it would fail without /dev/tty1 or take the login prompt's console", bad)
		}
	}
	dropIn := uncommented(t, "console.conf")
	for _, want := range []string{"TTYPath=/dev/tty1", "StandardInput=tty", "Conflicts=getty@tty1.service", "DeviceAllow=/dev/tty1 rw"} {
		if !strings.Contains(dropIn, want) {
			t.Errorf("console.conf lacks %q", want)
		}
	}
}

// uncommented is the file's text without its comment lines.
func uncommented(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// The unit with the console drop-in verifies too and stays as hardened.
func TestConsoleDropInVerifies(t *testing.T) {
	tool := needTool(t, "systemd-analyze")
	unit := testUnit(t)
	d := unit + ".d"
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("console.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "console.conf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "verify", unit)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify with console.conf: %v\n%s", err, stderr.String())
	}
}
