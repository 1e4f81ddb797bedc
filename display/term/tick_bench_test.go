package term

import (
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// BenchmarkTick is one countdown tick of a code screen on a 100×40
// terminal: laying the screen out, painting it and handing tcell the
// cells that changed.
func BenchmarkTick(b *testing.B) {
	now := t0
	sim := tcell.NewSimulationScreen("UTF-8")
	d, err := New(Options{Screen: sim, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	sim.SetSize(100, 40)
	if err := d.Show(awaiting(t0.Add(10 * time.Minute))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.mu.Lock()
		now = now.Add(time.Second)
		d.drawLocked(false)
		d.mu.Unlock()
	}
}
