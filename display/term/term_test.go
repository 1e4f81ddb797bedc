package term

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/displaytest"
)

var t0 = time.Date(2025, 3, 1, 12, 31, 0, 0, time.UTC)

func awaiting(deadline time.Time) display.Screen {
	return display.Screen{
		State:    "awaiting_user",
		Headline: "Scan to pair this device",
		UserCode: "WDJB-MJHT",
		URI:      "https://auth.example.com/device",
		QR:       "https://auth.example.com/realms/devices/device?user_code=WDJB-MJHT",
		Deadline: deadline,
	}
}

// lockedBuffer is a bytes.Buffer safe for the countdown goroutine and the
// test to share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// vt is just enough of a terminal to replay what Display writes: cursor
// addressing, erasing, and SGR (ignored). Anything else is an error, so a
// stray sequence fails the test.
type vt struct {
	cols, rows int
	cells      [][]rune
	row, col   int // 0-based
	cursorOn   bool
}

func newVT(cols, rows int) *vt {
	v := &vt{cols: cols, rows: rows, cursorOn: true}
	v.cells = make([][]rune, rows)
	v.erase()
	return v
}

func (v *vt) erase() {
	for r := range v.cells {
		v.cells[r] = []rune(strings.Repeat(" ", v.cols))
	}
}

func (v *vt) feed(s string) error {
	for len(s) > 0 {
		if strings.HasPrefix(s, "\x1b[") {
			end := strings.IndexFunc(s[2:], func(r rune) bool { return r >= 0x40 && r <= 0x7e })
			if end < 0 {
				return fmt.Errorf("unterminated CSI %q", s)
			}
			params, final := s[2:2+end], s[2+end]
			s = s[3+end:]
			var n []int
			for _, p := range strings.Split(strings.TrimPrefix(params, "?"), ";") {
				i, _ := strconv.Atoi(p)
				n = append(n, i)
			}
			switch {
			case final == 'H':
				v.row, v.col = max(n[0], 1)-1, 0
				if len(n) > 1 {
					v.col = max(n[1], 1) - 1
				}
			case final == 'J' && params == "2":
				v.erase()
			case final == 'K' && params == "2":
				v.cells[v.row] = []rune(strings.Repeat(" ", v.cols))
			case final == 'm':
			case params == "?25" && final == 'l':
				v.cursorOn = false
			case params == "?25" && final == 'h':
				v.cursorOn = true
			default:
				return fmt.Errorf("unexpected sequence CSI %q %c", params, final)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == '\n':
			v.row, v.col = min(v.row+1, v.rows-1), 0
		case r < ' ' || r == 0x7f:
			return fmt.Errorf("control character %q in output", r)
		case v.row >= v.rows || v.col >= v.cols:
			return fmt.Errorf("%q written at row %d column %d, outside %d×%d", r, v.row+1, v.col+1, v.cols, v.rows)
		default:
			v.cells[v.row][v.col] = r
			v.col++
		}
	}
	return nil
}

func (v *vt) String() string {
	var lines []string
	for _, r := range v.cells {
		lines = append(lines, strings.TrimRight(string(r), " "))
	}
	return strings.Join(lines, "\n")
}

// qr returns the half-block QR code on the screen: in every row, the run of
// half blocks from the first '█'.
func (v *vt) qr() []string {
	var out []string
	for _, r := range v.cells {
		s := string(r)
		i := strings.IndexRune(s, '█')
		if i < 0 {
			continue
		}
		j := strings.IndexFunc(s[i:], func(r rune) bool { return !strings.ContainsRune(" ▀▄█", r) })
		if j >= 0 {
			s = s[i : i+j]
		} else {
			s = s[i:]
		}
		if s = strings.TrimRight(s, " "); utf8.RuneCountInString(s) >= 21 {
			out = append(out, s)
		}
	}
	return out
}

func replay(t *testing.T, out string, cols, rows int) *vt {
	t.Helper()
	v := newVT(cols, rows)
	if err := v.feed(out); err != nil {
		t.Fatalf("replaying the output: %v\n%q", err, out)
	}
	return v
}

func TestShow(t *testing.T) {
	for _, tt := range []struct {
		name       string
		cols, rows int // 0: the 80×24 default of a non-terminal
		screen     display.Screen
		wantQR     bool
		want       []string // text on the screen
	}{
		{
			name:   "stacked",
			cols:   100,
			rows:   40,
			screen: awaiting(t0.Add(10 * time.Minute)),
			wantQR: true,
			want:   []string{"Scan to pair this device", "Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Code expires in 10:00"},
		},
		{
			name:   "side by side at 80x24",
			screen: awaiting(t0.Add(10 * time.Minute)),
			wantQR: true,
			want:   []string{"Scan to pair this device", "Code: WDJB-MJHT", "Go to:\n", "https://auth.example.com/device", "Code expires in 10:00"},
		},
		{
			name:   "too small",
			cols:   44,
			rows:   20,
			screen: awaiting(t0.Add(10 * time.Minute)),
			want:   []string{"Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Terminal too small for the QR code", "Code expires in 10:00"},
		},
		{
			name: "too long for a QR code",
			screen: display.Screen{
				State: "awaiting_user", UserCode: "WDJB-MJHT", URI: "https://auth.example.com/device",
				QR: "https://auth.example.com/?" + strings.Repeat("x", 3000),
			},
			want: []string{"Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "No QR code"},
		},
		{
			name:   "paired",
			screen: display.Screen{State: "paired", Headline: "Paired ✓", Detail: "Paired with alice@example.com"},
			want:   []string{"Paired ✓", "Paired with alice@example.com"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf lockedBuffer
			var opts []Option
			cols, rows := 80, 24
			if tt.cols != 0 {
				cols, rows = tt.cols, tt.rows
				opts = append(opts, WithSize(cols, rows))
			}
			d, err := New(&buf, func() time.Time { return t0 }, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Show(tt.screen); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			v := replay(t, out, cols, rows)
			if v.cursorOn {
				t.Errorf("cursor shown while the screen is up, want hidden")
			}
			screen := v.String()
			for _, want := range tt.want {
				if !strings.Contains(screen, want) {
					t.Errorf("screen lacks %q:\n%s", want, screen)
				}
			}

			qr := v.qr()
			if got := len(qr) > 0; got != tt.wantQR {
				t.Fatalf("QR code on screen: %v, want %v\n%s", got, tt.wantQR, screen)
			}
			if tt.wantQR {
				// Explicit colours around every line of the code.
				for _, l := range qr {
					if want := qrStyle + l + reset; !strings.Contains(out, want) {
						t.Errorf("output lacks QR line in colours %q", want)
						break
					}
				}
				got, err := displaytest.DecodeHalfBlocks(qr)
				if err != nil || got != tt.screen.QR {
					t.Errorf("QR code on screen decodes to %q, %v; want %q\n%s", got, err, tt.screen.QR, screen)
				}
			} else if strings.Contains(out, qrStyle) {
				t.Errorf("QR colours in the output, want no QR code")
			}

			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			v = replay(t, buf.String(), cols, rows)
			if !v.cursorOn {
				t.Errorf("cursor hidden after Close, want shown")
			}
			if !strings.HasSuffix(buf.String(), showCursor) || !strings.Contains(buf.String()[len(out):], reset) {
				t.Errorf("Close wrote %q, want the attributes reset and the cursor shown", buf.String()[len(out):])
			}
		})
	}
}

// TestDetailOnly checks that a new detail rewrites its own line, without
// clearing the screen and without touching the QR code beside it.
func TestDetailOnly(t *testing.T) {
	var buf lockedBuffer
	d, err := New(&buf, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := awaiting(t0.Add(10 * time.Minute))
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	first := len(buf.String())
	s.Detail = "Can't reach the server, retrying in 20 s"
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if update := out[first:]; strings.Contains(update, clear) || strings.Contains(update, "Scan to pair") {
		t.Errorf("a detail change redrew the screen: %q", update)
	}
	v := replay(t, out, 80, 24)
	for _, want := range []string{"Can't reach the server, retrying", "in 20 s", "Code: WDJB-MJHT"} {
		if !strings.Contains(v.String(), want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if got, err := displaytest.DecodeHalfBlocks(v.qr()); err != nil || got != s.QR {
		t.Errorf("after the detail change the QR code decodes to %q, %v; want %q\n%s", got, err, s.QR, v)
	}

	// The same screen again writes nothing.
	n := len(buf.String())
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	if got := buf.String()[n:]; got != "" {
		t.Errorf("showing the same screen wrote %q, want nothing", got)
	}
}

// TestCountdown runs in a synctest bubble: time.Now and the ticker run on
// the bubble's fake clock, and synctest.Test fails if the countdown
// goroutine is still running when the test returns, so a Close that does
// not stop it fails here.
func TestCountdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf lockedBuffer
		d, err := New(&buf, time.Now, WithSize(100, 40))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := d.Show(awaiting(start.Add(10 * time.Minute))); err != nil {
			t.Fatal(err)
		}
		first := len(buf.String())

		time.Sleep(61*time.Second + 500*time.Millisecond)
		synctest.Wait()
		out := buf.String()
		if !strings.Contains(replay(t, out, 100, 40).String(), "Code expires in 8:59") {
			t.Errorf("after 61.5 s the screen lacks %q:\n%s", "Code expires in 8:59", replay(t, out, 100, 40))
		}
		if update := out[first:]; strings.Contains(update, clear) || strings.Contains(update, "WDJB-MJHT") {
			t.Errorf("the countdown redrew more than its line: %q", update)
		}
		if got, want := strings.Count(out[first:], "Code expires in"), 61; got != want {
			t.Errorf("countdown written %d times in 61.5 s, want %d", got, want)
		}

		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if !strings.Contains(replay(t, buf.String(), 100, 40).String(), "Code expired") {
			t.Errorf("after the deadline the screen lacks %q", "Code expired")
		}

		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		n := len(buf.String())
		time.Sleep(5 * time.Second)
		if got := buf.String()[n:]; got != "" {
			t.Errorf("wrote %q after Close, want nothing", got)
		}
	})
}

func TestClose(t *testing.T) {
	var buf lockedBuffer
	d, err := New(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if err := d.Show(awaiting(time.Time{})); err == nil {
		t.Errorf("Show after Close: no error, want one")
	}
	if _, err := New(nil, nil); err == nil {
		t.Errorf("New(nil): no error, want one")
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
	} {
		if got := wrap(tt.in, tt.width); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}
