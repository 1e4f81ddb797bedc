package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/localapi"
)

// apiClientTimeout bounds a command's wait for the daemon's answer: a
// token refresh or an unpair waits for the server.
const apiClientTimeout = 2*time.Minute + 15*time.Second

// viaDaemon runs f against the running daemon's local API. It reports
// whether the daemon answered (f's error is then the answer); when no
// daemon serves the socket it reports false and nil, and when the socket
// refused this user false and why, so the caller reads the database and
// can say both when that fails too.
func viaDaemon(ctx context.Context, cfg config.Config, f func(context.Context, *localapi.Client) error) (bool, error) {
	if cfg.Socket == "off" {
		return false, nil
	}
	c := localapi.NewClient(cfg.Socket)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, apiClientTimeout)
	defer cancel()
	err := f(ctx, c)
	var ae *localapi.Error
	switch {
	case errors.Is(err, localapi.ErrNoDaemon):
		return false, nil
	case errors.Is(err, os.ErrPermission), errors.As(err, &ae) && ae.Code == localapi.CodeForbidden:
		return false, err
	}
	return true, err
}

// withAPIRefusal adds why the local API refused to an error of the
// database fallback.
func withAPIRefusal(err, apiErr error) error {
	if err == nil || apiErr == nil {
		return err
	}
	return fmt.Errorf("%v; reading the database instead: %w", apiErr, err)
}

// apiExit turns the local API's answers that scripts branch on into the
// commands' exit codes.
func apiExit(err error) error {
	var ae *localapi.Error
	if errors.As(err, &ae) && (ae.Code == localapi.CodeNotPaired || ae.Code == localapi.CodeNotConfigured) {
		return codeError{exitNotPaired, err}
	}
	return err
}
