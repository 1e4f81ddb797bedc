package main

import (
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display/displaytest"
)

// TestDemoInTmux meets the program as a person does: `make demo` in a
// terminal (tmux), for every server profile, reading the screen
// (capture-pane), decoding the QR code on it, approving the code like a
// browser would, and watching the screen say Paired. Ctrl-C must stop both
// programs.
func TestDemoInTmux(t *testing.T) {
	needBinary(t)
	for _, profile := range []string{"rfc8628", "authelia", "romm", "dfc"} {
		// One at a time: each `make demo` rebuilds bin/.
		t.Run(profile, func(t *testing.T) { demoInTmux(t, profile) })
	}
}

func demoInTmux(t *testing.T, profile string) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	// English screens whatever the locale: the test reads them.
	term := startTerminal(t, 120, 50, "PAIRINGD_LANGUAGE=en make -C "+root+" demo PROFILE="+profile+" DEMO_LISTEN="+addr+"; sleep 60")
	// make demo may build first.
	waitScreen := func(what string, ok func(string) bool) string {
		t.Helper()
		return term.waitFor(what, 3*time.Minute, ok)
	}
	s := waitScreen("a code", func(s string) bool { return strings.Contains(s, "Code: ") })

	var code string
	var qr []string
	for _, line := range strings.Split(s, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "Code: "); ok {
			code = c
		}
		if strings.ContainsAny(line, "█▀▄") {
			qr = append(qr, strings.TrimSpace(line))
		}
	}
	// The full screen itself says where to approve: nothing the demo
	// printed before it is visible.
	if !strings.Contains(s, "Go to: http://"+addr+"/") {
		t.Errorf("the screen does not name the server's approval page (Go to: http://%s/…):\n%s", addr, s)
	}
	got, err := displaytest.DecodeHalfBlocks(qr)
	if err != nil {
		t.Fatalf("decoding the QR code on the screen: %v\n%s", err, s)
	}
	// The screen groups the code ("WDJB-MJHT", "RNGM ZTVG"); the QR code
	// carries it as the server gave it.
	ungroup := strings.NewReplacer("-", "", " ", "").Replace
	if !strings.HasPrefix(got, "http://"+addr+"/") || !strings.Contains(ungroup(got), "user_code="+ungroup(code)) {
		t.Errorf("QR code on the screen = %q, want the %s server's verification URL for %s", got, profile, code)
	}

	res, err := http.PostForm("http://"+addr+"/device", url.Values{"user_code": {code}, "action": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("approve: HTTP %d", res.StatusCode)
	}
	waitScreen("Paired", func(s string) bool { return strings.Contains(s, "Paired ✓") })

	term.send("C-c")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the development server still listens on %s after Ctrl-C", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
