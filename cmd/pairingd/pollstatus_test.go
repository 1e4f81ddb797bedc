package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// A code is on screen and the server starts failing its polls: nothing is
// written while polling, yet `pairingd status` beside the running daemon
// says what the screen says (the server is failing), and stops saying it
// once the polls get through again.
func TestStatusNamesFailingPolls(t *testing.T) {
	needBinary(t)
	t.Parallel()
	var failing atomic.Bool
	as := startAuthServer(t, devauth.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" && failing.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	state := filepath.Join(t.TempDir(), "state")
	d := startDaemon(t, state, as.issuer)
	d.waitCode(0)
	failing.Store(true)
	waitMessage(t, state, "while the polls fail", func(m string) bool { return strings.Contains(m, "HTTP 503") })
	failing.Store(false)
	waitMessage(t, state, "once the polls get through", func(m string) bool { return !strings.Contains(m, "503") })
}

// waitMessage runs `pairingd status --json` until its message satisfies
// ok, for up to 20 s.
func waitMessage(t *testing.T, stateDir, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, r := statusJSONOf(t, stateDir)
		if ok(s.Message) {
			if s.State != "awaiting_user" || !s.DaemonRunning {
				t.Errorf("status %s: state %q, daemon running %v; want awaiting_user from the daemon", what, s.State, s.DaemonRunning)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %s: message %q after 20 s (exit %d)", what, s.Message, r.code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
