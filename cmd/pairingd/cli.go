package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/logs"
	"github.com/pairingd/pairingd/pairing"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes. Scripts branch on them, so they do not change.
const (
	exitOK        = 0 // done; for status: paired
	exitError     = 1 // something failed; the message says what
	exitUsage     = 2 // bad command line or config
	exitNotPaired = 3 // status and token: the device is not paired
)

// env is what a command gets from the process, so tests can run commands
// in-process.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	// now is the wall clock; nil means time.Now.
	now func() time.Time
}

// wallNow returns the wall-clock time.
func (e env) wallNow() time.Time {
	if e.now == nil {
		return time.Now()
	}
	return e.now()
}

// usageError marks errors that are the user's to fix on the command line or
// in the config.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// codeError carries an exit code other than exitError.
type codeError struct {
	code int
	err  error
}

func (e codeError) Error() string { return e.err.Error() }
func (e codeError) Unwrap() error { return e.err }

type command struct {
	name, summary string
	// run does the work; opts are the parsed command's own flags.
	run func(ctx context.Context, cfg config.Config, opts cmdOpts, e env) error
}

// cmdOpts are flags that are not config keys.
type cmdOpts struct {
	json   bool
	render renderOpts
	// state and timeout are wait's.
	state   string
	timeout time.Duration
}

var commands = []command{
	{"run", "run the daemon: show a code, wait for approval, keep the tokens fresh", cmdRun},
	{"status", "show the pairing state (--json for scripts); exit 0 when paired, 3 when not", cmdStatus},
	{"token", "print a valid access token, refreshing it first when near expiry; exit 3 when not paired", cmdToken},
	{"unpair", "forget the tokens (revoking them when the server can) and keep the device id", cmdUnpair},
	{"wait", "wait until the device is in a state (--state, default paired); exit 3 after --timeout", cmdWait},
	{"watch", "print each state change as it happens (--json for scripts)", cmdWatch},
	{"render", "draw the pairing screen through the framebuffer code into a PNG (--png) or onto a framebuffer (--fb)", cmdRender},
	{"version", "print the version", cmdVersion},
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: pairingd <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'pairingd <command> --help' for the flags of a command.\n")
}

// cli runs one command and returns the process exit code.
func cli(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		usage(e.stdout)
		return exitOK
	}
	if name == "--version" {
		name = "version"
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(e.stderr, "pairingd: unknown command %q\n\n", name)
		usage(e.stderr)
		return exitUsage
	}

	fs := flag.NewFlagSet("pairingd "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	configFile := fs.String("config", "", "config file (default "+config.DefaultFile+" when it exists)")
	var opts cmdOpts
	if name == "status" || name == "watch" {
		fs.BoolVar(&opts.json, "json", false, "print JSON")
	}
	if name == "wait" {
		fs.StringVar(&opts.state, "state", pairing.Paired.String(), "state to wait for: "+strings.Join(pairing.StateNames(), ", "))
		fs.DurationVar(&opts.timeout, "timeout", 0, "give up after this long with exit 3 (0: wait as long as it takes)")
	}
	if name == "render" {
		r := &opts.render
		fs.StringVar(&r.png, "png", "", "write the screen to this PNG file")
		fs.StringVar(&r.size, "size", "720x720", "framebuffer size WIDTHxHEIGHT (before rotation)")
		fs.IntVar(&r.bpp, "bpp", 32, "bits per pixel: 16, 24 or 32")
		fs.BoolVar(&r.bgr, "bgr", false, "BGR instead of RGB channel order")
		fs.StringVar(&r.state, "state", "awaiting_user", "state to show: "+strings.Join(pairing.StateNames(), ", "))
		fs.StringVar(&r.userCode, "user-code", "WDJB-MJHT", "user code to show")
		fs.StringVar(&r.uri, "uri", "", "verification_uri_complete for the QR code (default https://example.com/device?user_code=CODE)")
		fs.DurationVar(&r.left, "time-left", 9*time.Minute+41*time.Second, "time left on the countdown")
		fs.StringVar(&r.fb, "fb", "", "draw on this framebuffer device instead of a PNG")
		fs.BoolVar(&r.pattern, "pattern", false, "with --fb: draw a test pattern instead of the pairing screen")
	}
	applyFlags := config.Flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: pairingd %s [flags]\n\n%s.\n\nFlags (each config key is also a flag; flags win over PAIRINGD_* variables, which win over the file):\n", name, cmd.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "pairingd %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage
	}
	cfg, err := config.Load(*configFile, e.environ, applyFlags)
	if err != nil {
		fmt.Fprintf(e.stderr, "pairingd: %v\n", err)
		if errors.Is(err, os.ErrPermission) {
			fmt.Fprintf(e.stderr, "pairingd: the configuration may hold client_secret, so only root and the group pairingd read it: run this as root (sudo), or let the user have the token and the state with usermod -aG pairingd USER\n")
		}
		return exitUsage
	}
	err = cmd.run(ctx, cfg, opts, e)
	var ue usageError
	var ce codeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ce):
		if ce.err != nil {
			fmt.Fprintf(e.stderr, "pairingd %s: %v\n", name, ce.err)
		}
		return ce.code
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "pairingd %s: %v\n", name, err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "pairingd %s: %v\n", name, err)
		return exitError
	}
}

func cmdVersion(_ context.Context, _ config.Config, _ cmdOpts, e env) error {
	fmt.Fprintf(e.stdout, "pairingd %s\n", version)
	return nil
}

// newLogger makes the daemon's logger on stderr: text with timestamps, or
// JSON; under journald with priority prefixes; or to syslog.
func newLogger(cfg config.Config, e env) *slog.Logger {
	// The config allows only the names slog knows; anything else is Info.
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	l, _ := logs.New(e.stderr, logs.Options{Level: level, Format: cfg.LogFormat, Output: cfg.LogOutput, Environ: e.environ})
	return l
}

// readFirstLine returns the first line of a small system file, or "".
func readFirstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s, _, _ := strings.Cut(string(b), "\n")
	// /proc/device-tree strings end in NUL.
	return strings.TrimRight(strings.TrimSpace(s), "\x00")
}
