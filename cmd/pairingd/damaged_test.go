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
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
	"github.com/pairingd/pairingd/store/sqlite"
)

// A damaged database must not brick the device: the daemon keeps it aside,
// makes a new one, says so, and shows a code.
func TestDamagedDatabasePairsAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		// damage makes the state directory; it returns the device id
		// that the new database must keep, or "".
		damage func(t *testing.T, dir string) string
	}{
		{"not a database", func(t *testing.T, dir string) string {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), bytes.Repeat([]byte("garbage!"), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
			return ""
		}},
		{"a page overwritten", func(t *testing.T, dir string) string {
			src := pairedState(t)
			id := deviceID(t, src)
			b, err := os.ReadFile(filepath.Join(src, sqlite.FileName))
			if err != nil {
				t.Fatal(err)
			}
			// Page 3 is the pairing table's; the device table (page 2)
			// stays readable, so its id is salvaged.
			if len(b) < 3*4096 {
				t.Fatalf("database of %d bytes, want 3 pages", len(b))
			}
			copy(b[2*4096:3*4096], bytes.Repeat([]byte{0xa5}, 4096))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), b, 0o600); err != nil {
				t.Fatal(err)
			}
			return id
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := startAuthServer(t, devauth.Options{}, nil)
			dir := filepath.Join(t.TempDir(), "state")
			wantID := tt.damage(t, dir)
			damaged, err := os.ReadFile(filepath.Join(dir, sqlite.FileName))
			if err != nil {
				t.Fatal(err)
			}
			d := startDaemon(t, dir, as.issuer)
			i, _ := d.waitCode(0)
			d.waitLine(i, regexp.MustCompile(`The saved pairing was damaged \(kept as pairingd\.db\.damaged-\d{8}T\d{6}Z\)`))
			waitLine(t, d, d.stderr, 0, regexp.MustCompile(`level=WARN .*damaged.*kept=\S*pairingd\.db\.damaged-`), waitTimeout)

			kept, _ := filepath.Glob(filepath.Join(dir, sqlite.FileName+".damaged-*"))
			if len(kept) != 1 {
				t.Fatalf("kept files %v, want one pairingd.db.damaged-*", kept)
			}
			if got, err := os.ReadFile(kept[0]); err != nil || !bytes.Equal(got, damaged) {
				t.Errorf("the kept file differs from the damaged database (err %v)", err)
			}
			s, _ := statusJSONOf(t, dir)
			if s.State != "awaiting_user" {
				t.Errorf("status: state %q, want awaiting_user", s.State)
			}
			if wantID != "" && s.DeviceID != wantID {
				t.Errorf("device id %q after the new database, want the salvaged %q", s.DeviceID, wantID)
			}
		})
	}
}

// Any other failure to open the store is shown on the display and retried;
// the daemon neither exits nor goes blank, and SIGTERM still stops it.
func TestStoreErrorShownAndRetried(t *testing.T) {
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	dir := filepath.Join(t.TempDir(), "state")
	// A directory where the database should be: not damage, not fixable
	// by the daemon.
	if err := os.MkdirAll(filepath.Join(dir, sqlite.FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	ns := listenNotify(t)
	d := startDaemonEnv(t, dir, as.issuer, []string{"NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=1000000"})
	d.waitLine(0, regexp.MustCompile(`^Can't open the saved state in .*Retrying in 5s\.$`))
	ns.waitFor(t, "STATUS=Can't open the saved state")
	ns.waitFor(t, "READY=1")
	// systemd must not kill it for a silent watchdog while it waits: at
	// least one ping a second (it pings every half second).
	before := count(ns.all(), "WATCHDOG=1")
	time.Sleep(3 * time.Second)
	if got := count(ns.all(), "WATCHDOG=1") - before; got < 3 {
		t.Errorf("%d WATCHDOG=1 in 3 s of retrying with WatchdogSec=1s, want at least 3", got)
	}
	if err := os.Remove(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
	d.waitCode(0)
	if _, c := d.sigterm(5 * time.Second); c != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", c)
	}

	// SIGTERM while waiting to retry.
	dir2 := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(filepath.Join(dir2, sqlite.FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	d2 := startDaemon(t, dir2, as.issuer)
	d2.waitLine(0, regexp.MustCompile(`^Can't open the saved state`))
	if took, c := d2.sigterm(5 * time.Second); c != 0 || took > 2*time.Second {
		t.Errorf("SIGTERM while retrying: exit %d after %v, want 0 within 2s", c, took)
	}
}

func deviceID(t *testing.T, dir string) string {
	t.Helper()
	s, r := statusJSONOf(t, dir)
	if s.DeviceID == "" {
		t.Fatalf("no device id in %s: %s", dir, r.stderr)
	}
	return s.DeviceID
}

// A state directory the daemon's user may not enter: the screen says what
// to fix.
func TestStorePermissionDeniedShown(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the daemon as another user")
	}
	t.Parallel()
	as := startAuthServer(t, devauth.Options{}, nil)
	base, bin := openBinary(t)
	dir := filepath.Join(base, "state") // root's, 0700
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, stateDir: dir, stdout: newLineBuf(), stderr: newLineBuf(), done: make(chan struct{})}
	d.cmd = exec.Command(bin, "run", "--state-dir", dir, "--issuer", as.issuer, "--client-id", "e2e-test", "--display", "plain")
	d.cmd.Env = childEnv()
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.waitErr = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.kill)
	d.waitLine(0, regexp.MustCompile(`permission denied\. Make the directory and its files belong to the user pairingd runs as\. Retrying in 5s\.$`))
	if _, c := d.sigterm(5 * time.Second); c != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", c)
	}
}

// The CLI on a damaged database says what the daemon will do about it.
func TestStatusOnDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), bytes.Repeat([]byte("garbage!"), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "status", "--state-dir", dir)
	if code != exitError || !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, "pairs again") {
		t.Errorf("status on a damaged database: exit %d, stderr %q; want %d saying the daemon replaces it", code, stderr, exitError)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Errorf("status touched the damaged file: %v", err)
	}
}
