// Command pairingd pairs a screen-only device with a user's account by the
// OAuth 2.0 device authorization grant (RFC 8628): it shows a code and a QR
// code, waits for the user to approve it on their phone, keeps the tokens
// fresh in SQLite and hands the access token to other programs, over a
// local API on a Unix socket (package localapi) and as `pairingd token`.
//
// Usage:
//
//	pairingd run       run the daemon
//	pairingd status    show the pairing (--json for scripts)
//	pairingd token     print a valid access token
//	pairingd unpair    forget the tokens, revoking them first
//	pairingd wait      wait until the device is paired (or another state)
//	pairingd watch     print each state change as it happens
//	pairingd version   print the version
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()})
	stop()
	os.Exit(code)
}
