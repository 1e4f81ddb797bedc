package pairing

import (
	"testing"
	"time"
)

func TestSpreads(t *testing.T) {
	s := time.Second
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"first poll, r 0: one interval", firstPollAfter(5*s, 0), 5 * s},
		{"first poll, r 0.5", firstPollAfter(5*s, 0.5), 7500 * time.Millisecond},
		{"first poll, r near 1: under two intervals", firstPollAfter(5*s, 0.999), 9995 * time.Millisecond},
		{"retry, r 0: the backoff", spreadRetry(80*s, 10*s, 0), 80 * s},
		{"retry, r 0.5: halfway to the floor", spreadRetry(80*s, 10*s, 0.5), 45 * s},
		{"retry, r near 1: the floor", spreadRetry(80*s, 10*s, 0.9999), 10007 * time.Millisecond},
		{"retry at the floor stays", spreadRetry(10*s, 10*s, 0.7), 10 * s},
		{"refresh, r 0: the profile's point", spreadRefresh(270*s, 0), 270 * s},
		{"refresh, r 1: a quarter earlier", spreadRefresh(200*s, 1), 150 * s},
		{"refresh due now stays due", spreadRefresh(0, 0.5), 0},
		{"refresh never stays never", spreadRefresh(forever, 0.5), forever},
		{"check, r 0: every", spreadCheck(10*time.Minute, 0), 10 * time.Minute},
		{"check, r 1: a fifth later", spreadCheck(10*time.Minute, 1), 12 * time.Minute},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// A single device does not feel the spread: whatever the random draw,
// the first code is asked for at once, and the first poll comes no sooner
// than the interval and within two.
func TestSpreadKeepsTheFirstCodeAtOnce(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		bubble(t, func(t *testing.T) {
			srv := newFakeServer()
			h := newHarness(t, srv, nil)
			h.m.Rand = func() float64 { return r }
			h.start()
			advance(11 * time.Second)
			h.stop()
			devs := srv.requests("/device")
			if len(devs) == 0 || devs[0].at > 100*time.Millisecond {
				t.Fatalf("rand %v: code requests %+v, want the first at once", r, devs)
			}
			polls := srv.polls()
			if len(polls) == 0 {
				t.Fatalf("rand %v: no poll in 11 s", r)
			}
			interval := time.Duration(srv.interval) * time.Second
			if gap := polls[0].at - devs[0].done; gap < interval || gap > 2*interval {
				t.Errorf("rand %v: first poll %v after the code, want between %v and %v", r, gap, interval, 2*interval)
			}
		})
	}
}
