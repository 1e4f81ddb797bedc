package display_test

import (
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
)

func TestTimeLeft(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 31, 0, 0, time.UTC)
	for _, tt := range []struct {
		deadline time.Time
		want     string
	}{
		{time.Time{}, ""},
		{now.Add(10 * time.Minute), "10:00"},
		{now.Add(10*time.Minute - time.Second), "9:59"},
		{now.Add(9*time.Minute + 59*time.Second + 1), "10:00"}, // rounds up
		{now.Add(65 * time.Second), "1:05"},
		{now.Add(time.Millisecond), "0:01"},
		{now, "0:00"},
		{now.Add(-time.Hour), "0:00"},
		{now.Add(90 * time.Minute), "90:00"},
	} {
		if got := display.TimeLeft(tt.deadline, now); got != tt.want {
			t.Errorf("TimeLeft(now%+v) = %q, want %q", tt.deadline.Sub(now), got, tt.want)
		}
	}
}

func TestUntilTextChange(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		left   time.Duration
		want   time.Duration
		wantOK bool
	}{
		{10 * time.Minute, time.Second, true},
		{9*time.Minute + 59*time.Second + 300*time.Millisecond, 300 * time.Millisecond, true},
		{1500 * time.Millisecond, 500 * time.Millisecond, true},
		{0, 0, false},
		{-time.Second, 0, false},
	} {
		got, ok := display.UntilTextChange(base.Add(tt.left), base)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("display.UntilTextChange(now+%v) = %v, %v; want %v, %v", tt.left, got, ok, tt.want, tt.wantOK)
		}
		// The text does change at that moment and not before.
		if ok {
			if display.TimeLeft(base.Add(tt.left), base.Add(got-time.Millisecond)) != display.TimeLeft(base.Add(tt.left), base) ||
				display.TimeLeft(base.Add(tt.left), base.Add(got)) == display.TimeLeft(base.Add(tt.left), base) {
				t.Errorf("for %v left, the text does not change exactly after %v", tt.left, got)
			}
		}
	}
	if _, ok := display.UntilTextChange(time.Time{}, base); ok {
		t.Errorf("display.UntilTextChange(zero deadline) reports a change")
	}
}
