package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/localapi"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// openState opens the daemon's store without creating it, and reads the
// pairing record: status, token and unpair work beside a running daemon
// and never make a state directory. A state directory that cannot be
// written gives a read-only store (st.ReadOnly). The caller closes the
// store.
func openState(ctx context.Context, cfg config.Config) (*sqlite.Store, store.Pairing, error) {
	return openStateMode(ctx, cfg, false)
}

// openStateMode is openState, read-only when readOnly is set.
func openStateMode(ctx context.Context, cfg config.Config, readOnly bool) (*sqlite.Store, store.Pairing, error) {
	st, err := sqlite.Open(ctx, cfg.StateDir, sqlite.Options{Logger: slog.New(slog.DiscardHandler), ReadOnly: readOnly})
	switch {
	case errors.Is(err, store.ErrNotExist):
		return nil, store.Pairing{}, codeError{exitNotPaired, fmt.Errorf("not paired: no pairingd state in %s (has the daemon run with this --state-dir?)", cfg.StateDir)}
	case errors.Is(err, store.ErrEmpty):
		path := filepath.Join(cfg.StateDir, sqlite.FileName)
		if pid, running := sqlite.DaemonPID(cfg.StateDir); running {
			return nil, store.Pairing{}, walMissing(path, pid)
		}
		return nil, store.Pairing{}, codeError{exitNotPaired, fmt.Errorf("not paired: %s holds no pairing data: it is empty or was never finished (a daemon stopped while creating it, or a backup copied it without its -wal file); start pairingd to set it up", path)}
	case errors.Is(err, fs.ErrPermission) || sqliteCode(err) == sqlite3.ErrPerm:
		// The usual cause: a user who is not root nor pairingd.
		return nil, store.Pairing{}, fmt.Errorf("%w: the state in %s (the device's identity and tokens) is readable by root and the pairingd user only: run this as root (sudo) or as pairingd", err, cfg.StateDir)
	case errors.Is(err, store.ErrCorrupt):
		return nil, store.Pairing{}, fmt.Errorf("%w; starting pairingd keeps the damaged file aside and makes a new database, and the device pairs again", err)
	case err != nil:
		return nil, store.Pairing{}, err
	}
	rec, err := st.Pairing(ctx)
	if err != nil {
		st.Close()
		return nil, store.Pairing{}, err
	}
	return st, rec, nil
}

// walMissing says that the -wal file of the database at path was deleted
// under the running daemon pid, which still holds the data.
func walMissing(path string, pid int) error {
	return fmt.Errorf("%s holds no pairing data: the database's -wal file is missing (deleted, or a backup copied only %s); nothing is lost while pairingd (pid %d) runs: restart pairingd to write it back",
		path, filepath.Base(path), pid)
}

// statusJSON is the output of `pairingd status --json`. It never holds a
// secret: no device code and no token.
type statusJSON struct {
	State                   string     `json:"state"`
	StateSince              *time.Time `json:"state_since,omitempty"`
	Message                 string     `json:"message,omitempty"`
	DaemonRunning           bool       `json:"daemon_running"`
	DaemonPID               int        `json:"daemon_pid,omitempty"`
	DeviceID                string     `json:"device_id"`
	DeviceName              string     `json:"device_name,omitempty"`
	DeviceModel             string     `json:"device_model,omitempty"`
	OSVersion               string     `json:"os_version,omitempty"`
	Server                  string     `json:"server,omitempty"`
	Profile                 string     `json:"profile,omitempty"`
	Account                 string     `json:"account,omitempty"`
	Health                  string     `json:"health,omitempty"`
	HealthSince             *time.Time `json:"health_since,omitempty"`
	TLSVerification         string     `json:"tls_verification,omitempty"`
	ClientID                string     `json:"client_id,omitempty"`
	BoundDeviceID           string     `json:"bound_device_id,omitempty"`
	UserCode                string     `json:"user_code,omitempty"`
	VerificationURI         string     `json:"verification_uri,omitempty"`
	VerificationURIComplete string     `json:"verification_uri_complete,omitempty"`
	ExpiresAt               *time.Time `json:"expires_at,omitempty"`
	PairedAt                *time.Time `json:"paired_at,omitempty"`
	TokenExpiresAt          *time.Time `json:"token_expires_at,omitempty"`
	Scope                   string     `json:"scope,omitempty"`
	// Revision changes with every committed write, so scripts (and the
	// benchmark of writes while polling) can see whether anything was
	// written.
	Revision int64 `json:"revision"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// buildStatus turns the stored record into the status output.
// insecure says TLS verification is off (insecure_skip_verify), which
// the status says in words.
func buildStatus(dev store.Device, rec store.Pairing, pid int, running, insecure bool) statusJSON {
	s := statusJSON{
		State:         pairing.State(rec.State).String(),
		StateSince:    timePtr(rec.StateSince),
		Message:       rec.Message,
		DaemonRunning: running,
		DeviceID:      dev.ID,
		DeviceName:    dev.Name,
		DeviceModel:   dev.Model,
		OSVersion:     dev.OSVersion,
		Server:        rec.Server.Issuer,
		Profile:       rec.Server.Profile,
		Account:       rec.Account,
		Health:        rec.Health,
		HealthSince:   timePtr(rec.HealthAt),
		ClientID:      rec.Server.ClientID,
		BoundDeviceID: rec.BoundDeviceID,
		Revision:      rec.Rev,
	}
	if running {
		s.DaemonPID = pid
	}
	if pairing.State(rec.State) == pairing.AwaitingUser {
		s.UserCode = rec.Code.UserCode
		s.VerificationURI = rec.Code.VerificationURI
		s.VerificationURIComplete = rec.Code.VerificationURIComplete
		s.ExpiresAt = timePtr(rec.Code.ExpiresAt)
	}
	if pairing.State(rec.State) == pairing.Paired {
		s.PairedAt = timePtr(rec.PairedAt)
		s.TokenExpiresAt = timePtr(rec.Tokens.ExpiresAt)
		s.Scope = rec.Tokens.Scope
	}
	if insecure {
		s.TLSVerification = insecureNote
	}
	return s
}

func cmdStatus(ctx context.Context, cfg config.Config, opts cmdOpts, e env) error {
	var s statusJSON
	answered, apiErr := viaDaemon(ctx, cfg, func(ctx context.Context, c *localapi.Client) error {
		raw, err := c.Status(ctx)
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &s)
	})
	switch {
	case answered && apiErr != nil:
		return apiErr
	case !answered:
		var err error
		if s, err = statusFromStore(ctx, cfg); err != nil {
			return withAPIRefusal(err, apiErr)
		}
	}
	if opts.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	} else {
		writeStatusText(e.stdout, s, time.Now())
	}
	if s.State != pairing.Paired.String() {
		return codeError{code: exitNotPaired}
	}
	return nil
}

// statusFromStore reads the status from the database, when no daemon
// answers on the socket.
func statusFromStore(ctx context.Context, cfg config.Config) (statusJSON, error) {
	st, rec, err := openStateMode(ctx, cfg, true)
	if err != nil {
		return statusJSON{}, err
	}
	defer st.Close()
	dev, err := st.Device(ctx)
	if err != nil {
		return statusJSON{}, err
	}
	pid, running := sqlite.DaemonPID(cfg.StateDir)
	return buildStatus(dev, rec, pid, running, cfg.InsecureSkipVerify), nil
}

// writeStatusText prints the status for people.
func writeStatusText(w io.Writer, s statusJSON, now time.Time) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-18s %s\n", k+":", v)
		}
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return fmt.Sprintf("%s (%s)", t.Local().Format("2006-01-02 15:04:05"), relative(t.Sub(now)))
	}
	switch s.State {
	case pairing.Idle.String():
		line("State", s.State+" (nobody scanned the last codes; a key pressed at the device asks for a new one)")
	case pairing.NotConfigured.String():
		line("State", s.State+" (not configured: no server to pair with yet, so none is asked; see Message)")
	default:
		line("State", s.State)
	}
	line("Since", at(s.StateSince))
	line("Message", s.Message)
	daemon := "not running"
	if s.DaemonRunning {
		daemon = fmt.Sprintf("running (pid %d)", s.DaemonPID)
	}
	line("Daemon", daemon)
	line("Device id", s.DeviceID)
	line("Device name", s.DeviceName)
	line("Device model", s.DeviceModel)
	line("OS", s.OSVersion)
	line("Server", s.Server)
	line("Profile", s.Profile)
	line("Account", s.Account)
	if s.Health != "" {
		line("Health", s.Health+", since "+at(s.HealthSince))
	}
	line("TLS verification", s.TLSVerification)
	line("Client id", s.ClientID)
	line("Bound device id", s.BoundDeviceID)
	line("User code", s.UserCode)
	line("Verification URI", s.VerificationURI)
	line("Open to approve", s.VerificationURIComplete)
	line("Code expires", at(s.ExpiresAt))
	line("Paired at", at(s.PairedAt))
	line("Token expires", at(s.TokenExpiresAt))
	line("Scope", s.Scope)
}

// relative says "in 4m0s" or "3m0s ago".
func relative(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 0 {
		return "in " + d.String()
	}
	return (-d).String() + " ago"
}

// clientForStore builds a client for the server the device is paired with:
// the stored endpoints win, since the tokens belong to them; the secret
// comes from the config.
func clientForStore(cfg config.Config, rec store.Pairing) (*oauth.Client, error) {
	if rec.Server.Profile != "" {
		cfg.Profile = rec.Server.Profile
	}
	if rec.Server.Issuer != "" {
		cfg.Issuer = rec.Server.Issuer
	}
	c, err := newClient(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	if rec.Server.TokenEndpoint != "" {
		c.Endpoints.Token = rec.Server.TokenEndpoint
		c.Endpoints.Revocation = rec.Server.RevocationEndpoint
	}
	if rec.Server.ClientID != "" {
		c.Config.ClientID = rec.Server.ClientID
	}
	return c, nil
}

func cmdToken(ctx context.Context, cfg config.Config, _ cmdOpts, e env) error {
	var tok localapi.Token
	answered, apiErr := viaDaemon(ctx, cfg, func(ctx context.Context, c *localapi.Client) error {
		var err error
		tok, err = c.Token(ctx)
		return err
	})
	switch {
	case answered && apiErr != nil:
		return apiExit(apiErr)
	case answered:
		if tok.Warning != "" {
			fmt.Fprintf(e.stderr, "pairingd token: %s\n", tok.Warning)
		}
		_, err := fmt.Fprintln(e.stdout, tok.AccessToken)
		return err
	}
	err := tokenFromStore(ctx, cfg, e)
	return withAPIRefusal(err, apiErr)
}

// tokenFromStore is `pairingd token` without a daemon: it reads the
// database, and refreshes the token itself when it is due.
func tokenFromStore(ctx context.Context, cfg config.Config, e env) error {
	st, _, err := openState(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	// A running daemon keeps the token fresh on monotonic time and stamps
	// it on this boot's clock: beside it, an untrusted clock does not make
	// every call spend a refresh token.
	_, daemonRunning := sqlite.DaemonPID(cfg.StateDir)
	ts := &pairing.TokenSource{
		Store: st,
		NewClient: func(rec store.Pairing) (*oauth.Client, error) {
			c, err := clientForStore(cfg, rec)
			if err == nil {
				// Retries of a failed commit go to stderr: the user sees
				// why it waits.
				c.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}
			return c, err
		},
		Clock:           wallClock{pairing.SystemClock(), e},
		StampedThisBoot: daemonRunning,
		ReadOnly:        st.ReadOnly(),
	}
	fresh, err := ts.Token(ctx)
	switch {
	case errors.Is(err, pairing.ErrNotPaired), errors.Is(err, pairing.ErrNotConfigured):
		return codeError{exitNotPaired, err}
	case err != nil:
		return err
	}
	if fresh.Warning != nil {
		fmt.Fprintf(e.stderr, "pairingd token: %v\n", fresh.Warning)
	}
	_, err = fmt.Fprintln(e.stdout, fresh.Tokens.AccessToken)
	return err
}

// wallClock is a clock whose wall time is the command's (tests set it).
type wallClock struct {
	pairing.Clock
	e env
}

func (c wallClock) Now() time.Time { return c.e.wallNow() }

func cmdUnpair(ctx context.Context, cfg config.Config, _ cmdOpts, e env) error {
	var res localapi.Result
	answered, apiErr := viaDaemon(ctx, cfg, func(ctx context.Context, c *localapi.Client) error {
		var err error
		res, err = c.Unpair(ctx)
		return err
	})
	var ae *localapi.Error
	switch {
	case answered && errors.As(apiErr, &ae) && ae.Code == localapi.CodeNotPaired:
		fmt.Fprintln(e.stdout, "Not paired: nothing to unpair.")
		return nil
	case answered && errors.As(apiErr, &ae) && ae.Code == localapi.CodeNotConfigured:
		// The daemon runs no pairing loop: a grant kept from an earlier
		// configuration is forgotten in the database, as without one.
	case answered && apiErr != nil:
		return apiErr
	case answered:
		if res.Warning != "" {
			fmt.Fprintf(e.stderr, "pairingd unpair: %s\n", res.Warning)
		}
		fmt.Fprintln(e.stdout, res.Message)
		return nil
	}
	err := unpairInStore(ctx, cfg, e)
	return withAPIRefusal(err, apiErr)
}

// unpairInStore is `pairingd unpair` without a daemon's loop.
func unpairInStore(ctx context.Context, cfg config.Config, e env) error {
	st, rec, err := openState(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := clientForStore(cfg, rec)
	if err != nil {
		return err
	}
	revokeErr, err := pairing.Unpair(ctx, st, c, time.Now())
	if err != nil {
		return err
	}
	if revokeErr != nil {
		fmt.Fprintf(e.stderr, "pairingd unpair: the server did not confirm revocation: %v\n", revokeErr)
	}
	dev, _ := st.Device(ctx)
	fmt.Fprintf(e.stdout, "Unpaired. The device id %s is kept; a running daemon shows a new code.\n", dev.ID)
	return nil
}
