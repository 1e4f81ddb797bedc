package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Limits of one connection. A local client needs none of them; they keep
// a broken or hostile one from holding the daemon's memory or goroutines.
const (
	maxHeaderBytes = 16 << 10         // request line and headers
	maxBodyBytes   = 64 << 10         // a body is read and thrown away
	headerTimeout  = 10 * time.Second // to send a request once begun
	idleTimeout    = 60 * time.Second // between requests on a kept connection
	writeTimeout   = 30 * time.Second // to take an answer or one event
	handlerTimeout = 2*time.Minute + 10*time.Second
	// maxConns bounds the connections served at once; more are answered
	// 503 and closed. Programs on a device need a handful.
	maxConns = 64
)

// Listen makes the socket at path, mode 0660 in group gid (-1 leaves the
// group the daemon's), and returns its listener; closing it removes the
// file. A socket left by a daemon that died is replaced; one that answers,
// or a file that is not a socket, is an error. A directory it has to make
// is 0750, so that the group can reach the socket.
//
// The socket is created with the process's umask and then narrowed: with
// the umask a daemon runs under (022, or systemd's 077) nobody but its
// user can connect in between, and the peer check holds regardless.
func Listen(path string, gid int) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("local API socket directory: %w", err)
		}
		if err := os.Chmod(dir, 0o750); err != nil {
			return nil, fmt.Errorf("local API socket directory: %w", err)
		}
		if gid >= 0 && groupOf(dir) != gid {
			// Best effort: a directory in the group lets its members
			// through even when the daemon's own group is another.
			_ = os.Chown(dir, -1, gid)
		}
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("local API socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	if gid >= 0 && groupOf(path) != gid {
		// Only when needed: a sandbox may forbid chown altogether
		// (systemd's ~@privileged), and a socket made by a daemon whose
		// group it is already has it.
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return nil, fmt.Errorf("local API socket: group %d: %w", gid, err)
		}
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("local API socket: %w", err)
	}
	return ln, nil
}

// groupOf is the group of the file at path, or -1.
func groupOf(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Gid)
	}
	return -1
}

// removeStale removes a socket at path that nobody answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("local API socket: %w", err)
	case fi.Mode().Type() != os.ModeSocket:
		return fmt.Errorf("local API socket: %s exists and is not a socket; remove it or set socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("local API socket: another process serves %s (a second pairingd with another state_dir? set socket)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("local API socket: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local API socket: removing the stale one: %w", err)
	}
	return nil
}

// Server serves the API on the connections of a listener.
type Server struct {
	Backend Backend
	// Events are streamed to GET /v1/events; nil serves none.
	Events *Hub
	Access Access
	Logger *slog.Logger
	// Cred reads a connection's peer; nil is the kernel's (tests of
	// refusals may fake it).
	Cred func(net.Conn) (Cred, error)
}

// Serve accepts connections on ln until ctx ends, then closes ln and the
// open connections and returns nil once they are done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Cred == nil {
		s.Cred = peerCred
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxConns)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("local API: accept: %w", err)
		}
		select {
		case slots <- struct{}{}:
		default:
			s.Logger.Warn("local API: too many connections; refusing one", "max", maxConns)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			s.writeJSON(c, bufio.NewWriter(c), Errorf(CodeUnavailable, "too many connections to pairingd's local API (%d); try again", maxConns), false)
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			s.serveConn(ctx, c)
		}()
	}
}

// limitedReader lets the parser read at most n bytes more; the connection
// loop sets n before each request and its body.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

var errTooLarge = errors.New("request too large")

// serveConn answers the requests of one connection until it closes, asks
// to close, errs or idles, or ctx ends.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	// A daemon that stops wakes every connection's read: an idle one
	// closes, an answer in progress is still written.
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	cred, err := s.Cred(c)
	if err != nil {
		s.Logger.Warn("local API: refusing a connection", "err", err)
		return
	}
	lim := &limitedReader{r: c}
	br := bufio.NewReaderSize(lim, 4096)
	bw := bufio.NewWriter(c)
	for first := true; ; first = false {
		lim.n = maxHeaderBytes
		if first {
			c.SetReadDeadline(time.Now().Add(headerTimeout))
		} else {
			c.SetReadDeadline(time.Now().Add(idleTimeout))
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
				s.writeJSON(c, bw, Errorf(CodeBadRequest, "malformed request: %v", err), false)
			}
			return
		}
		c.SetReadDeadline(time.Now().Add(headerTimeout))
		lim.n = maxBodyBytes
		_, berr := io.Copy(io.Discard, req.Body)
		req.Body.Close()
		keep := berr == nil && !req.Close && req.ProtoAtLeast(1, 1)
		c.SetReadDeadline(time.Time{})
		if !s.Access.Allows(cred) {
			s.Logger.Warn("local API: refused", "uid", cred.UID, "gid", cred.GID, "pid", cred.PID, "path", req.URL.Path)
			s.writeJSON(c, bw, s.Access.refusal(cred), false)
			return
		}
		if berr != nil {
			s.writeJSON(c, bw, Errorf(CodeBadRequest, "request body: %v", berr), false)
			return
		}
		if req.URL.Path == "/v1/events" && req.Method == http.MethodGet && s.Events != nil {
			s.streamEvents(ctx, c, br, bw)
			return
		}
		if !s.answer(ctx, c, bw, req, keep) || !keep {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// route is one path of the API: its method and what answers it.
type route struct {
	method string
	serve  func(s *Server, ctx context.Context) (body []byte, ctype string, err error)
}

var routes = map[string]route{
	"/v1/status":  {http.MethodGet, func(s *Server, ctx context.Context) ([]byte, string, error) { return jsonOf(s.Backend.Status(ctx)) }},
	"/v1/token":   {http.MethodGet, func(s *Server, ctx context.Context) ([]byte, string, error) { return jsonOf(s.Backend.Token(ctx)) }},
	"/v1/renew":   {http.MethodPost, func(s *Server, ctx context.Context) ([]byte, string, error) { return jsonOf(s.Backend.Renew(ctx)) }},
	"/v1/unpair":  {http.MethodPost, func(s *Server, ctx context.Context) ([]byte, string, error) { return jsonOf(s.Backend.Unpair(ctx)) }},
	"/v1/events":  {http.MethodGet, nil},
	"/v1/metrics": {http.MethodGet, (*Server).metrics},
}

const (
	ctypeJSON    = "application/json"
	ctypeNDJSON  = "application/x-ndjson"
	ctypeMetrics = "text/plain; version=0.0.4; charset=utf-8"
)

func jsonOf[T any](v T, err error) ([]byte, string, error) {
	if err != nil {
		return nil, "", err
	}
	b, err := json.Marshal(v)
	return b, ctypeJSON, err
}

func (s *Server) metrics(ctx context.Context) ([]byte, string, error) {
	var buf bytes.Buffer
	if err := s.Backend.Metrics(ctx, &buf); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), ctypeMetrics, nil
}

// answer routes req and writes the answer; false when the connection
// must close.
func (s *Server) answer(ctx context.Context, c net.Conn, bw *bufio.Writer, req *http.Request, keep bool) bool {
	r, ok := routes[req.URL.Path]
	switch {
	case !ok || r.serve == nil && s.Events == nil:
		return s.writeJSON(c, bw, Errorf(CodeNotFound, "no such path %q; the API's paths start with /v1/", req.URL.Path), keep)
	case req.Method != r.method:
		e := Errorf(CodeMethodNotAllowed, "%s takes %s, not %s", req.URL.Path, r.method, req.Method)
		return s.write(c, bw, e.Status, ctypeJSON, mustJSON(e), keep, "Allow: "+r.method)
	}
	hctx, cancel := context.WithTimeout(ctx, handlerTimeout)
	body, ctype, err := r.serve(s, hctx)
	cancel()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			s.Logger.Error("local API", "path", req.URL.Path, "err", err)
			e = Errorf(CodeInternal, "%v", err)
		}
		return s.writeJSON(c, bw, e, keep)
	}
	return s.write(c, bw, http.StatusOK, ctype, body, keep)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// writeJSON writes an error answer.
func (s *Server) writeJSON(c net.Conn, bw *bufio.Writer, e *Error, keep bool) bool {
	return s.write(c, bw, e.Status, ctypeJSON, mustJSON(e), keep)
}

// write writes one whole answer; false when it could not be written.
func (s *Server) write(c net.Conn, bw *bufio.Writer, status int, ctype string, body []byte, keep bool, extra ...string) bool {
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-store\r\n",
		status, http.StatusText(status), ctype, len(body)+1)
	for _, h := range extra {
		bw.WriteString(h + "\r\n")
	}
	if !keep {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
	bw.Write(body)
	bw.WriteByte('\n') // curl's output ends its line
	return bw.Flush() == nil
}

// streamEvents sends every event as a chunk of one line until the client
// goes, falls behind, or the daemon stops; the last chunk ends the body
// cleanly.
func (s *Server) streamEvents(ctx context.Context, c net.Conn, br *bufio.Reader, bw *bufio.Writer) {
	events, cancel := s.Events.Subscribe()
	defer cancel()
	gone := make(chan struct{})
	go func() {
		// Nothing more is read on this connection: a read that returns
		// means the client closed it (or sent what it must not).
		c.SetReadDeadline(time.Time{})
		br.ReadByte()
		close(gone)
	}()
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n", ctypeNDJSON)
	if bw.Flush() != nil {
		return
	}
	for {
		select {
		case ev, ok := <-events:
			c.SetWriteDeadline(time.Now().Add(writeTimeout))
			if !ok {
				endStream(c, bw)
				return
			}
			fmt.Fprintf(bw, "%x\r\n%s\n\r\n", len(ev)+1, ev)
			if bw.Flush() != nil {
				return
			}
		case <-gone:
			if ctx.Err() != nil {
				// The stop woke the reader: end the body cleanly.
				endStream(c, bw)
			}
			return
		case <-ctx.Done():
			endStream(c, bw)
			return
		}
	}
}

// endStream writes the last chunk of the event stream.
func endStream(c net.Conn, bw *bufio.Writer) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	bw.WriteString("0\r\n\r\n")
	bw.Flush()
}
