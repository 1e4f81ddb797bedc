package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/fb"
	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
)

// renderOpts are the flags of `pairingd render`.
type renderOpts struct {
	png      string
	size     string
	bpp      int
	bgr      bool
	rotate   int
	state    string
	userCode string
	uri      string
	fb       string
	pattern  bool
	left     time.Duration
}

// cmdRender draws the pairing screen through the framebuffer code path,
// into a PNG (--png) for checking a layout, or onto a device (--fb) as a
// test screen.
func cmdRender(_ context.Context, cfg config.Config, opts cmdOpts, e env) error {
	o := opts.render
	// --rotate is the config key, so that render shows what the daemon
	// would with the same config.
	o.rotate = cfg.Rotate
	st, ok := pairing.ParseState(o.state)
	if !ok {
		return usageError{fmt.Errorf("--state %q: want one of %s", o.state, strings.Join(pairing.StateNames(), ", "))}
	}
	if o.bpp != 16 && o.bpp != 24 && o.bpp != 32 {
		return usageError{fmt.Errorf("--bpp %d: want 16, 24 or 32", o.bpp)}
	}
	now := time.Now()
	uri := o.uri
	if uri == "" {
		uri = "https://example.com/device?user_code=" + o.userCode
	}
	base, _, _ := strings.Cut(uri, "?")
	server := base
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		server = u.Scheme + "://" + u.Host
	}
	detail := map[pairing.State]string{
		pairing.Paired:  "Paired with " + server + " as device 3f2a9c",
		pairing.Denied:  "Pairing was denied. A new code follows in 30 s.",
		pairing.Error:   "Can't reach the server (no connection). Retrying in 40 s.",
		pairing.Expired: "The code expired. Getting a new one.",
	}[st]
	if st == pairing.NotConfigured {
		detail = pairing.NotConfiguredDetail(screenText(cfg, e), []string{"issuer", "client_id"}, config.DefaultFile)
	}
	code := store.Code{UserCode: o.userCode, VerificationURI: base, VerificationURIComplete: uri}
	screen := pairing.Screen(st, code, detail, now.Add(o.left), pairing.Controls{Style: display.StyleGamepad, Text: screenText(cfg, e)})

	switch {
	case o.fb != "":
		return renderOnDevice(o, screen, e)
	case o.png != "":
		w, h, err := parseSize(o.size)
		if err != nil {
			return usageError{err}
		}
		f, err := os.Create(o.png)
		if err != nil {
			return err
		}
		err = fb.RenderPNG(f, screen, fb.RenderOptions{Width: w, Height: h, BPP: o.bpp, BGR: o.bgr, Rotate: o.rotate, Now: now})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(o.png)
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s (%s, %d bpp, rotate %d, state %s)\n", o.png, o.size, o.bpp, o.rotate, o.state)
		return nil
	default:
		return usageError{errors.New("give --png FILE to render into a PNG, or --fb DEVICE to draw on a framebuffer")}
	}
}

// renderOnDevice draws on a real framebuffer: the pairing screen, or with
// --pattern a test pattern (colour bars, a border, the mode in words) that
// shows whether the colours, the edges and the rotation are right. The
// picture stays when the command exits.
func renderOnDevice(o renderOpts, screen display.Screen, e env) error {
	what := "a test pattern"
	var mode fb.Mode
	var err error
	if o.pattern {
		mode, err = fb.DrawTestPattern(o.fb, o.rotate)
	} else {
		what = "the " + o.state + " screen"
		var d *fb.Display
		d, err = fb.Open(o.fb, fb.Options{Rotate: o.rotate, Now: time.Now, Keep: true})
		if err == nil {
			mode = d.Mode()
			err = errors.Join(d.Show(screen), d.Close())
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "drew %s on %s (%s, rotate %d)\n", what, o.fb, mode, o.rotate)
	return nil
}

// parseSize reads "WxH".
func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT, like 720x720", s)
	}
	return w, h, nil
}
