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

// A wait replaced just as it expired: its expiry, read after the new
// wait is armed, must not fire the new one.
func TestExpiryReadAfterReplacingDoesNotFire(t *testing.T) {
	c := New()
	defer c.Close()
	c.After(time.Millisecond)
	// With the lock held the reader takes the expiry and waits for the
	// lock; the new wait is armed before it gets it.
	c.mu.Lock()
	time.Sleep(50 * time.Millisecond)
	newer := c.afterLocked(time.Hour)
	c.mu.Unlock()
	select {
	case <-newer:
		t.Fatal("an hour's wait fired at the expiry of the wait it replaced")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestAfterCloseNeverFires(t *testing.T) {
	c := New()
	pending := c.After(10 * time.Millisecond)
	c.Close()
	later := c.After(0)
	select {
	case <-pending:
		t.Fatal("the wait pending at Close fired")
	case <-later:
		t.Fatal("a wait after Close fired")
	case <-time.After(100 * time.Millisecond):
	}
}
