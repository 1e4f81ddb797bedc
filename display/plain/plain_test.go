package plain

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/internal/golden"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
)

var t0 = time.Date(2025, 3, 1, 12, 31, 0, 0, time.UTC)

// clock is a settable clock for Display.now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func awaiting() display.Screen {
	return display.Screen{
		Headline: "Scan to pair this device",
		Actions:  []display.Action{{Key: display.KeyA, Name: "A", Label: "new code"}, {Key: display.KeyY, Name: "Y", Label: "details"}},
		UserCode: "WDJB-MJHT",
		URI:      "https://auth.example.com/device",
		QR:       "https://auth.example.com/realms/devices/device?user_code=WDJB-MJHT",
		Deadline: t0.Add(10 * time.Minute),
	}
}

func TestGoldenAwaiting(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, (&clock{t0.Add(time.Second)}).now)
	if err := d.Show(awaiting()); err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "plain_awaiting.golden", buf.String())
}

// TestGoldenDetails writes the details screen: its facts one a line, then
// the keys.
func TestGoldenDetails(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, (&clock{t0}).now)
	s := display.Screen{
		Headline: "Details",
		Detail:   "Not paired",
		Lines:    []string{"Device: Pete's RG35XX", "Server: https://auth.example.com/realms/handhelds", "Client: pairingd-muos"},
		Actions:  []display.Action{{Key: display.KeyB, Name: "B", Label: "back"}, {Key: display.KeyX, Name: "X", Label: "unpair"}},
	}
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "plain_details.golden", buf.String())
}

// qrLines returns the half-block lines of out: the QR code.
func qrLines(out string) []string {
	var qr []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && strings.Trim(l, " ▀▄█") == "" {
			qr = append(qr, l)
		}
	}
	return qr
}

func TestAwaitingBlock(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, (&clock{t0}).now)
	s := awaiting()
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// RFC 8628 §3.3.1: the code, and the URI, as text even with a QR.
	for _, want := range []string{s.Headline, "Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "Code expires in 10:00 (at 12:41)", "Keys: A new code, Y details"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks line %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("output has an escape sequence; plain writes none:\n%q", out)
	}
	got, err := displaytest.DecodeHalfBlocks(qrLines(out))
	if err != nil {
		t.Fatalf("decoding the QR code in the output: %v\n%s", err, out)
	}
	if got != s.QR {
		t.Errorf("QR code decodes to %q, want %q", got, s.QR)
	}
}

func TestUpdates(t *testing.T) {
	c := &clock{t0}
	withDetail := func(s display.Screen, detail string) display.Screen {
		s.Detail = detail
		return s
	}
	newCode := awaiting()
	newCode.UserCode, newCode.QR = "BDWP-HQPK", "https://auth.example.com/realms/devices/device?user_code=BDWP-HQPK"
	extended := awaiting()
	extended.Deadline = t0.Add(20 * time.Minute)

	for _, tt := range []struct {
		name      string
		next      display.Screen
		wantLines []string // exactly the lines written, or nil for a block
		wantIn    []string // lines a block must have
		wantQR    bool
	}{
		{
			name:      "same screen writes nothing",
			next:      awaiting(),
			wantLines: []string{},
		},
		{
			name:      "detail only",
			next:      withDetail(awaiting(), "Can't reach the server, retrying in 20 s"),
			wantLines: []string{"Can't reach the server, retrying in 20 s"},
		},
		{
			name:      "deadline only",
			next:      extended,
			wantLines: []string{"Code expires in 20:00 (at 12:51)"},
		},
		{
			name:   "new code",
			next:   newCode,
			wantIn: []string{"Code: BDWP-HQPK"},
			wantQR: true,
		},
		{
			name:      "actions only",
			next:      func() display.Screen { s := awaiting(); s.Actions = s.Actions[:1]; return s }(),
			wantLines: []string{"Keys: A new code"},
		},
		{
			name:      "actions gone",
			next:      func() display.Screen { s := awaiting(); s.Actions = nil; return s }(),
			wantLines: []string{},
		},
		{
			name: "paired",
			next: display.Screen{
				Headline: "Paired ✓",
				Tone:     display.ToneOK,
				Detail:   "Paired with alice@example.com",
			},
			wantIn: []string{"Paired ✓", "Paired with alice@example.com"},
		},
		{
			name: "details",
			next: display.Screen{
				Headline: "Details",
				Lines:    []string{"Device: Pete's RG35XX", "Server: https://auth.example.com"},
				Actions:  []display.Action{{Key: display.KeyB, Name: "B", Label: "back"}},
			},
			wantIn: []string{"Details", "Device: Pete's RG35XX", "Server: https://auth.example.com", "Keys: B back"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := New(&buf, c.now)
			if err := d.Show(awaiting()); err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			if err := d.Show(tt.next); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if tt.wantLines != nil {
				got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				if out == "" {
					got = []string{}
				}
				if strings.Join(got, "\n") != strings.Join(tt.wantLines, "\n") {
					t.Errorf("wrote %q, want lines %q", out, tt.wantLines)
				}
				return
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(out, want+"\n") {
					t.Errorf("output lacks line %q:\n%s", want, out)
				}
			}
			qr := qrLines(out)
			if got := len(qr) > 0; got != tt.wantQR {
				t.Fatalf("QR code written: %v, want %v\n%s", got, tt.wantQR, out)
			}
			if tt.wantQR {
				if got, err := displaytest.DecodeHalfBlocks(qr); err != nil || got != tt.next.QR {
					t.Errorf("QR code decodes to %q, %v; want %q", got, err, tt.next.QR)
				}
			}
		})
	}
}

func TestTooLongForQR(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, (&clock{t0}).now)
	s := awaiting()
	s.QR = "https://auth.example.com/?" + strings.Repeat("é", 2000)
	if err := d.Show(s); err != nil {
		t.Fatalf("Show with a too long QR payload: %v, want the text without a QR code", err)
	}
	out := buf.String()
	for _, want := range []string{"Code: WDJB-MJHT", "Go to: https://auth.example.com/device", "(The link is too long for a QR code: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if qr := qrLines(out); len(qr) > 0 {
		t.Errorf("output has %d lines of QR code, want none", len(qr))
	}
}

func TestExpired(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, (&clock{t0.Add(11 * time.Minute)}).now)
	if err := d.Show(awaiting()); err != nil {
		t.Fatal(err)
	}
	if want := "Code expired (at 12:41)\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, buf.String())
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	d := New(errWriter{}, nil)
	err := d.Show(awaiting())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Show to a failing writer = %v, want an error wrapping the write error", err)
	}
}

// A German screen from the catalogue is German in the block and in the
// lines that follow it: the labels, the expiry and the keys.
func TestGermanWords(t *testing.T) {
	code := store.Code{UserCode: "WDJB-MJHT", VerificationURI: "https://auth.example.com/device"}
	ctl := pairing.Controls{Style: display.StyleGamepad, Text: msg.Lookup("de")}
	var buf bytes.Buffer
	c := &clock{t0}
	d := New(&buf, c.now)
	s := pairing.Screen(pairing.AwaitingUser, code, "", t0.Add(10*time.Minute), ctl)
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	s.Deadline = t0.Add(20 * time.Minute)
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	c.t = t0.Add(30 * time.Minute)
	s.Actions = s.Actions[:1]
	if err := d.Show(s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Code: WDJB-MJHT", "Adresse: https://auth.example.com/device", "Code läuft ab in 10:00 (um 12:41)", "Code läuft ab in 20:00 (um 12:51)", "Tasten: A neuer Code, Y Details", "Tasten: A neuer Code"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks line %q:\n%s", want, out)
		}
	}
	for _, en := range []string{"Go to:", "Keys:", "expires", " at "} {
		if strings.Contains(out, en) {
			t.Errorf("German output has %q:\n%s", en, out)
		}
	}
}

// For a log (the journal, a file) every screen is one line and the QR code
// is not drawn: a pairing shows as a few lines, each saying where to go.
func TestLines(t *testing.T) {
	var buf bytes.Buffer
	clk := &clock{t0.Add(time.Second)}
	d := NewWith(&buf, Options{Now: clk.now, Lines: true})
	retry := display.Screen{Headline: "Can't pair right now", Detail: "Can't reach the server. Retrying in 10 s."}
	paired := display.Screen{Headline: "Paired ✓", Detail: "Paired with https://auth.example.com"}
	for _, s := range []display.Screen{
		retry,
		retry, // the same screen: nothing
		{Headline: retry.Headline, Detail: "Can't reach the server. Retrying in 20 s."},
		awaiting(),
		awaiting(), // the countdown is not written
		paired,
	} {
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Second)
	}
	golden.Text(t, "plain_lines.golden", buf.String())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Errorf("%d lines, want 4 (two retries, the code, paired):\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "█▀▄") {
			t.Errorf("line %q has QR art", l)
		}
	}
	if want := "Go to: " + awaiting().QR; !strings.Contains(buf.String(), want) {
		t.Errorf("no %q: the log must say where to go:\n%s", want, buf.String())
	}
}
