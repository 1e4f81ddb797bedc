package main

import (
	"context"
	"log/slog"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/fb"
	"github.com/pairingd/pairingd/input"
	"github.com/pairingd/pairingd/internal/config"
)

// inputs is what openInputs started; Close stops it.
type inputs struct {
	r    *input.Reader
	done chan struct{}
}

// style names the keys after the inputs found; nil when none were opened.
func (i *inputs) style() func() display.KeyStyle {
	if i.r == nil {
		return nil
	}
	return i.r.Style
}

// Close stops reading and waits for the key forwarder.
func (i *inputs) Close() {
	if i.r == nil {
		return
	}
	i.r.Close()
	<-i.done
}

// openInputs reads the buttons, keyboards and touch screens for the
// framebuffer display; the config's [input] table
// goes over the default map; each key goes to press. The terminal reads
// its own keys, and plain text has none, so they open nothing.
func openInputs(ctx context.Context, cfg config.Config, disp display.Display, logger *slog.Logger, press func(display.Key)) (*inputs, error) {
	fbd, ok := disp.(*fb.Display)
	if !ok {
		return &inputs{}, nil
	}
	km, err := inputMap(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	r, err := input.Open(ctx, input.Options{Map: km, Logger: logger, Active: fbd.Foreground})
	if err != nil {
		// No input is not a reason to show no code.
		logger.Warn("no buttons or keys: the screen offers no actions", "err", err)
		return &inputs{}, nil
	}
	in := &inputs{r: r, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		for k := range r.Keys() {
			press(k)
		}
	}()
	return in, nil
}

// inputMap turns the config's [input] table (code = key) into a map; a
// code or key it does not know names the key and the file.
func inputMap(cfg config.Config) (input.Map, error) {
	if len(cfg.Input) == 0 {
		return nil, nil
	}
	m := input.Map{}
	for code, key := range cfg.Input {
		c, ok := input.ParseCode(code)
		if !ok {
			return nil, cfg.Errorf("input", "%q is not an input code like BTN_EAST, KEY_ENTER or 305", code)
		}
		k, ok := input.ParseKeyName(key)
		if !ok {
			return nil, cfg.Errorf("input", "%s = %q: want A, B, X, Y, MENU or none", code, key)
		}
		m[c] = k
	}
	return m, nil
}
