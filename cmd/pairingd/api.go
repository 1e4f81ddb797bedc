package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/localapi"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// apiBackend answers the local API for the running daemon.
type apiBackend struct {
	cfg    config.Config
	st     *sqlite.Store
	tokens *pairing.TokenSource
	// m is the pairing loop; nil while the daemon waits to be configured.
	m       *pairing.Machine
	started time.Time
}

// Answers of the local API that do not wait for a server have short
// deadlines: a loop that is inside a request for 30 s is busy, and the
// caller hears so.
const (
	apiAskTimeout    = 35 * time.Second
	apiUnpairTimeout = 2*time.Minute + 5*time.Second
)

func newBackend(cfg config.Config, st *sqlite.Store, m *pairing.Machine) *apiBackend {
	return &apiBackend{cfg: cfg, st: st, m: m, started: time.Now(), tokens: &pairing.TokenSource{
		Store: st,
		NewClient: func(rec store.Pairing) (*oauth.Client, error) {
			return clientForStore(cfg, rec)
		},
		Clock:           pairing.SystemClock(),
		StampedThisBoot: true,
	}}
}

// filesIntact finds the database's -wal file deleted under the daemon (a
// clean-up script, a backup tool): the daemon still holds the data and a
// restart writes it back, and the commands say so, as they do without a
// daemon.
func (b *apiBackend) filesIntact() error {
	path := filepath.Join(b.cfg.StateDir, sqlite.FileName)
	if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
		return walMissing(path, os.Getpid())
	}
	return nil
}

func (b *apiBackend) Status(ctx context.Context) (any, error) {
	if err := b.filesIntact(); err != nil {
		return nil, err
	}
	rec, err := b.st.Pairing(ctx)
	if err != nil {
		return nil, err
	}
	dev, err := b.st.Device(ctx)
	if err != nil {
		return nil, err
	}
	s := buildStatus(dev, rec, os.Getpid(), true, b.cfg.InsecureSkipVerify)
	// A poll or a refresh failing now is on the screen but not in the
	// store (nothing is written while polling): say it here too.
	if b.m != nil {
		if state, detail := b.m.Unsaved(); detail != "" && int(state) == rec.State {
			s.Message = detail
		}
	}
	return s, nil
}

func (b *apiBackend) Token(ctx context.Context) (localapi.Token, error) {
	if err := b.filesIntact(); err != nil {
		return localapi.Token{}, err
	}
	fresh, err := b.tokens.Token(ctx)
	if err != nil {
		if e := apiError(err); e != err {
			return localapi.Token{}, e
		}
		// No token to vouch for: the refresh failed (the server, the
		// network) and the token expired. Another try may do.
		return localapi.Token{}, localapi.Errorf(localapi.CodeUnavailable, "%v", err)
	}
	t := fresh.Tokens
	out := localapi.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Scope: t.Scope}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = timePtr(t.ExpiresAt)
		out.ExpiresIn = max(int64(time.Until(t.ExpiresAt)/time.Second), 0)
	}
	if fresh.Warning != nil {
		out.Warning = fresh.Warning.Error()
	}
	return out, nil
}

func (b *apiBackend) Renew(ctx context.Context) (localapi.Result, error) {
	if b.m == nil {
		return localapi.Result{}, b.notConfigured(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, apiAskTimeout)
	defer cancel()
	if err := b.m.NewCode(ctx); err != nil {
		return localapi.Result{}, apiError(err)
	}
	return localapi.Result{Message: "Getting a new code."}, nil
}

func (b *apiBackend) Unpair(ctx context.Context) (localapi.Result, error) {
	if b.m == nil {
		return localapi.Result{}, b.notConfigured(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, apiUnpairTimeout)
	defer cancel()
	revokeErr, err := b.m.Unpair(ctx)
	if err != nil {
		return localapi.Result{}, apiError(err)
	}
	dev, _ := b.st.Device(ctx)
	res := localapi.Result{Message: fmt.Sprintf("Unpaired. The device id %s is kept; a new code follows.", dev.ID)}
	if revokeErr != nil {
		res.Warning = fmt.Sprintf("the server did not confirm revocation: %v", revokeErr)
	}
	return res, nil
}

// notConfigured is the answer to requests an unconfigured daemon cannot
// serve: what to set, as the record says.
func (b *apiBackend) notConfigured(ctx context.Context) error {
	rec, _ := b.st.Pairing(ctx)
	return localapi.Errorf(localapi.CodeNotConfigured, "pairingd is not configured: %s", rec.Message)
}

// apiError turns what the pairing side returned into the API's answer.
func apiError(err error) error {
	switch {
	case errors.Is(err, pairing.ErrNotConfigured):
		return localapi.Errorf(localapi.CodeNotConfigured, "%v", err)
	case errors.Is(err, pairing.ErrNotPaired):
		return localapi.Errorf(localapi.CodeNotPaired, "%v", err)
	case errors.Is(err, pairing.ErrPaired):
		return localapi.Errorf(localapi.CodePaired, "the device is paired: unpair it first for a new code")
	case errors.Is(err, context.DeadlineExceeded):
		return localapi.Errorf(localapi.CodeUnavailable, "%v; try again", err)
	}
	return err
}

// insecureNote is what status says when TLS verification is off.
const insecureNote = "OFF (insecure_skip_verify): anyone on the network path can take this device's tokens"

// serveAPI listens on cfg.Socket and serves b until ctx ends; the
// returned function waits for the server to finish. A socket that cannot
// be made is logged and the daemon runs on without it: pairing matters
// more, and the commands fall back to the database.
func serveAPI(ctx context.Context, cfg config.Config, logger *slog.Logger, b *apiBackend, hub *localapi.Hub) (wait func()) {
	if cfg.Socket == "off" {
		return func() {}
	}
	access := localapi.Access{UID: os.Getuid(), GID: -1, Group: cfg.SocketGroup}
	if g, err := user.LookupGroup(cfg.SocketGroup); err == nil {
		access.GID, _ = strconv.Atoi(g.Gid)
	} else {
		logger.Warn("local API: no such group; only root and this user are let in", "socket_group", cfg.SocketGroup, "err", err)
	}
	ln, err := localapi.Listen(cfg.Socket, access.GID)
	if err != nil {
		logger.Warn("local API off: the socket cannot be made; pairingd status, token and unpair read the database instead", "err", err)
		return func() {}
	}
	logger.Info("local API listening", "socket", cfg.Socket, "group", cfg.SocketGroup)
	srv := &localapi.Server{Backend: b, Events: hub, Access: access, Logger: logger}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			logger.Error("local API", "err", err)
		}
	}()
	return func() { <-done }
}

// programs is what the daemon gives the device's other programs: the
// local API with its event stream, and the on_change hook. The pairing
// daemon and the unconfigured one start it the same way.
type programs struct {
	hub    *localapi.Hub
	hooks  *hookRunner // nil without on_change
	stop   context.CancelFunc
	served func()
}

// startPrograms serves b on the socket and starts the hook, until
// Close. deviceID is the device's own id, for the hook.
func startPrograms(ctx context.Context, cfg config.Config, logger *slog.Logger, environ []string, deviceID string, b *apiBackend) *programs {
	ctx, stop := context.WithCancel(ctx)
	p := &programs{hub: &localapi.Hub{}, stop: stop}
	p.hooks = startHooks(ctx, cfg, logger, environ, deviceID)
	p.served = serveAPI(ctx, cfg, logger, b, p.hub)
	return p
}

// changed hands one state the daemon entered to the event stream and the
// hook; it never blocks.
func (p *programs) changed(c pairing.Change) {
	p.hub.Publish(changeEvent(c))
	if p.hooks != nil {
		p.hooks.Notify(c)
	}
}

// Close ends the event streams and the server, and waits for them and
// for a hook still running (it got SIGTERM and has 5 s).
func (p *programs) Close() {
	p.hub.Close()
	p.stop()
	p.served()
	if p.hooks != nil {
		p.hooks.Wait()
	}
}

// eventJSON is one event of GET /v1/events and `pairingd watch --json`.
// It never holds a secret.
type eventJSON struct {
	State                   string     `json:"state"`
	OldState                string     `json:"old_state"`
	Since                   *time.Time `json:"since,omitempty"`
	Message                 string     `json:"message,omitempty"`
	Server                  string     `json:"server,omitempty"`
	Account                 string     `json:"account,omitempty"`
	BoundDeviceID           string     `json:"bound_device_id,omitempty"`
	UserCode                string     `json:"user_code,omitempty"`
	VerificationURI         string     `json:"verification_uri,omitempty"`
	VerificationURIComplete string     `json:"verification_uri_complete,omitempty"`
	ExpiresAt               *time.Time `json:"expires_at,omitempty"`
}

func changeEvent(c pairing.Change) []byte {
	b, _ := json.Marshal(eventJSON{
		State: c.New.String(), OldState: c.Old.String(), Since: timePtr(c.At), Message: c.Detail,
		Server: c.Server, Account: c.Account, BoundDeviceID: c.BoundDeviceID,
		UserCode: c.UserCode, VerificationURI: c.VerificationURI,
		VerificationURIComplete: c.VerificationURIComplete, ExpiresAt: timePtr(c.CodeExpiresAt),
	})
	return b
}

// Metrics writes the Prometheus text format: the state, the loop's
// counts, the token's time to expiry and the build.
func (b *apiBackend) Metrics(ctx context.Context, w io.Writer) error {
	rec, err := b.st.Pairing(ctx)
	if err != nil {
		return err
	}
	m := metricWriter{w: w}
	m.help("pairingd_build_info", "gauge", "The running pairingd's version.")
	m.sample("pairingd_build_info", `version="`+labelValue(version)+`"`, 1)
	m.help("pairingd_state", "gauge", "1 for the pairing state the device is in, 0 for the others.")
	for _, name := range pairing.StateNames() {
		v := 0.0
		if name == pairing.State(rec.State).String() {
			v = 1
		}
		m.sample("pairingd_state", `state="`+name+`"`, v)
	}
	m.help("pairingd_start_time_seconds", "gauge", "When the daemon started, in seconds since the epoch.")
	m.sample("pairingd_start_time_seconds", "", float64(b.started.Unix()))
	var st pairing.Stats
	if b.m != nil {
		st = b.m.Stats()
	}
	m.help("pairingd_polls_total", "counter", "Token requests polling for the code on screen.")
	m.sample("pairingd_polls_total", "", float64(st.Polls))
	m.help("pairingd_refreshes_total", "counter", "Token refreshes by the pairing loop, by result.")
	m.sample("pairingd_refreshes_total", `result="ok"`, float64(st.Refreshes))
	m.sample("pairingd_refreshes_total", `result="failed"`, float64(st.RefreshFailures))
	m.help("pairingd_errors_total", "counter", "Failed requests to the server, by kind.")
	for _, k := range sortedKeys(st.Errors) {
		m.sample("pairingd_errors_total", `kind="`+labelValue(k)+`"`, float64(st.Errors[k]))
	}
	if pairing.State(rec.State) == pairing.Paired && !rec.Tokens.ExpiresAt.IsZero() {
		m.help("pairingd_token_expiry_seconds", "gauge", "Seconds until the access token expires (negative: expired).")
		m.sample("pairingd_token_expiry_seconds", "", time.Until(rec.Tokens.ExpiresAt).Seconds())
	}
	return m.err
}
