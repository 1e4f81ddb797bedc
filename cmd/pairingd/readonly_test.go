package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// inReadOnlyMount runs pairingd with args in a private mount namespace in
// which dir is a read-only bind mount: a read-only state directory even
// for root.
func inReadOnlyMount(t *testing.T, dir string, args ...string) result {
	t.Helper()
	needBinary(t)
	script := `mount --bind -o ro "$1" "$1" && shift && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "sh", "-c", script, "sh", dir, pairingdBin}, args...)...)
	cmd.Env = childEnv()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("unshare: %v", err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// needReadOnlyMount skips the test where inReadOnlyMount cannot work: it
// needs root, unshare and bind mounts.
func needReadOnlyMount(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	if r := inReadOnlyMount(t, t.TempDir(), "version"); r.code != 0 {
		t.Skipf("no read-only bind mount here: %s", r.stderr)
	}
}

// copyState copies the database files in from to a new directory, as a
// crash (or a copy of a live system) leaves them.
func copyState(t *testing.T, from string, suffixes ...string) string {
	t.Helper()
	to := t.TempDir()
	for _, suffix := range suffixes {
		b, err := os.ReadFile(filepath.Join(from, sqlite.FileName+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, sqlite.FileName+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// status and token read a state directory they cannot write: a read-only
// mount, with the daemon stopped cleanly (no -wal, no -shm) or killed
// (both left behind).
func TestReadOnlyStateDir(t *testing.T) {
	needReadOnlyMount(t)
	clean := pairedState(t)

	// A live store: the commit is in the -wal, which the copy keeps.
	live := pairedState(t)
	st, err := sqlite.Open(context.Background(), live, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Update(context.Background(), func(p *store.Pairing) error { p.Account = "pete"; return nil }); err != nil {
		t.Fatal(err)
	}
	crashed := copyState(t, live, "", "-wal", "-shm")

	for _, tt := range []struct {
		name, dir, account string
	}{
		{"stopped cleanly", clean, ""},
		{"killed, -wal and -shm left", crashed, "pete"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := inReadOnlyMount(t, tt.dir, "status", "--state-dir", tt.dir, "--json")
			var s statusJSON
			if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != exitOK {
				t.Fatalf("status --json on a read-only state directory: exit %d, %v\nstderr: %s", r.code, err, r.stderr)
			}
			if s.State != "paired" || s.Account != tt.account {
				t.Errorf("status: state %q, account %q; want paired, %q (nothing committed missed)", s.State, s.Account, tt.account)
			}
			r = inReadOnlyMount(t, tt.dir, "token", "--state-dir", tt.dir)
			if r.code != exitOK || strings.TrimSpace(r.stdout) != "at" {
				t.Errorf("token on a read-only state directory: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
			}
		})
	}

	t.Run("-wal without -shm", func(t *testing.T) {
		dir := copyState(t, live, "", "-wal")
		r := inReadOnlyMount(t, dir, "status", "--state-dir", dir)
		if r.code != exitError || !strings.Contains(r.stderr, "-shm") {
			t.Errorf("status: exit %d, stderr %q; want %d explaining the missing -shm", r.code, r.stderr, exitError)
		}
	})
}
