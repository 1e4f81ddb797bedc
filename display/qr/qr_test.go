package qr_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/display/qr"
	"github.com/pairingd/pairingd/internal/golden"
)

const (
	shortURL = "https://ex.am/d?c=WDJB"
	longURL  = "https://auth.example.com/realms/devices/protocol/openid-connect/device?user_code=WDJB-MJHT"
)

func TestHalfBlocksGolden(t *testing.T) {
	bm, err := qr.Bitmap("https://auth.example.com/device?user_code=WDJB-MJHT")
	if err != nil {
		t.Fatal(err)
	}
	golden.Text(t, "halfblocks.golden", strings.Join(qr.HalfBlocks(bm, 4), "\n")+"\n")
}

func TestBitmap(t *testing.T) {
	for _, tt := range []struct {
		payload string
		size    int // modules across: version 1 is 21, +4 per version
	}{
		{"https://ex.am", 21}, // 13 bytes: version 1 holds 14 at level M

		{shortURL, 25},
		{longURL, 41}, // 91 bytes: version 5 holds 84, version 6 106
	} {
		bm, err := qr.Bitmap(tt.payload)
		if err != nil {
			t.Fatalf("Bitmap(%q): %v", tt.payload, err)
		}
		if got := len(bm); got != tt.size {
			t.Errorf("Bitmap(%q): %d rows, want %d", tt.payload, got, tt.size)
		}
		for y, row := range bm {
			if got := len(row); got != len(bm) {
				t.Fatalf("Bitmap(%q): row %d has %d modules, want %d", tt.payload, y, got, len(bm))
			}
		}
		// No border: the top-left finder pattern starts at (0, 0).
		if !bm[0][0] || !bm[6][6] || bm[1][1] {
			t.Errorf("Bitmap(%q): no finder pattern at the top-left corner; is a border included?", tt.payload)
		}
	}
}

func TestBitmapTooLong(t *testing.T) {
	// Version 40 at level M holds 2331 bytes in byte mode.
	for _, n := range []int{2332, 3000, 10000} {
		payload := strings.Repeat("é", n/2) // not alphanumeric: byte mode
		bm, err := qr.Bitmap(payload)
		if err == nil {
			t.Errorf("Bitmap(%d bytes) = %d rows, want an error", len(payload), len(bm))
		}
	}
	if _, err := qr.Bitmap(""); err == nil {
		t.Errorf("Bitmap(\"\"): no error, want one")
	}
	// The largest that fits works.
	if _, err := qr.Bitmap(strings.Repeat("a", 2331)); err != nil {
		t.Errorf("Bitmap(2331 bytes): %v", err)
	}
}

func TestHalfBlocksShape(t *testing.T) {
	for _, tt := range []struct {
		name   string
		bitmap [][]bool
		quiet  int
		want   []string
	}{
		{
			name:   "one dark module, no zone",
			bitmap: [][]bool{{true}},
			want:   []string{"▄"}, // dark above, light (outside) below
		},
		{
			name:   "two rows",
			bitmap: [][]bool{{true, false}, {false, true}},
			want:   []string{"▄▀"},
		},
		{
			name:   "zone of 1 around one dark module",
			bitmap: [][]bool{{true}},
			quiet:  1,
			want:   []string{"█▀█", "███"},
		},
		{
			name:   "odd rows with zone of 2",
			bitmap: [][]bool{{true, true}},
			quiet:  2,
			want:   []string{"██████", "██▄▄██", "██████"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := qr.HalfBlocks(tt.bitmap, tt.quiet)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("HalfBlocks(%v, %d) =\n%s\nwant\n%s", tt.bitmap, tt.quiet, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestHalfBlocksQuietZone(t *testing.T) {
	bm, err := qr.Bitmap(longURL)
	if err != nil {
		t.Fatal(err)
	}
	lines := qr.HalfBlocks(bm, 4)
	n := len(bm)
	if got, want := len(lines), (n+8+1)/2; got != want {
		t.Errorf("%d lines for %d modules, want %d", got, n, want)
	}
	for i, l := range lines {
		rs := []rune(l)
		if got, want := len(rs), n+8; got != want {
			t.Fatalf("line %d: %d cells, want %d", i, got, want)
		}
		// Light on every side: 4 columns left and right, 2 lines (4
		// modules) at the top and the bottom.
		edge := string(rs[:4]) + string(rs[len(rs)-4:])
		if i < 2 || i >= len(lines)-2 {
			edge = l
		}
		if strings.Trim(edge, "█") != "" {
			t.Errorf("line %d: quiet zone %q is not all light", i, edge)
		}
	}
}

// TestHalfBlocksDecode is the test that matters: the text scans. It draws
// the text at 1, 2 and 3 pixels per module with the glyphs light, as the
// displays show it, and checks that the other polarity, what a light-theme
// terminal without colours would show, does not scan, so the test would
// catch a polarity mix-up.
func TestHalfBlocksDecode(t *testing.T) {
	for _, payload := range []string{shortURL, "https://auth.example.com/realms/devices/device?user_code=WDJB-MJHT", longURL} {
		bm, err := qr.Bitmap(payload)
		if err != nil {
			t.Fatal(err)
		}
		lines := qr.HalfBlocks(bm, 4)
		for _, scale := range []int{1, 2, 3} {
			img, err := displaytest.HalfBlocksImage(lines, scale, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := displaytest.DecodeImage(img)
			if err != nil {
				t.Errorf("%d bytes at %d px/module: %v", len(payload), scale, err)
				continue
			}
			if got != payload {
				t.Errorf("%d bytes at %d px/module: decoded %q, want %q", len(payload), scale, got, payload)
			}

			img, err = displaytest.HalfBlocksImage(lines, scale, false)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := displaytest.DecodeImage(img); err == nil {
				t.Errorf("%d bytes at %d px/module, glyphs dark: decoded %q, want no code (inverted)", len(payload), scale, got)
			}
		}
		if got, err := displaytest.DecodeHalfBlocks(lines); err != nil || got != payload {
			t.Errorf("DecodeHalfBlocks = %q, %v; want %q", got, err, payload)
		}
	}
}

func BenchmarkBitmap(b *testing.B) {
	for b.Loop() {
		if _, err := qr.Bitmap(longURL); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHalfBlocks(b *testing.B) {
	bm, err := qr.Bitmap(longURL)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if lines := qr.HalfBlocks(bm, 4); !utf8.ValidString(lines[0]) {
			b.Fatal("invalid UTF-8")
		}
	}
}
