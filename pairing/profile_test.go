package pairing

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// profHarness is the machine harness of machine_test.go, with a profile, a
// profServer and a record of the reports.
type profHarness struct {
	*harness
	srv     *oauthtest.Server
	reports *reportLog
	// secrets are scanned for in logs, screens, status lines, the stored
	// message and health, and the reports.
	secrets []string
}

type reportLog struct {
	mu sync.Mutex
	r  []oauth.Report
}

func (l *reportLog) add(r oauth.Report) { l.mu.Lock(); l.r = append(l.r, r); l.mu.Unlock() }
func (l *reportLog) all() []oauth.Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]oauth.Report(nil), l.r...)
}

// types returns the reports' types.
func (l *reportLog) types() []string {
	var out []string
	for _, r := range l.all() {
		out = append(out, r.Type)
	}
	return out
}

func newProfHarness(t *testing.T, p oauth.Profile, base string, srv *oauthtest.Server, st *storetest.Fake) *profHarness {
	t.Helper()
	h := newHarness(t, nil, st)
	ep := oauth.Endpoints{Issuer: base}
	if fe, ok := p.(oauth.FixedEndpoints); ok {
		ep = fe.Endpoints(base)
	}
	h.m.Client.HTTP = &http.Client{Transport: srv}
	h.m.Client.Profile = p
	h.m.Client.Endpoints = ep
	h.m.Client.Config = oauth.ClientConfig{ClientID: "pairingd-test", Device: oauth.DeviceInfo{
		ID: "5b2f0d7e-device-uuid", Name: "Pete muOS", Model: "RG35XX Plus", OSVersion: "muOS 2508", ClientVersion: "0.9.0"}}
	h.m.Server = store.Server{Issuer: base, ClientID: "pairingd-test", TokenEndpoint: ep.Token, UserinfoEndpoint: ep.Userinfo}
	ph := &profHarness{harness: h, srv: srv, reports: &reportLog{}}
	h.m.onReport = ph.reports.add
	return ph
}

// stop stops the machine and scans every output for the secrets.
func (h *profHarness) stop() {
	h.t.Helper()
	h.harness.stop()
	h.checkSecrets()
}

func (h *profHarness) checkSecrets() {
	h.t.Helper()
	var all strings.Builder
	all.WriteString(h.log.String())
	for _, s := range h.status.all() {
		all.WriteString(s + "\n")
	}
	for _, s := range h.disp.Screens() {
		fmt.Fprintf(&all, "%+v\n", s)
	}
	rec := h.record()
	fmt.Fprintf(&all, "message %q health %q account %q\n", rec.Message, rec.Health, rec.Account)
	for _, r := range h.reports.all() {
		fmt.Fprintf(&all, "%+v\n", r)
	}
	for _, secret := range append([]string{"secret-device-code", "secret-access", "secret-refresh"}, h.secrets...) {
		if secret != "" && strings.Contains(all.String(), secret) {
			h.t.Errorf("output contains a secret (%q):\n%s", secret, all.String())
		}
	}
}

// sawDetail reports whether any screen's detail or status line contains s.
func (h *profHarness) sawDetail(s string) bool {
	for _, sc := range h.disp.Screens() {
		if strings.Contains(sc.Detail, s) || strings.Contains(sc.Headline, s) {
			return true
		}
	}
	for _, l := range h.status.all() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// windowMax is the largest number of times in any window [t, t+per), over
// sorted times.
func windowMax(times []time.Duration, per time.Duration) (n int, at time.Duration) {
	j := 0
	for i := range times {
		for j < len(times) && times[j] < times[i]+per {
			j++
		}
		if j-i > n {
			n, at = j-i, times[i]
		}
	}
	return n, at
}

func TestRefreshLead(t *testing.T) {
	for _, tt := range []struct {
		p        oauth.Profile
		lifetime time.Duration
		want     time.Duration
	}{
		{oauth.RFC8628{}, time.Hour, 6 * time.Minute},
		{oauth.RFC8628{}, 60 * time.Second, 10 * time.Second},
		{oauth.DFC{}, 24 * time.Hour, 144 * time.Minute},
		{oauth.Authelia{}, time.Hour, 10 * time.Second},
		{oauth.Authelia{}, 5 * time.Second, 10 * time.Second},
	} {
		c := &oauth.Client{Profile: tt.p}
		if got := c.RefreshLead(tt.lifetime); got != tt.want {
			t.Errorf("%s: refresh lead for %v = %v, want %v", tt.p.Name(), tt.lifetime, got, tt.want)
		}
	}
	// The Data Exporter's credential alone (no JWT yet) is exchanged at
	// once; a RomM token without expiry is never refreshed.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := &oauth.Client{Profile: oauth.DFC{}}
	if got := refreshIn(c, store.Tokens{RefreshToken: "cs"}, now); got != 0 {
		t.Errorf("refreshIn(credential only) = %v, want 0", got)
	}
	c = &oauth.Client{Profile: oauth.RomM{}}
	if got := refreshIn(c, store.Tokens{AccessToken: "rmm_x"}, now); got != forever {
		t.Errorf("refreshIn(oauth.RomM token without expiry) = %v, want forever", got)
	}
}

func TestHardLimit(t *testing.T) {
	limits := oauth.Authelia{}.PollLimits()
	// every returns n times, step apart, from first.
	every := func(first, step time.Duration, n int) []time.Duration {
		var h []time.Duration
		for i := range n {
			h = append(h, first+time.Duration(i)*step)
		}
		return h
	}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	for _, tt := range []struct {
		name    string
		history []time.Duration
		limits  []oauth.RateLimit
		now     time.Duration
		want    time.Duration
	}{
		{"no history", nil, limits, sec(5), sec(5)},
		{"no limits", every(0, time.Second, 100), nil, sec(100), sec(100)},
		{"under every limit", every(sec(100), sec(10), 20), limits, sec(300), sec(300)},
		{"just under the minute limit", every(sec(100), time.Second, 26), limits, sec(126), sec(126)},
		// 27 polls within a minute: the next waits until the oldest of
		// them is a minute old.
		{"at the minute limit", every(sec(100), time.Second, 27), limits, sec(127), sec(160)},
		{"minute window just passed", every(sec(100), time.Second, 27), limits, sec(160), sec(160)},
		// 45 polls 10 s apart (Authelia's interval) from 0 to 440 s.
		{"at the 10-minute limit", every(0, sec(10), 45), limits, sec(450), sec(600)},
		{"10-minute window passed", every(0, sec(10), 45), limits, sec(601), sec(601)},
		// 90 polls: two bursts of 45. The hour limit is the later.
		{"at the hour limit", append(every(0, sec(10), 45), every(sec(1000), sec(10), 45)...), limits, sec(1450), sec(3600)},
		{"hour limit with the 10-minute one passed", append(every(0, sec(10), 45), every(sec(1000), sec(10), 45)...), limits, sec(2000), sec(3600)},
		{"zero N ignored", every(0, time.Second, 5), []oauth.RateLimit{{N: 0, Per: time.Hour}}, sec(5), sec(5)},
		{"one a minute", every(sec(30), 0, 1), []oauth.RateLimit{{N: 1, Per: time.Minute}}, sec(31), sec(90)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := hardLimit(tt.history, tt.limits, tt.now)
			if got != tt.want {
				t.Errorf("hardLimit = %v, want %v", got, tt.want)
			}
			if got < tt.now {
				t.Errorf("hardLimit = %v, before now %v", got, tt.now)
			}
			// Whatever it says, one more request then keeps every limit.
			all := append(append([]time.Duration(nil), tt.history...), got)
			for _, l := range tt.limits {
				if l.N <= 0 {
					continue
				}
				if n, at := windowMax(all, l.Per); n > l.N {
					t.Errorf("with a request at %v: %d requests in the %v from %v, limit %d", got, n, l.Per, at, l.N)
				}
			}
		})
	}
}

func TestSpread(t *testing.T) {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	hour := []oauth.RateLimit{{N: 90, Per: time.Hour}}
	every := func(first, step time.Duration, n int) []time.Duration {
		var h []time.Duration
		for i := range n {
			h = append(h, first+time.Duration(i)*step)
		}
		return h
	}
	for _, tt := range []struct {
		name    string
		history []time.Duration
		now     time.Duration
		want    time.Duration
	}{
		{"no history", nil, sec(10), sec(10)},
		{"under half the budget: no spreading", every(0, sec(10), 44), sec(440), sec(440)},
		// 45 polls in 440 s: 45 left for the 3160 s until the first
		// leaves the window, 70 s apart.
		{"half spent: the rest spread", every(0, sec(10), 45), sec(450), sec(440) + (sec(3600)-sec(450))/45},
		// Nearly all spent: never closer than Per/N (40 s), here the
		// window's end decides.
		{"one left", every(0, sec(30), 89), sec(2700), sec(2640) + sec(900)},
	} {
		if got := spread(tt.history, hour, tt.now); got != tt.want {
			t.Errorf("%s: spread = %v, want %v", tt.name, got, tt.want)
		}
	}
}
