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
