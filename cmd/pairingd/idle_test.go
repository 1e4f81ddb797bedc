package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// A device nobody looks at stops asking for codes. The real binary on the
// terminal display (in tmux, as a person sees it) against the development
// server with 5 s codes: after idle_after (2) codes expire unseen, no
// device authorization request arrives for a minute; one key brings a code
// within a second. Then the details, and q to quit.
func TestIdleInTmux(t *testing.T) {
	needBinary(t)
	t.Parallel()
	var mu sync.Mutex
	var codes []time.Time
	as := startAuthServer(t, devauth.Options{CodeTTL: 5 * time.Second}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/device_authorization" {
				mu.Lock()
				codes = append(codes, time.Now())
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(codes)
	}
	state := filepath.Join(t.TempDir(), "state")
	cmd := strings.Join([]string{pairingdBin, "run", "--display", "term", "--issuer", as.issuer, "--client-id", "idle-test",
		"--state-dir", state, "--idle-after", "2", "2>" + filepath.Join(t.TempDir(), "log")}, " ")
	term := startTerminal(t, 100, 40, "env -u PAIRINGD_CONFIG "+cmd+"; echo EXITED rc=$?; sleep 30")
	term.waitFor("the idle screen", time.Minute, func(s string) bool { return strings.Contains(s, "any key to pair") })
	if r := pairingd(t, "status", "--state-dir", state); !strings.Contains(r.stdout, "State:             idle (nobody scanned") {
		t.Errorf("pairingd status while idle: exit %d\n%s", r.code, r.stdout)
	}
	n := count()
	if n != 2 {
		t.Errorf("%d codes asked for before going idle, want 2 (idle_after)", n)
	}
	time.Sleep(time.Minute)
	if got := count() - n; got != 0 {
		t.Errorf("%d device authorization requests in a minute of idle, want 0", got)
	}
	pressed := time.Now()
	term.send("r")
	term.waitFor("a code after the key", 5*time.Second, func(s string) bool { return strings.Contains(s, "Code: ") })
	mu.Lock()
	last := codes[len(codes)-1]
	mu.Unlock()
	if lag := last.Sub(pressed); count() != n+1 || lag > time.Second {
		t.Errorf("after the key: %d more codes, the request %v after the key; want 1 within a second", count()-n, lag)
	}
	t.Logf("idle: %d codes before idle, 0 in the next minute, a code %v after the key", n, last.Sub(pressed).Round(time.Millisecond))

	// The other keys, as the screen names them: i the details, any key
	// back, q quits (the terminal is run in the foreground).
	if s := term.screen(); !strings.Contains(s, "Enter: new code") || !strings.Contains(s, "Esc: quit") {
		t.Errorf("the screen does not name the keys:\n%s", s)
	}
	term.send("i")
	term.waitFor("the details", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "Details") && strings.Contains(s, "Server: "+as.issuer) && strings.Contains(s, "State: awaiting_user")
	})
	term.send("x")
	term.waitFor("the code again", 5*time.Second, func(s string) bool { return strings.Contains(s, "Code: ") })
	term.send("q")
	term.waitFor("pairingd ending on q", 10*time.Second, func(s string) bool { return strings.Contains(s, "EXITED rc=0") })
}
