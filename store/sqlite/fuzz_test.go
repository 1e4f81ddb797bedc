package sqlite_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
	"github.com/pairingd/pairingd/store/storetest"
)

// validDatabase returns the bytes of a database holding a paired record,
// checkpointed into the main file as a clean stop leaves it.
func validDatabase(f *testing.F) []byte {
	f.Helper()
	dir := f.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Update(ctx, func(p *store.Pairing) error { *p = storetest.Sample(); return nil }); err != nil {
		f.Fatal(err)
	}
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, sqlite.FileName))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzOpenDamaged overwrites a valid database at two chosen offsets with
// chosen bytes. Opening it and reading the record must succeed or fail
// with an error, damage that SQLite reports must match ErrCorrupt, and
// Quarantine and a new Open must always give a usable store.
func FuzzOpenDamaged(f *testing.F) {
	valid := validDatabase(f)
	// The seeds are in testdata/fuzz/FuzzOpenDamaged: garbage, a
	// user_version from the future, zeroed and overwritten table pages, a
	// broken cell, page size and page count.
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, off1 uint16, data1 []byte, off2 uint16, data2 []byte) {
		b := append([]byte(nil), valid...)
		for _, w := range []struct {
			off  uint16
			data []byte
		}{{off1, data1}, {off2, data2}} {
			copy(b[int(w.off)%len(b):], w.data)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: log})
		if err == nil {
			if _, err = s.Pairing(ctx); err == nil {
				_, err = s.Update(ctx, func(p *store.Pairing) error { p.Message = "still works"; return nil })
			}
			s.Close()
		}
		if err == nil {
			return
		}
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB) && !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("SQLite reports damage, but the error does not match ErrCorrupt: %v", err)
		}

		kept, id, err := sqlite.Quarantine(dir, time.Now())
		if err != nil {
			t.Fatalf("Quarantine: %v", err)
		}
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("the kept file: %v", err)
		}
		s, err = sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: log, DeviceID: id})
		if err != nil {
			t.Fatalf("Open after Quarantine: %v", err)
		}
		defer s.Close()
		if _, err := s.Update(ctx, func(p *store.Pairing) error { p.Message = "new"; return nil }); err != nil {
			t.Fatalf("Update after Quarantine: %v", err)
		}
		if p, err := s.Pairing(ctx); err != nil || p.Message != "new" {
			t.Fatalf("Pairing after Quarantine = %q, %v", p.Message, err)
		}
		if d, err := s.Device(ctx); err != nil || id != "" && d.ID != id {
			t.Errorf("Device after Quarantine = %q, %v; want the salvaged %q", d.ID, err, id)
		}
	})
}
