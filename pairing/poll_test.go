package pairing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
)

// TestPoll1 is the decision table of one poll: what each answer of the
// token endpoint leads to.
func TestPoll1(t *testing.T) {
	const (
		cool    = 30 * time.Second
		errWait = 10 * time.Second
	)
	tok := oauth.Token{AccessToken: "a", TokenType: "Bearer"}
	netErr := &oauth.TransientError{Op: "token request", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		name     string
		in       pollState
		tok      oauth.Token
		err      error
		wantNext State
		wantWait time.Duration
		wantPS   pollState
	}{
		{"success", pollState{Interval: 5 * time.Second}, tok, nil, Paired, 0, pollState{Interval: 5 * time.Second}},
		{"pending", pollState{Interval: 5 * time.Second, Failures: 3}, oauth.Token{}, oauth.ErrAuthorizationPending, AwaitingUser, 5 * time.Second, pollState{Interval: 5 * time.Second}},
		{"pending wrapped", pollState{Interval: 7 * time.Second}, oauth.Token{}, fmt.Errorf("token request: %w", &oauth.OAuthError{Code: oauth.CodeAuthorizationPending, HTTPStatus: 200}), AwaitingUser, 7 * time.Second, pollState{Interval: 7 * time.Second}},
		{"zero interval defaults to 5 s", pollState{}, oauth.Token{}, oauth.ErrAuthorizationPending, AwaitingUser, 5 * time.Second, pollState{Interval: 5 * time.Second}},
		{"slow_down adds 5 s", pollState{Interval: 5 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: oauth.CodeSlowDown}, AwaitingUser, 10 * time.Second, pollState{Interval: 10 * time.Second}},
		{"slow_down stacks", pollState{Interval: 10 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: oauth.CodeSlowDown}, AwaitingUser, 15 * time.Second, pollState{Interval: 15 * time.Second}},
		{"slow_down takes the larger server interval", pollState{Interval: 5 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: oauth.CodeSlowDown, Interval: 45 * time.Second}, AwaitingUser, 45 * time.Second, pollState{Interval: 45 * time.Second}},
		{"slow_down keeps ours when larger", pollState{Interval: 20 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: oauth.CodeSlowDown, Interval: 10 * time.Second}, AwaitingUser, 25 * time.Second, pollState{Interval: 25 * time.Second}},
		{"429 Retry-After longer than interval", pollState{Interval: 5 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: oauth.CodeSlowDown, HTTPStatus: 429, RetryAfter: time.Minute}, AwaitingUser, time.Minute, pollState{Interval: 10 * time.Second}},
		{"denied", pollState{Interval: 5 * time.Second}, oauth.Token{}, oauth.ErrAccessDenied, Denied, cool, pollState{Interval: 5 * time.Second}},
		{"expired_token", pollState{Interval: 5 * time.Second}, oauth.Token{}, oauth.ErrExpiredToken, Expired, 0, pollState{Interval: 5 * time.Second}},
		{"invalid_grant", pollState{Interval: 5 * time.Second}, oauth.Token{}, oauth.ErrInvalidGrant, Expired, 0, pollState{Interval: 5 * time.Second}},
		{"network error backs off from the interval", pollState{Interval: 5 * time.Second}, oauth.Token{}, netErr, AwaitingUser, 5 * time.Second, pollState{Interval: 5 * time.Second, Failures: 1}},
		{"network error doubles", pollState{Interval: 5 * time.Second, Failures: 2}, oauth.Token{}, netErr, AwaitingUser, 20 * time.Second, pollState{Interval: 5 * time.Second, Failures: 3}},
		{"network error capped", pollState{Interval: 5 * time.Second, Failures: 20}, oauth.Token{}, netErr, AwaitingUser, maxTransientBackoff, pollState{Interval: 5 * time.Second, Failures: 21}},
		{"503 Retry-After honoured", pollState{Interval: 5 * time.Second}, oauth.Token{}, &oauth.TransientError{HTTPStatus: 503, RetryAfter: 90 * time.Second, Err: errors.New("down")}, AwaitingUser, 90 * time.Second, pollState{Interval: 5 * time.Second, Failures: 1}},
		{"lost 200 body", pollState{Interval: 5 * time.Second}, oauth.Token{}, fmt.Errorf("token request: %w", oauth.ErrConsumed), Error, 5 * time.Second, pollState{Interval: 5 * time.Second}},
		{"unknown error code", pollState{Interval: 5 * time.Second}, oauth.Token{}, &oauth.OAuthError{Code: "weird"}, Error, errWait, pollState{Interval: 5 * time.Second}},
		{"bad token", pollState{Interval: 5 * time.Second}, oauth.Token{}, fmt.Errorf("token request: %w", oauth.ErrBadToken), Error, errWait, pollState{Interval: 5 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, out := poll1(tt.in, tt.tok, tt.err, errWait, cool, 0)
			if out.Next != tt.wantNext || out.Wait != tt.wantWait {
				t.Errorf("poll1(%+v, %v) = next %v wait %v, want next %v wait %v", tt.in, tt.err, out.Next, out.Wait, tt.wantNext, tt.wantWait)
			}
			if ps != tt.wantPS {
				t.Errorf("poll1(%+v, %v) state = %+v, want %+v", tt.in, tt.err, ps, tt.wantPS)
			}
			if tt.wantNext == Paired && out.Token != tt.tok {
				t.Errorf("poll1 token = %+v, want %+v", out.Token, tt.tok)
			}
			if tt.wantNext != AwaitingUser && tt.wantNext != Paired && out.Detail == "" {
				t.Errorf("poll1(%v) gives no words for the screen", tt.err)
			}
		})
	}
}

// A transient failure's backoff is spread between the interval (or the
// server's Retry-After) and the backoff, and the screen says the wait
// that is kept.
func TestPollRetrySpread(t *testing.T) {
	netErr := &oauth.TransientError{Op: "token request", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		name  string
		ps    pollState
		err   error
		r     float64
		want  time.Duration
		words string
	}{
		{"r 0: the backoff", pollState{Interval: 5 * time.Second, Failures: 2}, netErr, 0, 20 * time.Second, "Retrying in 20 s"},
		{"r 0.5: halfway to the interval", pollState{Interval: 5 * time.Second, Failures: 2}, netErr, 0.5, 12500 * time.Millisecond, "Retrying in 13 s"},
		{"never sooner than Retry-After", pollState{Interval: 5 * time.Second, Failures: 2},
			&oauth.TransientError{HTTPStatus: 503, RetryAfter: 18 * time.Second, Err: errors.New("down")}, 0.99, 18020 * time.Millisecond, "Retrying in 18 s"},
	} {
		_, out := poll1(tt.ps, oauth.Token{}, tt.err, time.Minute, time.Minute, tt.r)
		if out.Wait != tt.want || !strings.Contains(out.Detail, tt.words) {
			t.Errorf("%s: wait %v, %q; want %v and %q", tt.name, out.Wait, out.Detail, tt.want, tt.words)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		base     time.Duration
		failures int
		limit    time.Duration
		want     time.Duration
	}{
		{5 * time.Second, 1, time.Minute, 5 * time.Second},
		{5 * time.Second, 2, time.Minute, 10 * time.Second},
		{5 * time.Second, 4, time.Minute, 40 * time.Second},
		{5 * time.Second, 5, time.Minute, time.Minute},
		{5 * time.Second, 1000, time.Minute, time.Minute},
		{0, 1, time.Minute, time.Second},
	} {
		if got := backoff(tt.base, tt.failures, tt.limit); got != tt.want {
			t.Errorf("backoff(%v, %d, %v) = %v, want %v", tt.base, tt.failures, tt.limit, got, tt.want)
		}
	}
}

func TestParseState(t *testing.T) {
	for _, name := range StateNames() {
		s, ok := ParseState(name)
		if !ok || s.String() != name {
			t.Errorf("ParseState(%q) = %v, %v; want the state named so", name, s, ok)
		}
	}
	if got := len(StateNames()); got != 8 {
		t.Errorf("%d state names, want 8", got)
	}
	if s, ok := ParseState("paired"); !ok || s != Paired {
		t.Errorf("ParseState(paired) = %v, %v", s, ok)
	}
	if _, ok := ParseState("state(9)"); ok {
		t.Errorf("ParseState accepted an unknown name")
	}
}
