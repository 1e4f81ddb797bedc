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
	"runtime"
	"runtime/debug"
	"syscall"
)

func main() {
	atRest(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()})
	stop()
	os.Exit(code)
}

// atRest sets the Go runtime for a program that waits nearly all the time
// and works for microseconds when it wakes, unless the environment sets
// it (GOMAXPROCS, GOGC):
//   - one processor: with a second one, the runtime wakes another thread
//     at each wake to look for work it never finds. Awaiting the user
//     with a 5 s interval, that was 6.4 context switches a second against
//     1.7 with one.
//   - a collection when the heap has grown by a quarter, not doubled:
//     pairingd allocates kilobytes a second, so collecting more often
//     costs nothing, and the heap's peak stays resident.
func atRest(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// gcPercent is the heap's growth, in percent, that starts a collection.
const gcPercent = 25
