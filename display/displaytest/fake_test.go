package displaytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
)

func TestFakeRecords(t *testing.T) {
	var f Fake
	if got := f.Last(); got != (display.Screen{}) {
		t.Errorf("Last() before any Show = %+v, want the zero Screen", got)
	}
	states := []string{"unpaired", "awaiting_user", "paired"}
	for _, s := range states {
		if err := f.Show(display.Screen{State: s}); err != nil {
			t.Fatal(err)
		}
	}
	got := f.Screens()
	if len(got) != len(states) {
		t.Fatalf("Screens() has %d screens, want %d", len(got), len(states))
	}
	for i, s := range got {
		if s.State != states[i] {
			t.Errorf("Screens()[%d].State = %q, want %q", i, s.State, states[i])
		}
	}
	got[0].State = "changed"
	if s := f.Screens()[0].State; s != "unpaired" {
		t.Errorf("changing the slice Screens returned changed the record to %q", s)
	}
	if got, want := f.Last().State, "paired"; got != want {
		t.Errorf("Last().State = %q, want %q", got, want)
	}
	if f.Closed() {
		t.Errorf("Closed() = true before Close")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if !f.Closed() {
		t.Errorf("Closed() = false after Close")
	}
	if err := f.Show(display.Screen{State: "error"}); err == nil {
		t.Errorf("Show after Close: no error, want one")
	}
	if got, want := len(f.Screens()), len(states); got != want {
		t.Errorf("after Show on a closed Fake, %d screens recorded, want %d", got, want)
	}
}

func TestFakeErr(t *testing.T) {
	want := errors.New("broken screen")
	f := Fake{Err: want}
	if err := f.Show(display.Screen{State: "paired"}); !errors.Is(err, want) {
		t.Errorf("Show = %v, want %v", err, want)
	}
	if got := f.Last().State; got != "paired" {
		t.Errorf("a failing Show recorded %q, want %q", got, "paired")
	}
}

func isState(state string) func(display.Screen) bool {
	return func(s display.Screen) bool { return s.State == state }
}

func TestFakeWaitFor(t *testing.T) {
	var f Fake
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A screen shown before the call counts.
	f.Show(display.Screen{State: "unpaired"})
	if s, err := f.WaitFor(ctx, isState("unpaired")); err != nil || s.State != "unpaired" {
		t.Errorf("WaitFor(unpaired) = %+v, %v; want the unpaired screen", s, err)
	}

	// A screen shown later, from another goroutine.
	go func() {
		f.Show(display.Screen{State: "awaiting_user", UserCode: "WDJB-MJHT"})
		f.Show(display.Screen{State: "paired", Detail: "alice"})
	}()
	s, err := f.WaitFor(ctx, isState("paired"))
	if err != nil {
		t.Fatalf("WaitFor(paired): %v", err)
	}
	if s.Detail != "alice" {
		t.Errorf("WaitFor(paired) = %+v, want Detail alice", s)
	}

	// No match: ctx ends the wait.
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	if _, err := f.WaitFor(short, isState("denied")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor(denied) = %v, want %v", err, context.DeadlineExceeded)
	}

	// Close ends the wait too.
	done := make(chan error, 1)
	go func() {
		_, err := f.WaitFor(ctx, isState("denied"))
		done <- err
	}()
	f.Close()
	if err := <-done; !errors.Is(err, ErrClosedWaiting) {
		t.Errorf("WaitFor on Close = %v, want %v", err, ErrClosedWaiting)
	}
}
