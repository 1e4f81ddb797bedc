package pairing

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// fleetServer is one fake server for a whole fleet of Machines: codes,
// polls that turn into tokens at each code's approval time, refreshes
// that rotate, and an outage window in which everything answers 503. It
// records when each request came, on the bubble's clock.
type fleetServer struct {
	mu       sync.Mutex
	start    time.Time
	interval time.Duration
	tokenTTL int // seconds
	// Approvals come at uniform times in [approveFrom, approveFrom+approveSpan).
	approveFrom, approveSpan time.Duration
	outFrom, outTo           time.Duration
	rng                      *rand.Rand

	codes     int
	approveAt map[string]time.Duration
	lastPoll  map[string]time.Duration
	tooFast   int // polls sooner than one interval after the code's last poll
	paired    map[string]bool
	refreshed map[string]bool
	reqs      []fleetReq
}

type fleetReq struct {
	at   time.Duration
	kind string // "code", "poll", "refresh"
}

func (s *fleetServer) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := time.Since(s.start)
	kind := "poll"
	switch {
	case r.URL.Path == "/device":
		kind = "code"
	case r.PostForm.Get("grant_type") == "refresh_token":
		kind = "refresh"
	}
	s.reqs = append(s.reqs, fleetReq{at, kind})
	if at >= s.outFrom && at < s.outTo {
		return oauthtest.Reply{Status: 503, Body: "down"}.Respond(r)
	}
	switch kind {
	case "code":
		s.codes++
		dc := fmt.Sprintf("dc-%d", s.codes)
		s.approveAt[dc] = s.approveFrom + time.Duration(s.rng.Float64()*float64(s.approveSpan))
		return oauthtest.Reply{Status: 200, Body: fmt.Sprintf(
			`{"device_code":%q,"user_code":"U%d","verification_uri":"https://auth.example/device","expires_in":900,"interval":%d}`,
			dc, s.codes, int(s.interval/time.Second))}.Respond(r)
	case "refresh":
		rt := r.PostForm.Get("refresh_token")
		s.refreshed[strings.TrimRight(rt, "+")] = true // the device's, whatever its rotation
		return oauthtest.TokenReply("at-"+rt, rt+"+", s.tokenTTL).Respond(r)
	}
	dc := r.PostForm.Get("device_code")
	if last, ok := s.lastPoll[dc]; ok && at-last < s.interval {
		s.tooFast++
	}
	s.lastPoll[dc] = at
	if at < s.approveAt[dc] {
		return oauthtest.Pending().Respond(r)
	}
	s.paired[dc] = true
	return oauthtest.TokenReply("at-"+dc, "rt-"+dc, s.tokenTTL).Respond(r)
}

// rate is the peak and mean requests per second of kind ("" any) in
// 1 s bins over [from, to).
func (s *fleetServer) rate(kind string, from, to time.Duration) (peak, mean float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bins := make([]int, int((to-from)/time.Second))
	total := 0
	for _, q := range s.reqs {
		if (kind != "" && q.kind != kind) || q.at < from || q.at >= to {
			continue
		}
		i := int((q.at - from) / time.Second)
		if i < len(bins) {
			bins[i]++
			total++
		}
	}
	for _, b := range bins {
		peak = max(peak, float64(b))
	}
	return peak, float64(total) / float64(len(bins))
}

// scene is one situation a fleet meets, and the window whose requests
// are judged.
type scene struct {
	name string
	// paired starts every device paired with a token issued at the start.
	paired      bool
	approveFrom time.Duration
	outFrom     time.Duration // outage; zero length for none
	outTo       time.Duration
	run         time.Duration // how long the scene lasts
	// window is what is judged: kind of request and from when to when.
	kind     string
	from, to time.Duration
}

var scenes = []scene{
	// Power on together: all ask for a code at once; their polls, from
	// the first interval on, until the first approval.
	{name: "power-on", approveFrom: 60 * time.Second, run: 200 * time.Second, kind: "poll", from: 5 * time.Second, to: 60 * time.Second},
	// The server is down for 5 minutes while every device polls, then
	// back: the requests from one interval after it is back.
	{name: "outage", approveFrom: 600 * time.Second, outFrom: 60 * time.Second, outTo: 360 * time.Second, run: 760 * time.Second,
		kind: "poll", from: 365 * time.Second, to: 600 * time.Second},
	// Paired together: the tokens' lives end together; their refreshes,
	// over the window the refresh point of a 300 s token is spread over
	// (its point at 270 s, up to a quarter earlier). A fleet in lock-step
	// puts all of them in one second of it.
	{name: "token-expiry", paired: true, run: 320 * time.Second, kind: "refresh", from: 202 * time.Second, to: 271 * time.Second},
}

// fleetResult is what a scene shows.
type fleetResult struct {
	peak, mean float64
	tooFast    int
	done, n    int // devices paired (or refreshed) of n
}

// fleet runs n Machines through sc on virtual time (inside a synctest
// bubble), each with its own store and random spread, against one
// fleetServer.
func fleet(n int, sc scene) fleetResult {
	srv := &fleetServer{start: time.Now(), interval: 5 * time.Second, tokenTTL: 300,
		approveFrom: sc.approveFrom, approveSpan: 100 * time.Second, outFrom: sc.outFrom, outTo: sc.outTo,
		rng: rand.New(rand.NewPCG(1, 2)), approveAt: map[string]time.Duration{}, lastPoll: map[string]time.Duration{},
		paired: map[string]bool{}, refreshed: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	discard := slog.New(slog.DiscardHandler)
	hc := &http.Client{Transport: srv}
	// One wall clock for the fleet, set (the bubble's starts in 2000,
	// which the loop takes for a board without a real-time clock).
	clock := testClock()
	// Each device's own random numbers, as from its own boot.
	seeds := rand.New(rand.NewPCG(7, 11))
	for i := range n {
		st := storetest.NewFake()
		server := store.Server{Issuer: "https://auth.example", ClientID: "fleet", TokenEndpoint: "https://auth.example/token"}
		if sc.paired {
			now := clock.Now()
			st.Update(ctx, func(p *store.Pairing) error {
				p.State, p.Server, p.PairedAt = int(Paired), server, now
				p.Tokens = store.Tokens{AccessToken: fmt.Sprintf("at-%d", i), RefreshToken: fmt.Sprintf("rt-%d", i),
					IssuedAt: now, ExpiresAt: now.Add(300 * time.Second)}
				return nil
			})
		}
		m := &Machine{
			Client: &oauth.Client{HTTP: hc, Logger: discard, Config: oauth.ClientConfig{ClientID: "fleet"},
				Endpoints: oauth.Endpoints{Issuer: "https://auth.example", DeviceAuthorization: "https://auth.example/device",
					Token: "https://auth.example/token"}},
			Server: server, Store: st, Clock: clock, Logger: discard,
			Rand: rand.New(rand.NewPCG(seeds.Uint64(), seeds.Uint64())).Float64,
			// Nothing else writes the records: look for that rarely.
			WatchEvery: time.Minute,
		}
		wg.Go(func() { m.Run(ctx) })
	}
	time.Sleep(sc.run)
	cancel()
	wg.Wait()
	res := fleetResult{tooFast: srv.tooFast, n: n}
	res.peak, res.mean = srv.rate(sc.kind, sc.from, sc.to)
	if sc.paired {
		res.done = len(srv.refreshed)
	} else {
		res.done = len(srv.paired)
	}
	return res
}

// fleetDevices is the size of the fleet: make bench runs 10,000, the
// issue's goal; make test 1,000, where chance alone allows a higher peak.
var fleetDevices = flag.Int("fleet-devices", 1000, "devices in TestFleetNotInLockStep (make bench: 10000)")

// A fleet started together, through an outage, and with tokens that end
// together spreads its requests: no 1 s bin holds far more than the mean
// (at most 1.5 times with 10,000 devices; 2 with fewer, where chance
// alone peaks higher), no device polls faster than its interval, and
// every device pairs or refreshes.
func TestFleetNotInLockStep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	n := *fleetDevices
	limit := 2.0
	if n >= 10000 {
		limit = 1.5
	}
	for _, sc := range scenes {
		t.Run(sc.name, func(t *testing.T) {
			var r fleetResult
			synctest.Test(t, func(*testing.T) { r = fleet(n, sc) })
			t.Logf("fleet %s, %d devices: peak %.0f/s, mean %.1f/s, peak/mean %.2f; %d polls too fast; %d of %d paired or refreshed",
				sc.name, n, r.peak, r.mean, r.peak/r.mean, r.tooFast, r.done, r.n)
			if r.peak/r.mean > limit {
				t.Errorf("%s: peak/mean %.2f (peak %.0f, mean %.1f), want at most %.1f for %d devices", sc.name, r.peak/r.mean, r.peak, r.mean, limit, n)
			}
			if r.tooFast != 0 {
				t.Errorf("%s: %d polls came sooner than the interval", sc.name, r.tooFast)
			}
			if r.done != r.n {
				t.Errorf("%s: %d of %d devices paired or refreshed", sc.name, r.done, r.n)
			}
		})
	}
}
