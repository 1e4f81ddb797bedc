package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/fb"
	"github.com/pairingd/pairingd/display/plain"
	"github.com/pairingd/pairingd/display/term"
	"github.com/pairingd/pairingd/internal/alarm"
	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/logs"
	"golang.org/x/sys/unix"
	xterm "golang.org/x/term"
)

// openDisplay opens the configured display. auto picks fb when the
// framebuffer is writable and no graphical session owns the screen, else
// term when stdout is a terminal, else plain. On term, interrupt is called
// for Ctrl-C (raw mode: no SIGINT) and every other key goes to press.
func openDisplay(cfg config.Config, stdout io.Writer, logger *slog.Logger, interrupt func(), press func(display.Key)) (display.Display, error) {
	// The countdowns wait on kernel timers, as the loop does (package
	// alarm): a tick a second wakes the daemon fewer times. Only one
	// display is opened, so one clock serves it.
	after := alarm.New().After
	termOpts := term.Options{Now: time.Now, After: after, OnKey: press, OnInterrupt: interrupt}
	f, isFile := stdout.(*os.File)
	tty := isFile && xterm.IsTerminal(int(f.Fd()))
	kind := cfg.Display
	if kind == "auto" {
		kind = autoDisplay(cfg.Framebuffer, os.Getenv, tty)
	}
	switch kind {
	case "fb":
		// auto takes the framebuffer only with the console: drawing under
		// a login prompt that fbcon keeps drawing helps nobody.
		d, err := fb.Open(cfg.Framebuffer, fb.Options{Rotate: cfg.Rotate, Now: time.Now, After: after, Logger: logger,
			Console: true, NeedConsole: cfg.Display == "auto"})
		switch {
		case err == nil || cfg.Display == "fb":
			return d, err
		case errors.Is(err, fb.ErrConsoleBusy):
			logger.Info("not drawing on the framebuffer: the console is not pairingd's (a login prompt may be on it); "+
				"under systemd the console drop-in gives it to pairingd, or set display = \"fb\"", "err", err)
		default:
			// The framebuffer looked usable but is not; say why and fall
			// back rather than show nothing.
			logger.Warn("framebuffer unusable; falling back", "err", err)
		}
		if tty {
			return term.New(termOpts)
		}
		return newPlain(stdout), nil
	case "term":
		if !tty {
			return nil, errors.New("display term: stdout is not a terminal; use --display plain or fb")
		}
		d, err := term.New(termOpts)
		if err == nil || cfg.Display == "term" {
			return d, err
		}
		// auto: a terminal tcell does not know (release builds carry
		// the common ones only); plain text still shows the code.
		logger.Warn("terminal display unusable; falling back to plain", "err", err)
		return newPlain(stdout), nil
	default:
		return newPlain(stdout), nil
	}
}

// newPlain is the plain display: one line per screen in the journal, where
// a QR code's text art is only noise (and a service's stdout goes there
// when it has no console); the art elsewhere, where a serial console or a
// terminal shows it to scan.
func newPlain(stdout io.Writer) display.Display {
	return plain.NewWith(stdout, plain.Options{Now: time.Now, Lines: logs.UnderJournal(stdout, os.Environ())})
}

// autoDisplay chooses for --display auto.
func autoDisplay(framebuffer string, getenv func(string) string, tty bool) string {
	graphical := getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
	switch {
	case !graphical && unix.Access(framebuffer, unix.W_OK) == nil:
		return "fb"
	case tty:
		return "term"
	default:
		return "plain"
	}
}
