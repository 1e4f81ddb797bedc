package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// A user who is neither root nor pairingd runs `pairingd status` or
// `pairingd token`: the state directory (0700) and a configuration that
// may hold client_secret (0640) refuse them, and the message says why and
// what to do instead of a bare "permission denied".
func TestPermissionDeniedSaysWhatToDo(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the commands as another user")
	}
	dir, bin := openBinary(t)
	state := filepath.Join(dir, "state")
	d := startDaemon(t, state, "", "--config", os.DevNull)
	d.waitLine(0, regexp.MustCompile(`^Not set up yet$`))
	conf := filepath.Join(dir, "pairingd.toml")
	if err := os.WriteFile(conf, []byte("client_secret = \"secret-client-secret\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	nobody := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = childEnv()
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("pairingd %s as nobody: %v", strings.Join(args, " "), err)
		}
		return out.String(), cmd.ProcessState.ExitCode()
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"status, state", []string{"status", "--state-dir", state, "--config", os.DevNull}, exitError, "readable by root and the pairingd user only: run this as root (sudo)"},
		{"token, state", []string{"token", "--state-dir", state, "--config", os.DevNull}, exitError, "readable by root and the pairingd user only: run this as root (sudo)"},
		{"status, config", []string{"status", "--state-dir", state, "--config", conf}, exitUsage, "only root and the group pairingd read it: run this as root (sudo)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, code := nobody(tt.args...)
			if code != tt.code || !strings.Contains(out, "permission denied") || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output %q; want exit %d, permission denied and %q", code, out, tt.code, tt.want)
			}
			if strings.Contains(out, "secret-client-secret") {
				t.Errorf("the output shows the secret: %q", out)
			}
		})
	}
}
