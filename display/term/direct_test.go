package term

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	// vt420 pads its sequences and hides the cursor; release builds
	// leave it out.
	_ "github.com/gdamore/tcell/v2/terminfo/v/vt420"
)

// ttyFake is a terminal of w×h cells for tcell's terminfo screen: it keeps
// what is written to it and has no input.
type ttyFake struct {
	w, h    int
	mu      sync.Mutex
	out     bytes.Buffer
	drained chan struct{}
	once    sync.Once
}

func newTTYFake(w, h int) *ttyFake { return &ttyFake{w: w, h: h, drained: make(chan struct{})} }

func (f *ttyFake) Start() error { return nil }
func (f *ttyFake) Stop() error  { return nil }
func (f *ttyFake) Drain() error {
	f.once.Do(func() { close(f.drained) })
	return nil
}
func (f *ttyFake) NotifyResize(func()) {}
func (f *ttyFake) WindowSize() (tcell.WindowSize, error) {
	return tcell.WindowSize{Width: f.w, Height: f.h}, nil
}

// Read blocks until the screen drains the terminal, as a quiet keyboard.
func (f *ttyFake) Read([]byte) (int, error) {
	<-f.drained
	return 0, nil
}

func (f *ttyFake) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}

func (f *ttyFake) Close() error { return f.Drain() }

// take returns what was written since the last take.
func (f *ttyFake) take() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := bytes.Clone(f.out.Bytes())
	f.out.Reset()
	return b
}

// startTTY makes a Display on tcell's real terminal screen for $TERM,
// writing to a ttyFake of w×h cells, with the clock *now, which only tick
// moves. The countdown never fires by itself: the test ticks.
func startTTY(t testing.TB, term string, w, h int, now *time.Time) (*Display, tcell.Screen, *ttyFake) {
	t.Helper()
	t.Setenv("TERM", term)
	tty := newTTYFake(w, h)
	scr, err := tcell.NewTerminfoScreenFromTty(tty)
	if err != nil {
		t.Fatal(err)
	}
	never := func(time.Duration) <-chan time.Time { return nil }
	d, err := New(Options{Screen: scr, Now: func() time.Time { return *now }, After: never})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	// tcell clears the screen as it starts, then reports the terminal's
	// size as a resize, and the display repaints everything for it,
	// clearing the screen again: wait for that second clear, so that what
	// follows is the test's own.
	ti, err := tcell.LookupTerminfo(term)
	if err != nil {
		t.Fatal(err)
	}
	// tcell sends the sequence without its padding ("$<50>").
	clearSeq := []byte(padding.ReplaceAllString(ti.Clear, ""))
	var seen []byte
	for end := time.Now().Add(5 * time.Second); bytes.Count(seen, clearSeq) < 2; {
		if time.Now().After(end) {
			t.Fatalf("the display did not repaint for tcell's first resize in 5 s; it wrote %q", seen)
		}
		time.Sleep(time.Millisecond)
		seen = append(seen, tty.take()...)
	}
	return d, scr, tty
}

// padding is a terminfo delay, "$<5>".
var padding = regexp.MustCompile(`\$<[^>]*>`)

// tick moves the clock *now on by step, and draws the screen as the
// countdown does when its text changes.
func tick(d *Display, now *time.Time, step time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	*now = now.Add(step)
	d.drawLocked(false)
}

// cursorAt is the cursor positioning of the xterm and Linux console
// entries, 1-based row and column.
var cursorAt = regexp.MustCompile(`^\x1b\[(\d+);(\d+)H`)

// applyDirect plays a direct write onto grid, the terminal's rows as
// runes: the attributes-off sequence, then cursor positions and ASCII
// characters, which is all a direct write may contain.
func applyDirect(t *testing.T, grid [][]rune, b []byte, reset string) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(reset)) {
		t.Fatalf("write %q does not start by turning attributes off (%q)", b, reset)
	}
	b = b[len(reset):]
	x, y := -1, -1
	for len(b) > 0 {
		if m := cursorAt.FindSubmatch(b); m != nil {
			y, _ = strconv.Atoi(string(m[1]))
			x, _ = strconv.Atoi(string(m[2]))
			x, y = x-1, y-1
			b = b[len(m[0]):]
			continue
		}
		if b[0] < 0x20 || b[0] > 0x7e {
			t.Fatalf("write has %q, want only cursor positions and ASCII characters", b)
		}
		if y < 0 || y >= len(grid) || x < 0 || x >= len(grid[y]) {
			t.Fatalf("write puts %q at %d,%d, off the %d-row screen or before any position", b[0], x, y, len(grid))
		}
		grid[y][x] = rune(b[0])
		x++
		b = b[1:]
	}
}

// gridOf is what tcell holds for each cell of scr, as runes.
func gridOf(scr tcell.Screen) [][]rune {
	w, h := scr.Size()
	grid := make([][]rune, h)
	for y := range grid {
		grid[y] = make([]rune, w)
		for x := range w {
			s, _, _ := scr.Get(x, y)
			grid[y][x] = []rune(s + " ")[0]
		}
	}
	return grid
}

func rows(grid [][]rune) []string {
	out := make([]string, len(grid))
	for y, r := range grid {
		out[y] = strings.TrimRight(string(r), " ")
	}
	return out
}

// A countdown tick on a real terminal writes the few cells that changed
// itself, and the terminal then shows what a full redraw at that moment
// shows: at 10:00 → 9:59 the line is shorter and moves too. On 80×24 the
// text is beside the QR code, on the same rows.
func TestDirectTick(t *testing.T) {
	for _, tt := range []struct {
		term string
		w, h int
	}{
		{"xterm-256color", 100, 40}, {"linux", 100, 40}, {"xterm-256color", 80, 24},
		{"tmux-256color", 100, 40}, {"screen", 100, 40},
	} {
		t.Run(fmt.Sprintf("%s/%dx%d", tt.term, tt.w, tt.h), func(t *testing.T) {
			now := t0
			d, scr, tty := startTTY(t, tt.term, tt.w, tt.h, &now)
			if d.direct == nil {
				t.Fatalf("no direct writer for TERM=%s", tt.term)
			}
			if err := d.Show(awaiting(t0.Add(10*time.Minute + 2*time.Second))); err != nil {
				t.Fatal(err)
			}
			grid := gridOf(scr) // what the terminal shows now
			tty.take()
			for _, step := range []time.Duration{time.Second, time.Second, time.Second, 5 * time.Second} {
				tick(d, &now, step)
				b := tty.take()
				if len(b) > 200 {
					t.Errorf("at %v a tick wrote %d bytes, want at most 200: %q", now.Sub(t0), len(b), b)
				}
				applyDirect(t, grid, b, d.direct.reset)

				ref, sim := start(t, tt.w, tt.h, Options{Now: func() time.Time { return now }})
				if err := ref.Show(awaiting(t0.Add(10*time.Minute + 2*time.Second))); err != nil {
					t.Fatal(err)
				}
				want := text(ref, sim)
				ref.Close()
				if got := rows(grid); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("at %v the terminal shows\n%s\nwant what a full redraw shows\n%s", now.Sub(t0), strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
		})
	}
}

// Terminals whose entries pad their sequences with delays (vt420's
// "$<5>"), or that cannot hide the cursor (ansi; vt100 both), get every
// draw through tcell, which handles both.
func TestDirectNotForPaddedOrVisibleCursor(t *testing.T) {
	for _, term := range []string{"vt420", "vt100", "vt102", "ansi"} {
		t.Run(term, func(t *testing.T) {
			now := t0
			d, _, _ := startTTY(t, term, 100, 40, &now)
			if d.direct != nil {
				t.Errorf("TERM=%s has a direct writer, want tcell's draws only", term)
			}
		})
	}
}

// A change of more than a few cells, or of cells with colours (the QR
// code), goes through tcell as before.
func TestDirectLeavesLargeChangesToTcell(t *testing.T) {
	now := t0
	d, _, tty := startTTY(t, "xterm-256color", 100, 40, &now)
	if err := d.Show(awaiting(t0.Add(10 * time.Minute))); err != nil {
		t.Fatal(err)
	}
	tty.take()
	s := awaiting(t0.Add(10 * time.Minute))
	s.QR = "https://auth.example.com/device?user_code=XXXXYYYY"
	s.UserCode = "XXXX-YYYY"
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	b := tty.take()
	if len(b) < 500 {
		t.Errorf("a new code wrote %d bytes, want the QR code redrawn (hundreds)", len(b))
	}
	if bytes.HasPrefix(b, []byte(d.direct.reset)) && !bytes.Contains(b, []byte("\x1b[?25l")) {
		t.Errorf("a new code was written directly, want tcell's draw (which hides the cursor first): %q", b[:min(len(b), 80)])
	}
}

// BenchmarkTickTerminal is a countdown tick on tcell's real terminal screen
// (100×40, a QR code): with the direct write, and through tcell's Show.
func BenchmarkTickTerminal(b *testing.B) {
	for _, tt := range []struct {
		name   string
		direct bool
	}{{"direct", true}, {"show", false}} {
		b.Run(tt.name, func(b *testing.B) {
			now := t0
			d, _, tty := startTTY(b, "xterm-256color", 100, 40, &now)
			if !tt.direct {
				d.direct = nil
			}
			if err := d.Show(awaiting(t0.Add(10 * time.Minute))); err != nil {
				b.Fatal(err)
			}
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				step := time.Second
				if now.Sub(t0) >= 9*time.Minute { // keep the code from expiring
					step = t0.Sub(now)
				}
				tick(d, &now, step)
				n += len(tty.take())
			}
			b.ReportMetric(float64(n)/float64(b.N), "bytes/tick")
		})
	}
}
