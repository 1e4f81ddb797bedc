package alarm

import (
	"os"
	"testing"
	"time"
)

func TestAfterFires(t *testing.T) {
	c := New()
	defer c.Close()
	for _, d := range []time.Duration{0, time.Millisecond, 30 * time.Millisecond} {
		start := c.Mono()
		select {
		case <-c.After(d):
			if got := c.Mono() - start; got < d {
				t.Errorf("After(%v) fired after %v, early", d, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("After(%v) did not fire within 5 s", d)
		}
	}
}

func TestAfterCancelsTheOneBefore(t *testing.T) {
	c := New()
	defer c.Close()
	old := c.After(20 * time.Millisecond)
	newer := c.After(60 * time.Millisecond)
	select {
	case <-old:
		t.Fatal("the replaced wait fired")
	case <-newer:
	case <-time.After(5 * time.Second):
		t.Fatal("the newest wait did not fire within 5 s")
	}
	select {
	case <-old:
		t.Fatal("the replaced wait fired after the newest")
	case <-time.After(50 * time.Millisecond):
	}
}

// A loop that is woken by other events replaces its wait each time: the
// replaced waits must not keep their descriptors.
func TestReplacedWaitsLeaveNoDescriptors(t *testing.T) {
	c := New()
	defer c.Close()
	before := openFiles(t)
	for range 1000 {
		c.After(time.Hour)
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := openFiles(t)
		if got <= before+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("open descriptors: %d before 1000 replaced waits, %d after", before, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openFiles(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(es)
}
