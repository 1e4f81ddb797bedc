package devauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// Profile names for Options.Profile.
const (
	ProfileRFC8628  = "rfc8628"
	ProfileAuthelia = "authelia"
	ProfileRomM     = "romm"
	ProfileDFC      = "dfc"
)

// Profiles lists the profile names, default first.
var Profiles = []string{ProfileRFC8628, ProfileAuthelia, ProfileRomM, ProfileDFC}

// profile is what one emulated server does differently: code formats,
// defaults, polling rules, what approval creates, and its own endpoints.
// The code lifecycle itself (state.go) is shared.
type profile struct {
	name        string
	description string // for the banner
	// verificationPath is the server's own approval page, under the
	// issuer.
	verificationPath string
	newUserCode      func() string
	newDeviceCode    func() string
	codeTTL          time.Duration
	interval         time.Duration
	tokenTTL         time.Duration
	refreshTTL       time.Duration
	poll             pollRules
	// onApprove runs under the server lock when a user approves; its
	// result is stored on the grant for the poll that collects it.
	onApprove func(s *Server, g *deviceGrant, a approval, now time.Time) (any, error)
	// serve handles the profile's endpoints; false means "not mine".
	serve func(s *Server, w http.ResponseWriter, r *http.Request, path string) bool
	// page adds the profile's choices to the verification page.
	page func(s *Server, d *pageData)
}

func lookupProfile(name string) (*profile, bool) {
	switch name {
	case "", ProfileRFC8628:
		return &rfc8628Profile, true
	case ProfileAuthelia:
		return &autheliaProfile, true
	case ProfileRomM:
		return &rommProfile, true
	case ProfileDFC:
		return &dfcProfile, true
	}
	return nil, false
}

// rfc8628Profile is RFC 8628 as auth-framework does it, served by
// server.go.
var rfc8628Profile = profile{
	name:             ProfileRFC8628,
	description:      "RFC 8628 as auth-framework does it",
	verificationPath: "/device",
	newUserCode:      randomUserCode,
	newDeviceCode:    func() string { return randomID("dc_") },
	codeTTL:          600 * time.Second,
	interval:         5 * time.Second,
	tokenTTL:         300 * time.Second,
	refreshTTL:       30 * 24 * time.Hour,
	poll:             pollRules{slowDown: slowDownRFC},
	serve:            serveRFC8628,
}

// codeFrom returns n symbols drawn uniformly from alphabet (rejection
// sampling, so alphabets that do not divide 256 stay unbiased).
func codeFrom(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		rand.Read(b[:])
		if int(b[0]) < limit {
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}

// randomHex returns n random bytes as 2n hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomUUID returns a version 4 UUID.
func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// clientIP is the peer address, as RomM's request.client.host and
// Authelia's limiter see it without proxy headers.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// RateLimit is requests per period, per client IP.
type RateLimit struct {
	Period   time.Duration
	Requests int
}

func (l RateLimit) String() string { return fmt.Sprintf("%d/%v", l.Requests, l.Period) }

// fixedWindow is RomM's limiter: a Redis INCR whose key expires Period
// after the first request of the window.
type fixedWindow struct {
	limit RateLimit
	by    map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newFixedWindow(l RateLimit) *fixedWindow {
	return &fixedWindow{limit: l, by: make(map[string]*windowCount)}
}

// allow counts a request and reports whether it is within the limit.
// Callers hold the server lock.
func (f *fixedWindow) allow(ip string, now time.Time) bool {
	if f.limit.Requests <= 0 {
		return true
	}
	for k, c := range f.by {
		if now.Sub(c.start) >= f.limit.Period {
			delete(f.by, k)
		}
	}
	c := f.by[ip]
	if c == nil {
		c = &windowCount{start: now}
		f.by[ip] = c
	}
	c.n++
	return c.n <= f.limit.Requests
}

// slidingLimiter is Authelia's: several windows over the times of the
// requests that counted (non-200 answers), per IP.
type slidingLimiter struct {
	limits []RateLimit
	events map[string][]time.Time
}

func newSlidingLimiter(limits []RateLimit) *slidingLimiter {
	return &slidingLimiter{limits: limits, events: make(map[string][]time.Time)}
}

func (l *slidingLimiter) longest() time.Duration {
	var d time.Duration
	for _, lim := range l.limits {
		d = max(d, lim.Period)
	}
	return d
}

// check reports whether ip may make a request now and, if not, after how
// long one of its events leaves the violated window. Callers hold the
// server lock.
func (l *slidingLimiter) check(ip string, now time.Time) (bool, time.Duration) {
	ev := l.events[ip]
	keep := ev[:0]
	for _, t := range ev {
		if now.Sub(t) < l.longest() {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		delete(l.events, ip)
	} else {
		l.events[ip] = keep
	}
	var wait time.Duration
	for _, lim := range l.limits {
		if lim.Requests <= 0 {
			continue
		}
		var in []time.Time
		for _, t := range keep {
			if now.Sub(t) < lim.Period {
				in = append(in, t)
			}
		}
		if len(in) >= lim.Requests {
			// The window frees up when the oldest event that keeps it
			// full leaves it.
			wait = max(wait, in[len(in)-lim.Requests].Add(lim.Period).Sub(now))
		}
	}
	return wait == 0, wait
}

func (l *slidingLimiter) record(ip string, now time.Time) {
	if len(l.limits) > 0 {
		l.events[ip] = append(l.events[ip], now)
	}
}

// readJSON reads a JSON object body of at most maxBody bytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	return json.Unmarshal(body, v)
}

// isJSON reports whether the request says its body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// jwtSigner makes and checks HS256 JSON Web Tokens (RFC 7519) with a key
// that lives as long as the server.
type jwtSigner struct{ key []byte }

func newJWTSigner() jwtSigner {
	k := make([]byte, 32)
	rand.Read(k)
	return jwtSigner{key: k}
}

var b64 = base64.RawURLEncoding

func (j jwtSigner) sign(claims map[string]any) string {
	head := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload, _ := json.Marshal(claims) // maps of plain values always marshal
	msg := head + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, j.key)
	mac.Write([]byte(msg))
	return msg + "." + b64.EncodeToString(mac.Sum(nil))
}

var (
	errJWTInvalid = errors.New("malformed or badly signed token")
	errJWTExpired = errors.New("token expired")
)

// verify checks the signature and "exp" and returns the claims.
func (j jwtSigner) verify(tok string, now time.Time) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errJWTInvalid
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, errJWTInvalid
	}
	mac := hmac.New(sha256.New, j.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errJWTInvalid
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, errJWTInvalid
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errJWTInvalid
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return nil, errJWTInvalid
	}
	if now.Unix() >= int64(exp) {
		return claims, errJWTExpired
	}
	return claims, nil
}

// floorSeconds is d in whole seconds, rounded down, at least 1: what a
// server computing "seconds remaining" reports.
func floorSeconds(d time.Duration) int64 {
	return max(1, int64(math.Floor(d.Seconds())))
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}
