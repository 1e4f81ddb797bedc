package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// ErrNoDaemon means nothing serves the socket: no daemon runs (or it runs
// without the API). The pairingd commands then read the database.
var ErrNoDaemon = errors.New("no pairingd daemon serves the local API")

// maxAnswer bounds an answer the client reads; the largest, the status,
// is a few KiB.
const maxAnswer = 1 << 20

// Client talks to the daemon's local API.
type Client struct {
	// Path is the socket.
	Path string
	http *http.Client
}

// NewClient returns a client of the socket at path.
func NewClient(path string) *Client {
	d := net.Dialer{Timeout: 2 * time.Second}
	return &Client{Path: path, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
	}}}
}

// Status returns the daemon's status as JSON (`pairingd status --json`).
func (c *Client) Status(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.do(ctx, http.MethodGet, "/v1/status", &raw)
	return raw, err
}

// Token returns a valid access token.
func (c *Client) Token(ctx context.Context) (Token, error) {
	var t Token
	err := c.do(ctx, http.MethodGet, "/v1/token", &t)
	return t, err
}

// Renew asks for a fresh code.
func (c *Client) Renew(ctx context.Context) (Result, error) {
	var r Result
	err := c.do(ctx, http.MethodPost, "/v1/renew", &r)
	return r, err
}

// Unpair forgets the grant.
func (c *Client) Unpair(ctx context.Context) (Result, error) {
	var r Result
	err := c.do(ctx, http.MethodPost, "/v1/unpair", &r)
	return r, err
}

// Metrics returns the metrics, in the Prometheus text format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
}

// Events calls each with every state change (one JSON object), the
// current state first, until ctx ends (nil), each returns an error (that
// one), or the daemon stops (io.EOF).
func (c *Client) Events(ctx context.Context, each func(event []byte) error) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/events")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), maxAnswer)
	for sc.Scan() {
		if err := each(sc.Bytes()); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("local API events: %w", err)
	}
	return io.EOF
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// do sends a request and decodes a 200's JSON into out.
func (c *Client) do(ctx context.Context, method, path string, out any) error {
	resp, err := c.send(ctx, method, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("local API %s: %w", path, err)
	}
	// The rest (the newline) read to the end lets the connection be
	// used again.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64))
	return nil
}

// send sends a request; an answer other than 200 is returned as an
// *Error.
func (c *Client) send(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://pairingd"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("%w on %s", ErrNoDaemon, c.Path)
	case errors.Is(err, os.ErrPermission):
		// Connecting needs write permission on the socket and search
		// permission on its directories: the group's.
		return nil, fmt.Errorf("pairingd's local API %s: %w: only root, pairingd's user and the members of the socket's group may connect (ls -l shows the group; usermod -aG GROUP USER)", c.Path, os.ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("local API %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(e); err != nil || e.Code == "" {
		e.Code, e.Message = CodeInternal, fmt.Sprintf("local API %s: HTTP %d", path, resp.StatusCode)
	}
	return nil, e
}
