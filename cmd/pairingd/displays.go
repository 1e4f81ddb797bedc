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
	"github.com/pairingd/pairingd/internal/config"
	"golang.org/x/sys/unix"
	xterm "golang.org/x/term"
)

// openDisplay opens the configured display. auto picks fb when the
// framebuffer is writable and no graphical session owns the screen, else
// term when stdout is a terminal, else plain. On term, interrupt is called
// for Ctrl-C (raw mode: no SIGINT) and every other key goes to press.
func openDisplay(cfg config.Config, stdout io.Writer, logger *slog.Logger, interrupt func(), press func(display.Key)) (display.Display, error) {
	termOpts := term.Options{Now: time.Now, OnKey: press, OnInterrupt: interrupt}
	f, isFile := stdout.(*os.File)
	tty := isFile && xterm.IsTerminal(int(f.Fd()))
	kind := cfg.Display
	if kind == "auto" {
		kind = autoDisplay(cfg.Framebuffer, os.Getenv, tty)
	}
	switch kind {
	case "fb":
		d, err := fb.Open(cfg.Framebuffer, fb.Options{Rotate: cfg.Rotate, Now: time.Now, Logger: logger, Console: true})
		if err == nil || cfg.Display == "fb" {
			return d, err
		}
		// auto: the framebuffer looked usable but is not; say why and
		// fall back rather than show nothing.
		logger.Warn("framebuffer unusable; falling back", "err", err)
		if tty {
			return term.New(termOpts)
		}
		return plain.New(stdout, time.Now), nil
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
		return plain.New(stdout, time.Now), nil
	default:
		return plain.New(stdout, time.Now), nil
	}
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
