package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pairingd/pairingd/store/sqlite"
)

// Quarantine never replaces a file: not a kept database of the same second,
// nor a -wal or -shm kept beside one, and it removes a salvage copy that a
// killed run left behind (it holds secrets).
func TestQuarantineReplacesNothing(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	base := filepath.Join(dir, sqlite.FileName+".damaged-20261202T010203Z")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, sqlite.FileName), "not a database")
	write(filepath.Join(dir, sqlite.FileName+"-wal"), "its wal")
	write(base+"-wal", "kept earlier")
	if err := os.Mkdir(filepath.Join(dir, ".salvage-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, ".salvage-123", sqlite.FileName), "secrets")

	kept, _, err := sqlite.Quarantine(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if kept == base {
		t.Errorf("kept as %s, whose -wal name was taken", kept)
	}
	for path, want := range map[string]string{base + "-wal": "kept earlier", kept: "not a database", kept + "-wal": "its wal"} {
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", filepath.Base(path), b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".salvage-123")); !os.IsNotExist(err) {
		t.Errorf("the stale salvage copy is still there: %v", err)
	}
}
