package displaytest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
)

func TestFakeRecords(t *testing.T) {
	var f Fake
	if got := f.Last(); !reflect.DeepEqual(got, display.Screen{}) {
		t.Errorf("Last() before any Show = %+v, want the zero Screen", got)
	}
	headlines := []string{"Getting a pairing code…", "Scan to pair this device", "Paired ✓"}
	for _, h := range headlines {
		if err := f.Show(display.Screen{Headline: h}); err != nil {
			t.Fatal(err)
		}
	}
	got := f.Screens()
	if len(got) != len(headlines) {
		t.Fatalf("Screens() has %d screens, want %d", len(got), len(headlines))
	}
	for i, s := range got {
		if s.Headline != headlines[i] {
			t.Errorf("Screens()[%d].Headline = %q, want %q", i, s.Headline, headlines[i])
		}
	}
	got[0].Headline = "changed"
	if s := f.Screens()[0].Headline; s != headlines[0] {
		t.Errorf("changing the slice Screens returned changed the record to %q", s)
	}
	if got, want := f.Last().Headline, headlines[2]; got != want {
		t.Errorf("Last().Headline = %q, want %q", got, want)
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
	if err := f.Show(display.Screen{Headline: "Can't pair right now"}); err == nil {
		t.Errorf("Show after Close: no error, want one")
	}
	if got, want := len(f.Screens()), len(headlines); got != want {
		t.Errorf("after Show on a closed Fake, %d screens recorded, want %d", got, want)
	}
}

func TestFakeErr(t *testing.T) {
	want := errors.New("broken screen")
	f := Fake{Err: want}
	if err := f.Show(display.Screen{Headline: "Paired ✓"}); !errors.Is(err, want) {
		t.Errorf("Show = %v, want %v", err, want)
	}
	if got := f.Last().Headline; got != "Paired ✓" {
		t.Errorf("a failing Show recorded %q, want %q", got, "Paired ✓")
	}
}

func headed(headline string) func(display.Screen) bool {
	return func(s display.Screen) bool { return s.Headline == headline }
}

func TestFakeWaitFor(t *testing.T) {
	var f Fake
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A screen shown before the call counts.
	f.Show(display.Screen{Headline: "Getting a pairing code…"})
	if s, err := f.WaitFor(ctx, headed("Getting a pairing code…")); err != nil || s.Headline != "Getting a pairing code…" {
		t.Errorf("WaitFor(unpaired) = %+v, %v; want the unpaired screen", s, err)
	}

	// A screen shown later, from another goroutine.
	go func() {
		f.Show(display.Screen{Headline: "Scan to pair this device", UserCode: "WDJB-MJHT"})
		f.Show(display.Screen{Headline: "Paired ✓", Tone: display.ToneOK, Detail: "alice"})
	}()
	s, err := f.WaitFor(ctx, headed("Paired ✓"))
	if err != nil {
		t.Fatalf("WaitFor(paired): %v", err)
	}
	if s.Detail != "alice" {
		t.Errorf("WaitFor(paired) = %+v, want Detail alice", s)
	}

	// No match: ctx ends the wait.
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	if _, err := f.WaitFor(short, headed("Pairing was denied")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor(denied) = %v, want %v", err, context.DeadlineExceeded)
	}

	// Close ends the wait too.
	done := make(chan error, 1)
	go func() {
		_, err := f.WaitFor(ctx, headed("Pairing was denied"))
		done <- err
	}()
	f.Close()
	if err := <-done; !errors.Is(err, ErrClosedWaiting) {
		t.Errorf("WaitFor on Close = %v, want %v", err, ErrClosedWaiting)
	}
}
