package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/localapi"
	"github.com/pairingd/pairingd/pairing"
)

// retryEvery is how often wait and watch look again for a daemon that is
// not there yet, or for the state in the database without one.
const retryEvery = 200 * time.Millisecond

// cmdWait blocks until the device is in the wanted state (exit 0) or the
// timeout passes (exit 3). It follows the daemon's events, so it returns
// as soon as the state is committed; without a daemon it reads the
// database every 200 ms, and picks up a daemon that starts meanwhile.
func cmdWait(ctx context.Context, cfg config.Config, opts cmdOpts, e env) error {
	want, ok := pairing.ParseState(opts.state)
	if !ok {
		return usageError{fmt.Errorf("--state %q is not one of %v", opts.state, pairing.StateNames())}
	}
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	reached := errors.New("reached")
	for {
		err := followEvents(ctx, cfg, func(_ []byte, ev eventJSON) error {
			if ev.State == want.String() {
				return reached
			}
			return nil
		})
		if errors.Is(err, reached) {
			return nil
		}
		if s, err := statusFromStore(ctx, cfg); err == nil && s.State == want.String() {
			return nil
		}
		select {
		case <-ctx.Done():
			if opts.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return codeError{exitNotPaired, fmt.Errorf("not %s after %v", want, opts.timeout)}
			}
			return codeError{exitNotPaired, nil}
		case <-time.After(retryEvery):
		}
	}
}

// followEvents calls each with the daemon's events, as sent and decoded,
// until ctx ends, each fails, or the stream ends; it returns at once when
// no daemon serves the socket.
func followEvents(ctx context.Context, cfg config.Config, each func(line []byte, ev eventJSON) error) error {
	if cfg.Socket == "off" {
		return localapi.ErrNoDaemon
	}
	c := localapi.NewClient(cfg.Socket)
	defer c.Close()
	return c.Events(ctx, func(line []byte) error {
		var ev eventJSON
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("local API event: %w", err)
		}
		return each(line, ev)
	})
}

// cmdWatch prints each state change as it happens, the current state
// first, until it is stopped; it waits for a daemon that is not running,
// and for one that restarts.
func cmdWatch(ctx context.Context, cfg config.Config, opts cmdOpts, e env) error {
	if cfg.Socket == "off" {
		return usageError{errors.New("watch follows the daemon's local API, and socket is off")}
	}
	said := false
	for ctx.Err() == nil {
		err := followEvents(ctx, cfg, func(line []byte, ev eventJSON) error {
			said = false
			if opts.json {
				_, err := fmt.Fprintf(e.stdout, "%s\n", line)
				return err
			}
			return writeEventText(e.stdout, ev)
		})
		var ae *localapi.Error
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &ae):
			// The daemon refused (not in the group): waiting cannot help.
			return err
		case !said && !errors.Is(err, io.EOF):
			fmt.Fprintf(e.stderr, "pairingd watch: waiting for the daemon (%v)\n", err)
			said = true
		case !said:
			fmt.Fprintf(e.stderr, "pairingd watch: the daemon stopped; waiting for it\n")
			said = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryEvery):
		}
	}
	return nil
}

// writeEventText prints one event for people.
func writeEventText(w io.Writer, ev eventJSON) error {
	at := ""
	if ev.Since != nil {
		at = ev.Since.Local().Format("2006-01-02 15:04:05") + " "
	}
	line := at + ev.State
	if ev.OldState != ev.State {
		line += " (was " + ev.OldState + ")"
	}
	if ev.UserCode != "" {
		line += ": code " + ev.UserCode + " at " + ev.VerificationURI
	}
	if ev.Message != "" {
		line += ": " + ev.Message
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
