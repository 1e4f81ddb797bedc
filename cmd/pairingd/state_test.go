package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
	"github.com/pairingd/pairingd/store/sqlite"
)

// With the -wal file deleted under a running daemon, the CLI says what is
// wrong and what to do, not that there is no state; and nothing is lost.
func TestWALMissingUnderDaemon(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		remove []string
	}{
		{"wal", []string{"-wal"}},
		{"wal and shm", []string{"-wal", "-shm"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := startAuthServer(t, devauth.Options{}, nil)
			dir := filepath.Join(t.TempDir(), "state")
			d := startDaemon(t, dir, as.issuer)
			_, code := d.waitCode(0)
			for _, suffix := range tt.remove {
				if err := os.Remove(filepath.Join(dir, sqlite.FileName+suffix)); err != nil {
					t.Fatal(err)
				}
			}
			for _, cmd := range []string{"status", "token"} {
				r := pairingd(t, cmd, "--state-dir", dir)
				if r.code != exitError || !strings.Contains(r.stderr, "-wal file is missing") || !strings.Contains(r.stderr, "restart pairingd") {
					t.Errorf("pairingd %s with the -wal gone: exit %d, stderr %q; want %d and advice to restart pairingd", cmd, r.code, r.stderr, exitError)
				}
			}
			if _, c := d.sigterm(5 * time.Second); c != 0 {
				t.Errorf("daemon exit %d after SIGTERM, want 0", c)
			}
			s, r := statusJSONOf(t, dir)
			if s.State != "awaiting_user" || s.UserCode != code {
				t.Errorf("after the daemon stopped: state %q, code %q (exit %d, %s); want awaiting_user with %s", s.State, s.UserCode, r.code, r.stderr, code)
			}
		})
	}
}

// A file that holds no pairing data and no daemon running: say so.
func TestEmptyDatabaseNoDaemon(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "status", "--state-dir", dir)
	if code != exitNotPaired || !strings.Contains(stderr, "empty or was never finished") {
		t.Errorf("status on an empty database: exit %d, stderr %q; want %d saying it is empty", code, stderr, exitNotPaired)
	}
}
