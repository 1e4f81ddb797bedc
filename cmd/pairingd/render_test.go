package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pairingd/pairingd/display/displaytest"
	"github.com/pairingd/pairingd/internal/config"
)

// TestRender draws screens through the framebuffer path into PNGs, as a
// device builder does, and reads the QR code back from the pixels.
func TestRender(t *testing.T) {
	t.Parallel()
	uri := "https://auth.example.com/realms/devices/device?user_code=WDJB-MJHT"
	for _, tt := range []struct {
		name string
		args []string
		qr   bool
	}{
		{"landscape 32 bpp", []string{"--size", "1280x720"}, true},
		{"portrait RG28XX", []string{"--size", "480x640", "--rotate", "90", "--bpp", "16"}, true},
		{"muOS square", []string{"--size", "720x720", "--rotate", "180", "--bpp", "32", "--bgr"}, true},
		{"paired", []string{"--size", "640x480", "--state", "paired"}, false},
		{"german", []string{"--size", "720x720", "--language", "de"}, true},
		{"french paired", []string{"--size", "800x480", "--state", "paired", "--language", "fr_FR.UTF-8"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "screen.png")
			r := pairingd(t, append([]string{"render", "--png", out, "--uri", uri, "--user-code", "WDJB-MJHT"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("render: exit %d: %s", r.code, r.stderr)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("decoding the PNG: %v", err)
			}
			got, err := displaytest.DecodeImage(img)
			if tt.qr && (err != nil || got != uri) {
				t.Errorf("QR code in the PNG = %q, %v; want %q", got, err, uri)
			}
			if !tt.qr && err == nil {
				t.Errorf("found a QR code (%q) on the %s screen", got, tt.name)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"render"}, "give --png FILE"},
		{[]string{"render", "--png", filepath.Join(dir, "a.png"), "--size", "big"}, `--size "big"`},
		{[]string{"render", "--png", filepath.Join(dir, "b.png"), "--state", "happy"}, `--state "happy"`},
		{[]string{"render", "--png", filepath.Join(dir, "c.png"), "--rotate", "45"}, "rotate"},
		{[]string{"render", "--png", filepath.Join(dir, "d.png"), "--bpp", "8"}, "8"},
		{[]string{"render", "--png", filepath.Join(dir, "e.png"), "--language", "klingon"}, `key language: "klingon"`},
	} {
		r := pairingd(t, tt.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("pairingd %q: exit %d, stderr %q; want failure mentioning %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d.png")); !os.IsNotExist(err) {
		t.Errorf("a failed render left its PNG behind")
	}
}

// The screens' language: the key, else LC_ALL, LC_MESSAGES or LANG of the
// process's environment, else English.
func TestScreenText(t *testing.T) {
	for _, tt := range []struct {
		key     string
		environ []string
		want    string
	}{
		{"", nil, "en"},
		{"", []string{"LANG=de_DE.UTF-8"}, "de"},
		{"", []string{"LANG=de_DE.UTF-8", "LC_ALL=es_ES.UTF-8"}, "es"},
		{"it", []string{"LANG=de_DE.UTF-8"}, "it"},
		{"", []string{"LANG=C.UTF-8"}, "en"},
	} {
		if got := screenText(config.Config{Language: tt.key}, env{environ: tt.environ}).Lang(); got != tt.want {
			t.Errorf("language %q, environment %q: screens in %q, want %q", tt.key, tt.environ, got, tt.want)
		}
	}
}

func TestAutoDisplay(t *testing.T) {
	writable := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(writable, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "fb9")
	for _, tt := range []struct {
		name string
		fb   string
		env  map[string]string
		tty  bool
		want string
	}{
		{"console with a framebuffer", writable, nil, true, "fb"},
		{"service with a framebuffer", writable, nil, false, "fb"},
		{"X session owns the screen", writable, map[string]string{"DISPLAY": ":0"}, true, "term"},
		{"Wayland session", writable, map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false, "plain"},
		{"no framebuffer, terminal", missing, nil, true, "term"},
		{"no framebuffer, journal", missing, nil, false, "plain"},
	} {
		getenv := func(k string) string { return tt.env[k] }
		if got := autoDisplay(tt.fb, getenv, tt.tty); got != tt.want {
			t.Errorf("%s: autoDisplay = %q, want %q", tt.name, got, tt.want)
		}
	}
}
