package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openSQLite(t, dir, sqlite.Options{Create: true})
	if w.ReadOnly() {
		t.Errorf("ReadOnly() = true for a store opened to write")
	}
	if _, err := w.Update(ctx, func(p *store.Pairing) error { p.Message = "committed"; return nil }); err != nil {
		t.Fatal(err)
	}
	r := openSQLite(t, dir, sqlite.Options{ReadOnly: true})
	if !r.ReadOnly() {
		t.Errorf("ReadOnly() = false with Options.ReadOnly")
	}
	if p := mustPairing(t, r); p.Message != "committed" {
		t.Errorf("read-only Pairing().Message = %q, want %q", p.Message, "committed")
	}
	if _, err := r.Update(ctx, func(p *store.Pairing) error { p.Message = "x"; return nil }); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Update on a read-only store = %v, want ErrReadOnly", err)
	}
	if err := r.SetDeviceInfo(ctx, "n", "m", "o"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("SetDeviceInfo on a read-only store = %v, want ErrReadOnly", err)
	}
	if _, err := r.RefreshLock(ctx); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("RefreshLock on a read-only store = %v, want ErrReadOnly", err)
	}
}
