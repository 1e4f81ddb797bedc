package oauthtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Reply is one scripted answer.
type Reply struct {
	Status int
	Body   string
	Header http.Header
	// Err makes the transport fail instead (connection refused).
	Err error
	// Delay is how long the server takes to answer.
	Delay time.Duration
}

// Pending is RFC 8628's "authorization_pending".
func Pending() Reply { return OAuthReply(400, "authorization_pending") }

// OAuthReply is an OAuth error answer with the given status and code.
func OAuthReply(status int, code string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`{"error":%q}`, code)}
}

// TokenReply is a Bearer token answer; refresh "" leaves refresh_token out.
func TokenReply(access, refresh string, expiresIn int) Reply {
	body := fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":%d`, access, expiresIn)
	if refresh != "" {
		body += fmt.Sprintf(`,"refresh_token":%q`, refresh)
	}
	return Reply{Status: 200, Body: body + "}"}
}

// Respond turns the reply into the transport's answer to r. A body without
// a Content-Type header is sent as JSON.
func (rep Reply) Respond(r *http.Request) (*http.Response, error) {
	if rep.Err != nil {
		return nil, rep.Err
	}
	w := httptest.NewRecorder()
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" && rep.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
	res := w.Result()
	res.Request = r
	return res, nil
}

// Request is what the Server saw, and when (since the Server was made).
type Request struct {
	Method, Path, Query string
	Auth, CType         string
	Body                []byte
	At, Done            time.Duration
}

// JSONBody decodes the request's JSON body into a map; nil when it is not
// a JSON object.
func (r Request) JSONBody() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

// Server answers by "METHOD /path": first from a script, then from a
// default function (given how many requests that key had before), else
// 404. It is an http.RoundTripper and safe for concurrent use.
type Server struct {
	// Defaults answer a key once its script is empty. Set them before the
	// first request.
	Defaults map[string]func(n int, r *http.Request, body []byte) Reply

	mu      sync.Mutex
	start   time.Time
	scripts map[string][]Reply
	seen    map[string]int
	reqs    []Request
}

// NewServer returns a Server with no scripts and no defaults.
func NewServer() *Server {
	return &Server{start: time.Now(), scripts: map[string][]Reply{},
		Defaults: map[string]func(int, *http.Request, []byte) Reply{}, seen: map[string]int{}}
}

// Script queues answers for key ("POST /api/x").
func (s *Server) Script(key string, reps ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[key] = append(s.scripts[key], reps...)
}

// RoundTrip answers r from the script, the defaults or with a 404.
func (s *Server) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	key := r.Method + " " + r.URL.Path
	s.mu.Lock()
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
		CType: r.Header.Get("Content-Type"), Body: body, At: time.Since(s.start)}
	n := s.seen[key]
	s.seen[key]++
	var rep Reply
	switch {
	case len(s.scripts[key]) > 0:
		rep, s.scripts[key] = s.scripts[key][0], s.scripts[key][1:]
	case s.Defaults[key] != nil:
		rep = s.Defaults[key](n, r, body)
	default:
		rep = Reply{Status: 404, Body: `{"detail":"Not Found"}`}
	}
	s.mu.Unlock()
	if rep.Delay > 0 {
		// The delay is the server's think time; under testing/synctest
		// it passes in virtual time.
		time.Sleep(rep.Delay)
	}
	s.mu.Lock()
	req.Done = time.Since(s.start)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return rep.Respond(r)
}

// Requests returns what key ("POST /api/x", or "" for all) received.
func (s *Server) Requests(key string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if key == "" || r.Method+" "+r.Path == key {
			out = append(out, r)
		}
	}
	return out
}

// TransportFunc is a function that serves as an http.RoundTripper.
type TransportFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(r).
func (f TransportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
