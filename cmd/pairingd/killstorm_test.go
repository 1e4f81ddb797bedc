package main

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// TestKillStorm pairs the built daemon with a development server whose
// access tokens live 2 s and whose refresh tokens rotate (a used one is
// dead), then kills it with SIGKILL at random moments and restarts it, over
// and over. A grant is lost only when a kill lands between the server
// rotating the refresh token and the daemon committing the new one.
//
// It is slow, so it runs only with PAIRINGD_KILLSTORM set to the number of
// kills (make killstorm).
func TestKillStorm(t *testing.T) {
	kills, _ := strconv.Atoi(os.Getenv("PAIRINGD_KILLSTORM"))
	if kills <= 0 {
		t.Skip("set PAIRINGD_KILLSTORM to the number of kills (make killstorm)")
	}
	as := startAuthServer(t, devauth.Options{TokenTTL: 2 * time.Second}, nil)
	dir := t.TempDir()
	pair := func() {
		d := startDaemon(t, dir, as.issuer)
		_, code := d.waitCode(0)
		decide(t, as.issuer, code, "approve")
		waitStatus(t, dir, "paired")
		d.kill()
	}
	pair()
	refreshedRE := regexp.MustCompile(`token refreshed`)
	var lost, refreshes int
	start := time.Now()
	for i := 0; i < kills; i++ {
		d := startDaemon(t, dir, as.issuer)
		// Anywhere in the daemon's life: its start (which refreshes a
		// stored 2 s token at once) and the 5 s refresh rhythm after it.
		time.Sleep(time.Duration(rand.Int64N(int64(6 * time.Second))))
		d.kill()
		refreshes += len(refreshedRE.FindAllString(d.stderr.String(), -1))
		if strings.Contains(d.stderr.String(), "the grant is gone") {
			lost++
			t.Logf("kill %d: the grant was lost", i)
			pair()
			continue
		}
		// The next start must find a grant the server still accepts.
		if s, _ := statusJSONOf(t, dir); s.State != "paired" {
			lost++
			t.Logf("kill %d: state %s after the kill", i, s.State)
			pair()
		}
	}
	// A last start shows whether the final kill lost the grant.
	d := startDaemon(t, dir, as.issuer)
	d.waitLineWithin(0, regexp.MustCompile(`^(Paired|Code:)`), waitTimeout)
	time.Sleep(time.Second)
	d.kill()
	if strings.Contains(d.stderr.String(), "the grant is gone") {
		lost++
	}
	t.Logf("kill storm: %d kills in %v, %d refreshes committed, %d grants lost",
		kills, time.Since(start).Round(time.Second), refreshes, lost)
	if lost*100 > kills {
		t.Errorf("%d of %d kills lost the grant, want at most 1 %%", lost, kills)
	}
}
