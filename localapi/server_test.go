package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend answers with fixed values and counts token requests.
type fakeBackend struct {
	tokens atomic.Int32
	paired bool
}

func (f *fakeBackend) Status(context.Context) (any, error) {
	return map[string]string{"state": "paired"}, nil
}

func (f *fakeBackend) Token(context.Context) (Token, error) {
	f.tokens.Add(1)
	if !f.paired {
		return Token{}, Errorf(CodeNotPaired, "not paired (state awaiting_user)")
	}
	return Token{AccessToken: "tok", ExpiresIn: 60}, nil
}

func (f *fakeBackend) Renew(context.Context) (Result, error) {
	return Result{}, Errorf(CodePaired, "paired")
}

func (f *fakeBackend) Unpair(context.Context) (Result, error) {
	return Result{Message: "Unpaired."}, nil
}

func (f *fakeBackend) Metrics(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, "pairingd_up 1\n")
	return err
}

// serve starts a Server on a socket in a temporary directory and returns
// the socket's path.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "api.sock")
	ln, err := Listen(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after its context ended")
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the socket is left behind after Serve: %v", err)
		}
	})
	return path
}

func everyone() Access { return Access{UID: os.Getuid(), GID: -1} }

func TestRoutes(t *testing.T) {
	path := serve(t, &Server{Backend: &fakeBackend{paired: true}, Events: &Hub{}, Access: everyone()})
	c := NewClient(path)
	defer c.Close()
	for _, tt := range []struct {
		method, path string
		status       int
		code, allow  string
		ctype        string
	}{
		{"GET", "/v1/status", 200, "", "", "application/json"},
		{"GET", "/v1/token", 200, "", "", "application/json"},
		{"POST", "/v1/token", 405, CodeMethodNotAllowed, "GET", "application/json"},
		{"GET", "/v1/unpair", 405, CodeMethodNotAllowed, "POST", "application/json"},
		{"POST", "/v1/renew", 409, CodePaired, "", "application/json"},
		{"POST", "/v1/unpair", 200, "", "", "application/json"},
		{"GET", "/v1/metrics", 200, "", "", "text/plain; version=0.0.4; charset=utf-8"},
		{"GET", "/v2/status", 404, CodeNotFound, "", "application/json"},
		{"GET", "/v1/status/", 404, CodeNotFound, "", "application/json"},
		{"GET", "/", 404, CodeNotFound, "", "application/json"},
	} {
		req, _ := http.NewRequest(tt.method, "http://pairingd"+tt.path, nil)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tt.method, tt.path, resp.StatusCode, tt.status, body)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", tt.method, tt.path, got, tt.ctype)
		}
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		if tt.code != "" {
			var e Error
			if err := json.Unmarshal(body, &e); err != nil || e.Code != tt.code || e.Message == "" {
				t.Errorf("%s %s: body %s, want a JSON error %q with a message", tt.method, tt.path, body, tt.code)
			}
		}
	}
}

// The client returns the API's errors as *Error, and ErrNoDaemon when
// nothing serves the socket.
func TestClientErrors(t *testing.T) {
	path := serve(t, &Server{Backend: &fakeBackend{}, Access: everyone()})
	c := NewClient(path)
	defer c.Close()
	_, err := c.Token(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNotPaired || e.Status != 409 {
		t.Errorf("Token unpaired = %v, want a not_paired *Error with status 409", err)
	}
	none := NewClient(filepath.Join(t.TempDir(), "none.sock"))
	if _, err := none.Status(context.Background()); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Status without a daemon = %v, want ErrNoDaemon", err)
	}
}

// A peer outside the group is refused with how to be let in; one in the
// group (primary or supplementary), the daemon's user and root are
// served.
func TestAccess(t *testing.T) {
	a := Access{UID: 990, GID: 990, Group: "pairingd"}
	for _, tt := range []struct {
		c    Cred
		want bool
	}{
		{Cred{UID: 0, GID: 0}, true},
		{Cred{UID: 990, GID: 5}, true},
		{Cred{UID: 1000, GID: 990}, true},
		{Cred{UID: 1000, GID: 1000, Groups: []int{27, 990}}, true},
		{Cred{UID: 1000, GID: 1000, Groups: []int{27}}, false},
		{Cred{UID: 65534, GID: 65534}, false},
	} {
		if got := a.Allows(tt.c); got != tt.want {
			t.Errorf("Allows(%+v) = %v, want %v", tt.c, got, tt.want)
		}
	}
	if (Access{UID: 990, GID: -1}).Allows(Cred{UID: 1000, GID: 1000, Groups: []int{0}}) {
		t.Errorf("with no group, a member of group 0 is let in")
	}

	outsider := Cred{UID: 1000, GID: 1000, Groups: []int{27}}
	b := &fakeBackend{paired: true}
	path := serve(t, &Server{Backend: b, Access: a, Cred: func(net.Conn) (Cred, error) { return outsider, nil }})
	c := NewClient(path)
	defer c.Close()
	_, err := c.Token(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 || e.Code != CodeForbidden || !strings.Contains(e.Message, "usermod -aG pairingd") {
		t.Errorf("Token as an outsider = %v, want 403 forbidden saying usermod -aG pairingd", err)
	}
	if n := b.tokens.Load(); n != 0 {
		t.Errorf("the backend was asked %d times for an outsider", n)
	}
}

// The kernel's record of the peer: this process, with its groups.
func TestPeerCred(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, err := Listen(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("unix", path)
		if err == nil {
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cred, err := peerCred(c)
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := os.Getgroups()
	if cred.UID != os.Getuid() || cred.GID != os.Getgid() || cred.PID != os.Getpid() {
		t.Errorf("peer %+v, want uid %d gid %d pid %d", cred, os.Getuid(), os.Getgid(), os.Getpid())
	}
	slices.Sort(groups)
	got := slices.Clone(cred.Groups)
	slices.Sort(got)
	if !slices.Equal(got, groups) {
		t.Errorf("peer groups %v, want %v", got, groups)
	}
}

// The socket is 0660, a stale one is replaced, a live one or another
// file is never touched.
func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.sock")
	ln, err := Listen(path, os.Getgid())
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if m := fi.Mode().Perm(); m != 0o660 {
		t.Errorf("socket mode %v, want 0660", m)
	}
	if _, err := Listen(path, -1); err == nil || !strings.Contains(err.Error(), "another process serves") {
		t.Errorf("Listen on a live socket = %v, want an error", err)
	}
	// A daemon killed with SIGKILL leaves its socket.
	ln.SetUnlinkOnClose(false)
	ln.Close()
	ln2, err := Listen(path, -1)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln2.Close()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o600)
	if _, err := Listen(file, -1); err == nil {
		t.Errorf("Listen over a regular file succeeded")
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Errorf("the regular file was changed")
	}
	sub := filepath.Join(dir, "new", "b.sock")
	ln3, err := Listen(sub, -1)
	if err != nil {
		t.Fatal(err)
	}
	ln3.Close()
	if fi, _ := os.Stat(filepath.Dir(sub)); fi.Mode().Perm() != 0o750 {
		t.Errorf("made directory mode %v, want 0750", fi.Mode().Perm())
	}
}

// Events arrive in order, the current state first for a late subscriber,
// and the stream ends cleanly when the daemon stops.
func TestEvents(t *testing.T) {
	hub := &Hub{}
	hub.Publish([]byte(`{"state":"unpaired"}`))
	path := filepath.Join(t.TempDir(), "e.sock")
	ln, err := Listen(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Backend: &fakeBackend{}, Events: hub, Access: everyone()}).Serve(ctx, ln) }()
	c := NewClient(path)
	defer c.Close()
	var got []string
	first := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- c.Events(context.Background(), func(ev []byte) error {
			got = append(got, string(ev))
			if len(got) == 1 {
				close(first)
			}
			return nil
		})
	}()
	<-first
	hub.Publish([]byte(`{"state":"awaiting_user"}`))
	hub.Publish([]byte(`{"state":"paired"}`))
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, io.EOF) {
		t.Errorf("Events after the daemon stopped = %v, want io.EOF (a clean end)", err)
	}
	<-done
	want := []string{`{"state":"unpaired"}`, `{"state":"awaiting_user"}`, `{"state":"paired"}`}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// A subscriber that does not read is dropped, and the publisher never
// waits for it.
func TestHubDropsSlowSubscriber(t *testing.T) {
	hub := &Hub{}
	ch, cancel := hub.Subscribe()
	defer cancel()
	for range subscriberBuffer + 1 {
		hub.Publish([]byte("{}"))
	}
	n := 0
	for range ch {
		n++
	}
	if n != subscriberBuffer {
		t.Errorf("the slow subscriber got %d events before its channel closed, want %d", n, subscriberBuffer)
	}
}

// Keep-alive: many requests on one connection; a malformed or oversized
// request gets 400 and the connection closes.
func TestConnection(t *testing.T) {
	path := serve(t, &Server{Backend: &fakeBackend{paired: true}, Access: everyone()})
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := range 3 {
		io.WriteString(conn, "GET /v1/token HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Errorf("request %d: status %d close %v", i, resp.StatusCode, resp.Close)
		}
	}
	for _, bad := range []string{"NONSENSE\r\n\r\n", "GET /v1/token HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n"} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, bad)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("%.20q: %v %v, want 400", bad, resp, err)
		}
		c.Close()
	}
}

// BenchmarkTokenRoundTrip is one GET /v1/token over the socket with a
// backend that answers at once: the API's own cost.
func BenchmarkTokenRoundTrip(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.sock")
	ln, err := Listen(path, -1)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Server{Backend: &fakeBackend{paired: true}, Access: everyone()}).Serve(ctx, ln)
	c := NewClient(path)
	defer c.Close()
	for b.Loop() {
		if _, err := c.Token(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// Connections beyond maxConns are answered 503 at once, and the ones
// served go on.
func TestTooManyConnections(t *testing.T) {
	path := serve(t, &Server{Backend: &fakeBackend{paired: true}, Access: everyone()})
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range maxConns {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// The server takes them in order: the last one answered shows all
	// are in.
	io.WriteString(idle[maxConns-1], "GET /v1/token HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(idle[maxConns-1]), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("connection %d: %v %v", maxConns, resp, err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /v1/token HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("connection %d: %v %v, want 503", maxConns+1, resp, err)
	}
}
