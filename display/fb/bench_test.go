package fb

import (
	"fmt"
	"testing"
	"time"
)

var benchSizes = []devSpec{
	{w: 720, h: 720, bpp: 32},
	{w: 1920, h: 1080, bpp: 32},
	{w: 640, h: 480, bpp: 16},
}

// BenchmarkFullRedraw measures Show of a new screen (another user code and
// QR code) and, cold, a redraw that writes every row (as after a VT
// switch).
func BenchmarkFullRedraw(b *testing.B) {
	for _, spec := range benchSizes {
		b.Run(spec.String()+"/new-screen", func(b *testing.B) {
			d, _ := newDisplay(b, newDev(b, spec), 0)
			screens := [2]struct{ code, qr string }{
				{"WDJB-MJHT", "https://example.com/device?user_code=WDJB-MJHT"},
				{"BCDF-GHJK", "https://example.com/device?user_code=BCDF-GHJK"},
			}
			s := SampleScreen(t0)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.UserCode, s.QR = screens[i%2].code, screens[i%2].qr
				if err := d.Show(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(spec.String()+"/cold", func(b *testing.B) {
			d, _ := newDisplay(b, newDev(b, spec), 0)
			if err := d.Show(SampleScreen(t0)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				d.mu.Lock()
				d.pn.invalidate()
				d.redrawLocked()
				d.mu.Unlock()
			}
		})
	}
}

// BenchmarkCountdownRedraw measures one countdown tick: new text and bar
// drawn into the back buffer and the changed rows flushed.
func BenchmarkCountdownRedraw(b *testing.B) {
	for _, spec := range benchSizes {
		for _, rot := range []int{0, 90} {
			b.Run(fmt.Sprintf("%v/rot%d", spec, rot), func(b *testing.B) {
				d, c := newDisplay(b, newDev(b, spec), rot)
				if err := d.Show(SampleScreen(t0)); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					c.set(t0.Add(time.Duration(i%600+1) * time.Second))
					d.tick()
				}
			})
		}
	}
}
