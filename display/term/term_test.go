package term

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/internal/golden"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
)

var t0 = time.Date(2025, 3, 1, 12, 31, 0, 0, time.UTC)

// url60 is a verification_uri_complete of 60 characters, a length whose QR
// code must still fit beside the text on an 80×24 terminal.
const url60 = "https://auth.example.com/realm/dev/device?user_code=WDJBMJHT"

// keyboardKeys are the actions of a pairing screen on a terminal.
var keyboardKeys = []display.Action{
	{Key: display.KeyA, Name: "Enter", Label: "new code"},
	{Key: display.KeyY, Name: "I", Label: "details"},
	{Key: display.KeyB, Name: "Esc", Label: "quit"},
}

func awaiting(deadline time.Time) display.Screen {
	return display.Screen{
		Headline: "Scan to pair this device",
		Actions:  keyboardKeys,
		UserCode: "WDJB-MJHT",
		URI:      "https://auth.example.com/device",
		QR:       url60,
		Deadline: deadline,
	}
}

// start makes a Display on a simulation screen of w×h cells. Call it in a
// synctest bubble, and Close the Display before the bubble ends.
func start(t *testing.T, w, h int, o Options) (*Display, tcell.SimulationScreen) {
	t.Helper()
	sim := tcell.NewSimulationScreen("UTF-8")
	o.Screen = sim
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetSize(w, h)
	return d, sim
}

// fixed is a clock standing at t0.
func fixed() time.Time { return t0 }

// contents copies the simulation screen's cells. It holds d.mu, under
// which the display draws: GetContents returns the screen's own slice,
// which the display's goroutines write.
func contents(d *Display, sim tcell.SimulationScreen) ([]tcell.SimCell, int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cells, w, h := sim.GetContents()
	return append([]tcell.SimCell(nil), cells...), w, h
}

// text is the screen's runes, one string per row, trailing spaces cut.
func text(d *Display, sim tcell.SimulationScreen) []string {
	cells, w, h := contents(d, sim)
	rows := make([]string, 0, h)
	for y := range h {
		var b strings.Builder
		for x := range w {
			if rs := cells[y*w+x].Runes; len(rs) > 0 {
				b.WriteString(string(rs))
			} else {
				b.WriteByte(' ')
			}
		}
		rows = append(rows, strings.TrimRight(b.String(), " "))
	}
	return rows
}

// isLight reports whether a cell colour is light. The terminal's default
// colour counts as dark, so a QR code that leaves its colours to the theme
// does not decode.
func isLight(c tcell.Color) bool {
	if !c.Valid() {
		return false
	}
	r, g, b := c.RGB()
	return int(r)+int(g)+int(b) > 3*0x80
}

// screenImage draws the whole screen from its cells' COLOURS, scale pixels
// per cell across and 2×scale down: a cell's top half is the colour of the
// ink of ▀ or █ if it has one there, else its background, and so is its
// bottom half with ▄. Any other rune (text) is dark. A half-block module is
// then scale×scale pixels, a module of two cells 2scale×2scale.
func screenImage(d *Display, sim tcell.SimulationScreen, scale int) *image.Gray {
	cells, w, h := contents(d, sim)
	img := image.NewGray(image.Rect(0, 0, w*scale, 2*h*scale))
	grey := func(l bool) color.Gray {
		if l {
			return color.Gray{Y: 0xff}
		}
		return color.Gray{}
	}
	for y := range h {
		for x := range w {
			c := cells[y*w+x]
			fg, bg, _ := c.Style.Decompose()
			var top, bottom bool
			r := ' '
			if len(c.Runes) > 0 {
				r = c.Runes[0]
			}
			switch r {
			case ' ':
				top, bottom = isLight(bg), isLight(bg)
			case '▀':
				top, bottom = isLight(fg), isLight(bg)
			case '▄':
				top, bottom = isLight(bg), isLight(fg)
			case '█':
				top, bottom = isLight(fg), isLight(fg)
			}
			for py := range 2 * scale {
				g := grey(top)
				if py >= scale {
					g = grey(bottom)
				}
				for px := range scale {
					img.SetGray(x*scale+px, 2*y*scale+py, g)
				}
			}
		}
	}
	return img
}

// checkColours fails unless every block cell has both colours set.
func checkColours(t *testing.T, d *Display, sim tcell.SimulationScreen) {
	t.Helper()
	cells, _, _ := contents(d, sim)
	for i, c := range cells {
		if len(c.Runes) == 0 || !strings.ContainsRune("▀▄█", c.Runes[0]) {
			continue
		}
		if fg, bg, _ := c.Style.Decompose(); !fg.Valid() || !bg.Valid() {
			t.Fatalf("cell %d %q has colours %v on %v, want both set", i, c.Runes[0], fg, bg)
		}
	}
}

// halfBlockLines is the QR code's rows as the tmux demo test reads them,
// glyphs only: in each row with half blocks, the run of them (and spaces)
// from the first, spaces trimmed, which leaves out text beside the code.
func halfBlockLines(rows []string) []string {
	var qr []string
	for _, r := range rows {
		i := strings.IndexAny(r, "▀▄█")
		if i < 0 {
			continue
		}
		r = r[i:]
		if j := strings.IndexFunc(r, func(c rune) bool { return !strings.ContainsRune(" ▀▄█", c) }); j >= 0 {
			r = r[:j]
		}
		qr = append(qr, strings.TrimSpace(r))
	}
	return qr
}

func TestShow(t *testing.T) {
	if len(url60) != 60 {
		t.Fatalf("url60 has %d characters, want 60", len(url60))
	}
	for _, tt := range []struct {
		name   string
		term   string
		w, h   int
		screen display.Screen
		wantQR bool
		want   []string // on the screen
	}{
		{
			name:   "80x24 beside",
			w:      80,
			h:      24,
			screen: awaiting(t0.Add(10 * time.Minute)),
			wantQR: true,
			want:   []string{"Scan to pair this device", "Code: WDJB-MJHT", "Go to:", "https://auth.example.com/device", "Code expires in 10:00", "Enter: new code · I: details", "Esc: quit"},
		},
		{
			name:   "120x50 stacked",
			w:      120,
			h:      50,
			screen: awaiting(t0.Add(10 * time.Minute)),
			wantQR: true,
			want:   []string{"Scan to pair this device", "Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Code expires in 10:00"},
		},
		{
			name:   "40x12 too small",
			w:      40,
			h:      12,
			screen: awaiting(t0.Add(10 * time.Minute)),
			want:   []string{"Screen too small for a QR code (needs", "41×31)", "Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Code expires in 10:00"},
		},
		{
			name:   "linux console 140x50",
			term:   "linux",
			w:      140,
			h:      50,
			screen: awaiting(t0.Add(10 * time.Minute)),
			wantQR: true,
			want:   []string{"Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Code expires in 10:00"},
		},
		{
			name:   "linux console 80x24 too small",
			term:   "linux",
			w:      80,
			h:      24,
			screen: awaiting(t0.Add(10 * time.Minute)),
			want:   []string{"Screen too small for a QR code (needs 82×", "Code: WDJB-MJHT", "Go to: https://auth.example.com/device"},
		},
		{
			name: "too long for a QR code",
			w:    80,
			h:    24,
			screen: display.Screen{
				Actions: []display.Action{{Key: display.KeyA, Name: "Enter", Label: "new code"}}, UserCode: "WDJB-MJHT", URI: "https://auth.example.com/device",
				QR: "https://auth.example.com/?" + strings.Repeat("x", 3000),
			},
			want: []string{"The link is too long for a QR code", "Code: WDJB-MJHT", "Go to: https://auth.example.com/device"},
		},
		{
			name: "paired",
			w:    80,
			h:    24,
			screen: display.Screen{
				Headline: "Paired ✓", Tone: display.ToneOK, Detail: "Paired with alice@example.com",
				Actions: []display.Action{{Key: display.KeyX, Name: "U", Label: "unpair"}, {Key: display.KeyB, Name: "Esc", Label: "quit"}},
			},
			want: []string{"Paired ✓", "Paired with alice@example.com", "U: unpair · Esc: quit"},
		},
		{
			name:   "code without a dash, in groups",
			w:      80,
			h:      24,
			screen: func() display.Screen { s := awaiting(t0.Add(10 * time.Minute)); s.UserCode = "WDJBMJHT"; return s }(),
			wantQR: true,
			want:   []string{"Code: WDJB MJHT"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d, sim := start(t, tt.w, tt.h, Options{Now: fixed, Term: tt.term, OnKey: func(display.Key) {}, OnInterrupt: func() {}})
				defer d.Close()
				if err := d.Show(tt.screen); err != nil {
					t.Fatal(err)
				}
				rows := text(d, sim)
				screen := strings.Join(rows, "\n")
				for _, want := range tt.want {
					if !strings.Contains(screen, want) {
						t.Errorf("screen lacks %q:\n%s", want, screen)
					}
				}
				if !tt.screen.Offers(display.KeyA) && strings.Contains(screen, "new code") {
					t.Errorf("screen without a new-code action (paired) offers a new code:\n%s", screen)
				}
				checkColours(t, d, sim)

				got, err := displaytest.DecodeImage(screenImage(d, sim, 3))
				if gotQR := err == nil; gotQR != tt.wantQR {
					t.Fatalf("QR code decodes: %v (%v), want %v\n%s", gotQR, err, tt.wantQR, screen)
				}
				if tt.wantQR && got != tt.screen.QR {
					t.Errorf("QR code from the cells' colours = %q, want %q", got, tt.screen.QR)
				}
				blocks := halfBlockLines(rows)
				switch {
				case tt.term == "linux" && len(blocks) > 0:
					t.Errorf("half blocks on the Linux console:\n%s", screen)
				case tt.term != "linux" && tt.wantQR:
					// What tmux capture-pane -p sees: glyphs only.
					if got, err := displaytest.DecodeHalfBlocks(blocks); err != nil || got != tt.screen.QR {
						t.Errorf("QR code from the glyphs = %q, %v; want %q", got, err, tt.screen.QR)
					}
				}
			})
		})
	}
}

// TestGolden compares the runes of one fixed screen with
// testdata/awaiting_80x24.golden; go test -update rewrites it.
func TestGolden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 80, 24, Options{Now: fixed, OnKey: func(display.Key) {}, OnInterrupt: func() {}})
		defer d.Close()
		s := awaiting(t0.Add(9*time.Minute + 30*time.Second))
		s.Detail = "Waiting for you to approve the code."
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		golden.Text(t, "awaiting_80x24.golden", strings.Join(text(d, sim), "\n")+"\n")
	})
}

// TestResize checks that a resize redraws the screen for the new size.
func TestResize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 80, 24, Options{Now: fixed})
		defer d.Close()
		s := awaiting(t0.Add(10 * time.Minute))
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			w, h   int
			wantQR bool
			want   string
		}{
			{120, 40, true, "Code: WDJB-MJHT"},
			{40, 12, false, "Screen too small for a QR code"},
			{100, 30, true, "Code: WDJB-MJHT"},
		} {
			sim.SetSize(tt.w, tt.h)
			if err := sim.PostEvent(tcell.NewEventResize(tt.w, tt.h)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			screen := strings.Join(text(d, sim), "\n")
			if !strings.Contains(screen, tt.want) {
				t.Errorf("at %d×%d the screen lacks %q:\n%s", tt.w, tt.h, tt.want, screen)
			}
			got, err := displaytest.DecodeImage(screenImage(d, sim, 3))
			if gotQR := err == nil && got == s.QR; gotQR != tt.wantQR {
				t.Errorf("at %d×%d the QR code decodes to %q, %v; want a QR code: %v\n%s", tt.w, tt.h, got, err, tt.wantQR, screen)
			}
		}
	})
}

// TestKeys feeds key events to the display and checks the role OnKey gets
// for each, and that Ctrl-C goes to OnInterrupt alone.
func TestKeys(t *testing.T) {
	for _, tt := range []struct {
		name      string
		key       tcell.Key
		r         rune
		mod       tcell.ModMask
		want      display.Key // KeyNone: OnKey is not called
		interrupt bool
	}{
		{"Enter", tcell.KeyEnter, 0, tcell.ModNone, display.KeyA, false},
		{"r", tcell.KeyRune, 'r', tcell.ModNone, display.KeyA, false},
		{"R", tcell.KeyRune, 'R', tcell.ModNone, display.KeyA, false},
		{"space", tcell.KeyRune, ' ', tcell.ModNone, display.KeyA, false},
		{"Esc", tcell.KeyEscape, 0, tcell.ModNone, display.KeyB, false},
		{"q", tcell.KeyRune, 'q', tcell.ModNone, display.KeyB, false},
		{"Q", tcell.KeyRune, 'Q', tcell.ModNone, display.KeyB, false},
		{"u", tcell.KeyRune, 'u', tcell.ModNone, display.KeyX, false},
		{"U", tcell.KeyRune, 'U', tcell.ModNone, display.KeyX, false},
		{"i", tcell.KeyRune, 'i', tcell.ModNone, display.KeyY, false},
		{"I", tcell.KeyRune, 'I', tcell.ModNone, display.KeyY, false},
		{"?", tcell.KeyRune, '?', tcell.ModNone, display.KeyY, false},
		{"x", tcell.KeyRune, 'x', tcell.ModNone, display.KeyOther, false},
		{"é", tcell.KeyRune, 'é', tcell.ModNone, display.KeyOther, false},
		{"Alt-q", tcell.KeyRune, 'q', tcell.ModAlt, display.KeyOther, false},
		{"Up", tcell.KeyUp, 0, tcell.ModNone, display.KeyOther, false},
		{"Tab", tcell.KeyTab, 0, tcell.ModNone, display.KeyOther, false},
		{"F1", tcell.KeyF1, 0, tcell.ModNone, display.KeyOther, false},
		{"Ctrl-C", tcell.KeyCtrlC, 0, tcell.ModCtrl, display.KeyNone, true},
		{"Ctrl-C as ETX", tcell.KeyETX, 0, tcell.ModNone, display.KeyNone, true},
		{"Ctrl-C as rune", tcell.KeyRune, 'c', tcell.ModCtrl, display.KeyNone, true},
		{"Ctrl-C as control character", tcell.KeyRune, '\x03', tcell.ModNone, display.KeyNone, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var keys []display.Key
				var interrupts atomic.Int32
				d, sim := start(t, 80, 24, Options{
					Now:         fixed,
					OnKey:       func(k display.Key) { keys = append(keys, k) },
					OnInterrupt: func() { interrupts.Add(1) },
				})
				defer d.Close()
				if err := sim.PostEvent(tcell.NewEventKey(tt.key, tt.r, tt.mod)); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				var want []display.Key
				if tt.want != display.KeyNone {
					want = []display.Key{tt.want}
				}
				if fmt.Sprint(keys) != fmt.Sprint(want) {
					t.Errorf("OnKey got %v, want %v", keys, want)
				}
				if got, want := interrupts.Load() == 1, tt.interrupt; got != want {
					t.Errorf("OnInterrupt called %d times, want it called: %v", interrupts.Load(), want)
				}
			})
		})
	}
	// Without callbacks the keys do nothing.
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 80, 24, Options{Now: fixed})
		defer d.Close()
		sim.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
		sim.InjectKey(tcell.KeyCtrlC, 0, tcell.ModCtrl)
		synctest.Wait()
	})
}

// TestActionsAndLines checks that the screen's actions are shown with
// their keys' names only when something listens to the keys, wrapped
// between actions on a narrow terminal, and that the screen's Lines are
// shown left-aligned with each other.
func TestActionsAndLines(t *testing.T) {
	details := display.Screen{
		Headline: "Details",
		Detail:   "Not paired",
		Lines:    []string{"Device: Pete's RG35XX", "Server: https://auth.example.com", "Client: pairingd\x1b[2J"},
		Actions:  []display.Action{{Key: display.KeyB, Name: "Esc", Label: "back"}, {Key: display.KeyX, Name: "U", Label: "unpair"}},
	}
	for _, tt := range []struct {
		name   string
		w, h   int
		onKey  bool
		screen display.Screen
		want   []string // whole rows, trimmed
		unwant []string
	}{
		{"details", 80, 24, true, details,
			[]string{"Details", "Not paired", "Device: Pete's RG35XX", "Server: https://auth.example.com", "Client: pairingd[2J", "Esc: back · U: unpair"}, nil},
		{"no one listening", 80, 24, false, details,
			[]string{"Device: Pete's RG35XX"}, []string{"Esc: back", "unpair"}},
		{"narrow", 30, 40, true, awaiting(t0.Add(time.Minute)),
			[]string{"Enter: new code · I: details", "Esc: quit"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o := Options{Now: fixed}
				if tt.onKey {
					o.OnKey = func(display.Key) {}
				}
				d, sim := start(t, tt.w, tt.h, o)
				defer d.Close()
				if err := d.Show(tt.screen); err != nil {
					t.Fatal(err)
				}
				rows := text(d, sim)
				trimmed := map[string]bool{}
				for _, r := range rows {
					trimmed[strings.TrimSpace(r)] = true
				}
				screen := strings.Join(rows, "\n")
				for _, want := range tt.want {
					if !trimmed[want] {
						t.Errorf("no row reads %q:\n%s", want, screen)
					}
				}
				for _, unwant := range tt.unwant {
					if strings.Contains(screen, unwant) {
						t.Errorf("screen shows %q:\n%s", unwant, screen)
					}
				}
				// The Lines start in one column.
				col := -1
				for _, r := range rows {
					for _, l := range tt.screen.Lines {
						if i := strings.Index(r, l[:8]); i >= 0 {
							if col >= 0 && i != col {
								t.Errorf("line %q starts at column %d, the one before at %d:\n%s", l, i, col, screen)
							}
							col = i
						}
					}
				}
			})
		})
	}
}

// TestCountdown runs in a synctest bubble, on its fake clock: the
// countdown must change each second by itself, on the second, and
// synctest.Test fails if a goroutine outlives Close.
func TestCountdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 80, 24, Options{Now: time.Now})
		start := time.Now()
		// 300 ms past a whole second, so the display must follow the
		// deadline, not its own start.
		if err := d.Show(awaiting(start.Add(10*time.Minute + 300*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			at   time.Duration
			want string
		}{
			{0, "Code expires in 10:01"},
			{299 * time.Millisecond, "Code expires in 10:01"},
			{300 * time.Millisecond, "Code expires in 10:00"},
			{1300 * time.Millisecond, "Code expires in 9:59"},
			{61*time.Second + 800*time.Millisecond, "Code expires in 8:59"},
			{10*time.Minute + 299*time.Millisecond, "Code expires in 0:01"},
			{10*time.Minute + 300*time.Millisecond, "Code expired"},
			{15 * time.Minute, "Code expired"},
		} {
			time.Sleep(time.Until(start.Add(tt.at)))
			synctest.Wait()
			if screen := strings.Join(text(d, sim), "\n"); !strings.Contains(screen, tt.want) {
				t.Errorf("at %v the screen lacks %q:\n%s", tt.at, tt.want, screen)
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 80, 24, Options{OnKey: func(display.Key) {}, OnInterrupt: func() {}})
		if err := d.Show(awaiting(time.Now().Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, w, h := contents(d, sim); w != 0 || h != 0 {
			t.Errorf("screen is %d×%d after Close, want finalised (0×0)", w, h)
		}
		if err := d.Close(); err != nil {
			t.Errorf("second Close: %v, want nil", err)
		}
		if err := d.Show(awaiting(time.Time{})); err == nil {
			t.Errorf("Show after Close: no error, want one")
		}
		time.Sleep(time.Minute) // nothing may tick any more
	})
}

// TestUntrustedText checks that control characters and escape sequences
// in the server's strings never reach a cell.
func TestUntrustedText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, sim := start(t, 100, 40, Options{Now: fixed})
		defer d.Close()
		s := display.Screen{
			Headline: "Scan\x1b]0;pwned\x07 me",
			UserCode: "WDJB\x1b[2J-MJHT",
			URI:      "https://evil.example/\x1b[31mred\r\n",
			QR:       "https://evil.example/?c=\x1b[2J",
			Deadline: t0.Add(time.Minute),
			Detail:   "bad\u202eevil\x9b31m\x00end",
		}
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		cells, _, _ := contents(d, sim)
		for i, c := range cells {
			for _, r := range c.Runes {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Errorf("cell %d holds %U", i, r)
				}
			}
		}
		screen := strings.Join(text(d, sim), "\n")
		for _, want := range []string{"Scan]0;pwned me", "Code: WDJB[2J-MJHT", "https://evil.example/[31mred", "badevil31mend"} {
			if !strings.Contains(screen, want) {
				t.Errorf("screen lacks %q:\n%s", want, screen)
			}
		}
		// The QR code carries the payload as it is: it is data, not text.
		if got, err := displaytest.DecodeImage(screenImage(d, sim, 3)); err != nil || got != s.QR {
			t.Errorf("QR code = %q, %v; want %q", got, err, s.QR)
		}
	})
}

func TestChooseMode(t *testing.T) {
	for _, tt := range []struct {
		term, charset string
		want          mode
	}{
		{"xterm-256color", "UTF-8", halfBlocks},
		{"tmux-256color", "utf-8", halfBlocks},
		{"linux", "UTF-8", cellPairs},
		{"linux-16color", "UTF-8", cellPairs},
		{"xterm", "US-ASCII", cellPairs},
		{"", "", halfBlocks},
	} {
		if got := chooseMode(tt.term, tt.charset); got != tt.want {
			t.Errorf("chooseMode(%q, %q) = %v, want %v", tt.term, tt.charset, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, nil},
		{"short", 10, []string{"short"}},
		{"Can't reach the server, retrying in 20 s", 33, []string{"Can't reach the server, retrying", "in 20 s"}},
		{"https://auth.example.com/device", 10, []string{"https://au", "th.example", ".com/devic", "e"}},
		{"ab cd", 2, []string{"ab", "cd"}},
		{"ébc dé", 3, []string{"ébc", "dé"}},
		{"日本語", 4, []string{"日本", "語"}},
		{"日本語", 1, []string{"日", "本", "語"}},
	} {
		if got := wrap(tt.in, tt.width); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// A German screen from the catalogue has the display's own words in
// German too: the labels, the countdown and the notes in place of a QR
// code.
func TestGermanWords(t *testing.T) {
	code := store.Code{UserCode: "WDJB-MJHT", VerificationURI: "https://auth.example.com/device", VerificationURIComplete: url60}
	ctl := pairing.Controls{Style: display.StyleKeyboard, Quit: true, Text: msg.Lookup("de")}
	s := pairing.Screen(pairing.AwaitingUser, code, "", t0.Add(10*time.Minute), ctl)
	long := s
	long.QR = "https://auth.example.com/?" + strings.Repeat("x", 3000)
	for _, tt := range []struct {
		name   string
		w, h   int
		screen display.Screen
		want   []string
	}{
		{"80x24", 80, 24, s, []string{"Scannen zum Koppeln", "Code: WDJB-MJHT", "Adresse:", "Code läuft ab in 10:00"}},
		{"40x12 too small", 40, 12, s, []string{"Bildschirm zu klein für einen", "(benötigt 41×", "Code: WDJB-MJHT", "Adresse:"}},
		{"too long", 80, 24, long, []string{"Der Link ist zu lang für einen QR-Code", "Code: WDJB-MJHT", "Adresse: https://auth.example.com/device"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d, sim := start(t, tt.w, tt.h, Options{Now: fixed, OnKey: func(display.Key) {}, OnInterrupt: func() {}})
				defer d.Close()
				if err := d.Show(tt.screen); err != nil {
					t.Fatal(err)
				}
				screen := strings.Join(text(d, sim), "\n")
				for _, want := range tt.want {
					if !strings.Contains(screen, want) {
						t.Errorf("screen lacks %q:\n%s", want, screen)
					}
				}
				for _, en := range []string{"Go to:", "expires", "too small", "too long", "needs"} {
					if strings.Contains(screen, en) {
						t.Errorf("German screen has %q:\n%s", en, screen)
					}
				}
			})
		})
	}
}
