package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/pairingd/pairingd/store"
)

func TestFakeConformance(t *testing.T) {
	// One Fake per directory, so a second open of a dir shares its data
	// as a second process opening the same database would.
	var mu sync.Mutex
	fakes := map[string]*Fake{}
	Run(t, func(t *testing.T, dir string) store.Store {
		mu.Lock()
		defer mu.Unlock()
		f, ok := fakes[dir]
		if !ok {
			f = NewFake()
			fakes[dir] = f
		}
		return f
	})
}

func TestFakeWrites(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	for _, tt := range []struct {
		name string
		do   func() error
		want int // Writes() after
	}{
		{"change", func() error {
			_, err := f.Update(ctx, func(p *store.Pairing) error { p.Message = "a"; return nil })
			return err
		}, 1},
		{"same value", func() error {
			_, err := f.Update(ctx, func(p *store.Pairing) error { p.Message = "a"; return nil })
			return err
		}, 1},
		{"device info", func() error { return f.SetDeviceInfo(ctx, "n", "m", "o") }, 2},
		{"same device info", func() error { return f.SetDeviceInfo(ctx, "n", "m", "o") }, 2},
		{"reads", func() error {
			if _, err := f.Pairing(ctx); err != nil {
				return err
			}
			_, err := f.Rev(ctx)
			return err
		}, 2},
	} {
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := f.Writes(); got != tt.want {
			t.Errorf("after %s: Writes() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFakeFailNextUpdate(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	errDisk := errors.New("disk full")
	f.FailNextUpdate(errDisk)
	called := false
	_, err := f.Update(ctx, func(p *store.Pairing) error { called = true; p.Message = "lost"; return nil })
	if !errors.Is(err, errDisk) {
		t.Errorf("Update after FailNextUpdate = %v, want %v", err, errDisk)
	}
	if !called {
		t.Errorf("FailNextUpdate: fn not called, want it called before the failed commit")
	}
	if p, _ := f.Pairing(ctx); p.Message != "" || f.Writes() != 0 {
		t.Errorf("after failed Update: Message %q, Writes %d; want nothing written", p.Message, f.Writes())
	}
	p, err := f.Update(ctx, func(p *store.Pairing) error { p.Message = "kept"; return nil })
	if err != nil || p.Message != "kept" {
		t.Errorf("the Update after the failed one = (%q, %v), want (\"kept\", nil): the failure is one-shot", p.Message, err)
	}
}
