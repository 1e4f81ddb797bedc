package pairing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// Helpers shared by the profile tests (authelia_test.go, romm_test.go,
// dfc_test.go): a scripted server that speaks any profile's paths, and a
// harness around the Machine that uses it.

// profReq is what the profile server saw.
type profReq struct {
	method, path, query string
	auth, ctype         string
	body                []byte
	at, done            time.Duration
}

// jsonBody decodes the request's JSON body into a map; nil when it is not
// a JSON object.
func (r profReq) jsonBody() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return nil
	}
	return m
}

// profServer answers by "METHOD /path": first from a script, then from a
// default function (given how many requests that key had before), else 404.
type profServer struct {
	mu       sync.Mutex
	start    time.Time
	scripts  map[string][]scripted
	defaults map[string]func(n int, r *http.Request, body []byte) scripted
	seen     map[string]int
	reqs     []profReq
}

func newProfServer() *profServer {
	return &profServer{start: time.Now(), scripts: map[string][]scripted{},
		defaults: map[string]func(int, *http.Request, []byte) scripted{}, seen: map[string]int{}}
}

// script queues answers for key ("POST /api/x").
func (s *profServer) script(key string, reps ...scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[key] = append(s.scripts[key], reps...)
}

func (s *profServer) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	key := r.Method + " " + r.URL.Path
	s.mu.Lock()
	req := profReq{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
		ctype: r.Header.Get("Content-Type"), body: body, at: time.Since(s.start)}
	n := s.seen[key]
	s.seen[key]++
	var rep scripted
	switch {
	case len(s.scripts[key]) > 0:
		rep, s.scripts[key] = s.scripts[key][0], s.scripts[key][1:]
	case s.defaults[key] != nil:
		rep = s.defaults[key](n, r, body)
	default:
		rep = scripted{status: 404, body: `{"detail":"Not Found"}`}
	}
	s.mu.Unlock()
	if rep.delay > 0 {
		time.Sleep(rep.delay)
	}
	s.mu.Lock()
	req.done = time.Since(s.start)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return rep.respond(r)
}

// requests returns what key ("POST /api/x", or "" for all) received.
func (s *profServer) requests(key string) []profReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []profReq
	for _, r := range s.reqs {
		if key == "" || r.method+" "+r.path == key {
			out = append(out, r)
		}
	}
	return out
}

// profHarness is the machine harness of machine_test.go, with a profile, a
// profServer and a record of the reports.
type profHarness struct {
	*harness
	srv     *profServer
	reports *reportLog
	// secrets are scanned for in logs, screens, status lines, the stored
	// message and health, and the reports.
	secrets []string
}

type reportLog struct {
	mu sync.Mutex
	r  []Report
}

func (l *reportLog) add(r Report) { l.mu.Lock(); l.r = append(l.r, r); l.mu.Unlock() }
func (l *reportLog) all() []Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Report(nil), l.r...)
}

// types returns the reports' types.
func (l *reportLog) types() []string {
	var out []string
	for _, r := range l.all() {
		out = append(out, r.Type)
	}
	return out
}

func newProfHarness(t *testing.T, p Profile, base string, srv *profServer, st *storetest.Fake) *profHarness {
	t.Helper()
	h := newHarness(t, nil, st)
	ep := Endpoints{Issuer: base}
	if fe, ok := p.(FixedEndpoints); ok {
		ep = fe.Endpoints(base)
	}
	h.m.Client.HTTP = &http.Client{Transport: srv}
	h.m.Client.Profile = p
	h.m.Client.Endpoints = ep
	h.m.Client.Config = ClientConfig{ClientID: "pairingd-test", Device: DeviceInfo{
		ID: "5b2f0d7e-device-uuid", Name: "Pete muOS", Model: "RG35XX Plus", OSVersion: "muOS 2508", ClientVersion: "0.9.0"}}
	h.m.Server = store.Server{Issuer: base, ClientID: "pairingd-test", TokenEndpoint: ep.Token, UserinfoEndpoint: ep.Userinfo}
	ph := &profHarness{harness: h, srv: srv, reports: &reportLog{}}
	h.m.Report = ph.reports.add
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

// checkFunc is what cmd/pairingd's newCheck gives the machine for a profile
// with a Checker and no health check URL.
func checkFunc(c *Client) func(ctx context.Context, access, bound string) (string, error) {
	checker := c.Profile.(Checker)
	return func(ctx context.Context, access, bound string) (string, error) {
		if access == "" {
			return "", nil
		}
		return checker.Check(ctx, c, access, bound)
	}
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

func TestNewProfile(t *testing.T) {
	for _, tt := range []struct {
		name, base string
		want       Profile
	}{
		{"", "https://as.example", RFC8628{}},
		{"rfc8628", "https://as.example/", RFC8628{}},
		{"authelia", "https://auth.example", Authelia{}},
		{"romm", "https://romm.example/", RomM{Base: "https://romm.example"}},
		{"dfc", "https://dfc.example/", DFC{Base: "https://dfc.example"}},
	} {
		got, err := NewProfile(tt.name, tt.base)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NewProfile(%q, %q) = %#v, %v, want %#v", tt.name, tt.base, got, err, tt.want)
			continue
		}
		if tt.name != "" && got.Name() != tt.name {
			t.Errorf("NewProfile(%q).Name() = %q", tt.name, got.Name())
		}
	}
	_, err := NewProfile("keycloak", "https://x.example")
	if err == nil || !strings.Contains(err.Error(), "rfc8628, authelia, romm, dfc") {
		t.Errorf("unknown profile: err = %v, want one listing the profiles", err)
	}
}

// Which optional interfaces each profile has: the loop's behaviour hangs on
// them.
func TestProfileInterfaces(t *testing.T) {
	has := func(p Profile) string {
		var s []string
		if _, ok := p.(FixedEndpoints); ok {
			s = append(s, "endpoints")
		}
		if _, ok := p.(Preflighter); ok {
			s = append(s, "preflight")
		}
		if _, ok := p.(Checker); ok {
			s = append(s, "check")
		}
		if _, ok := p.(Pacer); ok {
			s = append(s, "pacer")
		}
		if _, ok := p.(RefreshLeader); ok {
			s = append(s, "lead")
		}
		if _, ok := p.(Reporter); ok {
			s = append(s, "report")
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct {
		p    Profile
		want string
	}{
		{RFC8628{}, ""},
		{Authelia{}, "pacer,lead"},
		{RomM{}, "endpoints,preflight,check"},
		{DFC{}, "endpoints,report"},
	} {
		if got := has(tt.p); got != tt.want {
			t.Errorf("%s has %q, want %q", tt.p.Name(), got, tt.want)
		}
	}
}

func TestRefreshLead(t *testing.T) {
	for _, tt := range []struct {
		p        Profile
		lifetime time.Duration
		want     time.Duration
	}{
		{RFC8628{}, time.Hour, 6 * time.Minute},
		{RFC8628{}, 60 * time.Second, 10 * time.Second},
		{DFC{}, 24 * time.Hour, 144 * time.Minute},
		{Authelia{}, time.Hour, 10 * time.Second},
		{Authelia{}, 5 * time.Second, 10 * time.Second},
	} {
		c := &Client{Profile: tt.p}
		if got := c.refreshLead(tt.lifetime); got != tt.want {
			t.Errorf("%s: refresh lead for %v = %v, want %v", tt.p.Name(), tt.lifetime, got, tt.want)
		}
	}
	// The Data Exporter's credential alone (no JWT yet) is exchanged at
	// once; a RomM token without expiry is never refreshed.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := &Client{Profile: DFC{}}
	if got := c.refreshIn(store.Tokens{RefreshToken: "cs"}, now); got != 0 {
		t.Errorf("refreshIn(credential only) = %v, want 0", got)
	}
	c = &Client{Profile: RomM{}}
	if got := c.refreshIn(store.Tokens{AccessToken: "rmm_x"}, now); got != forever {
		t.Errorf("refreshIn(RomM token without expiry) = %v, want forever", got)
	}
}

func TestHardLimit(t *testing.T) {
	limits := Authelia{}.PollLimits()
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
		limits  []RateLimit
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
		{"zero N ignored", every(0, time.Second, 5), []RateLimit{{N: 0, Per: time.Hour}}, sec(5), sec(5)},
		{"one a minute", every(sec(30), 0, 1), []RateLimit{{N: 1, Per: time.Minute}}, sec(31), sec(90)},
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
	hour := []RateLimit{{N: 90, Per: time.Hour}}
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
