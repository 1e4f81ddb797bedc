package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/display/term"
	"github.com/pairingd/pairingd/internal/alarm"
	"github.com/pairingd/pairingd/internal/clockset"
	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/internal/netlink"
	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
	"github.com/pairingd/pairingd/systemd"
)

// httpTimeout bounds one request, so a hung server cannot stall the loop.
const httpTimeout = 30 * time.Second

func cmdRun(ctx context.Context, cfg config.Config, _ cmdOpts, e env) error {
	missing, err := checkServerConfig(cfg)
	if err != nil {
		return usageError{err}
	}
	// No reload on SIGHUP (a restart applies a new config and resumes the
	// code on screen); a service ignores it rather than die of it. On the
	// terminal display it means the terminal went away: run stops then.
	signal.Ignore(syscall.SIGHUP)
	// A reader of stdout or stderr that goes away (`| head`, a log pipe
	// that restarts) must not kill the daemon: with SIGPIPE ignored the
	// write fails with EPIPE, the display logs it and the loop goes on.
	signal.Ignore(syscall.SIGPIPE)
	logger := newLogger(cfg, e)
	if len(missing) > 0 {
		return waitConfigured(ctx, cfg, missing, logger, e, screenText(cfg, e))
	}
	return run(ctx, cfg, logger, e, screenText(cfg, e))
}

// screenText is the catalogue of the screens' texts: the language key,
// else the locale of the environment, else English.
func screenText(cfg config.Config, e env) *msg.Catalog {
	return msg.Lookup(msg.Choose(cfg.Language, e.environ))
}

// checkServerConfig checks what the daemon needs to reach the server. It
// returns the keys still to set when the configuration names no server,
// or only the example's placeholder (a fresh install): the daemon then
// waits, saying so, instead of failing and being restarted over and over.
// A value that is set but wrong is an error.
func checkServerConfig(cfg config.Config) (missing []string, err error) {
	spec, err := oauth.LookupProfile(cfg.Profile)
	if err != nil {
		return nil, cfg.Errorf("profile", "%v", err)
	}
	urls := []struct{ key, val string }{
		{"issuer", cfg.Issuer},
		{"device_authorization_endpoint", cfg.DeviceAuthorizationEndpoint},
		{"token_endpoint", cfg.TokenEndpoint},
		{"revocation_endpoint", cfg.RevocationEndpoint},
		{"userinfo_endpoint", cfg.UserinfoEndpoint},
		{"healthcheck_url", cfg.HealthcheckURL},
	}
	for _, k := range urls {
		if k.val == "" {
			continue
		}
		if err := oauth.CheckURL(k.val); err != nil {
			return nil, cfg.Errorf(k.key, "%v", err)
		}
	}
	if _, err := cfg.Secret(); err != nil {
		return nil, err
	}
	endpoints := cfg.DeviceAuthorizationEndpoint != "" && cfg.TokenEndpoint != ""
	if cfg.Issuer == "" && (spec.FixedEndpoints() || !endpoints) {
		missing = append(missing, "issuer")
	}
	if spec.NeedsClientID && cfg.ClientID == "" {
		missing = append(missing, "client_id")
	}
	for _, k := range urls {
		if placeholder(k.val) && !slices.Contains(missing, k.key) {
			missing = append(missing, k.key)
		}
	}
	return missing, nil
}

// placeholder reports whether raw names a host of the names reserved for
// examples (RFC 2606: example.com, .net, .org, and .example, .invalid):
// the example configuration's, which no real server has.
func placeholder(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return false
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, d := range []string{"example.com", "example.net", "example.org", "example", "invalid"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// newClient builds the client for the configured server and profile.
// Endpoints set in the config are used as they are; a profile with fixed
// endpoints derives them from the issuer; the rest come from
// discovery.
func newClient(cfg config.Config, logger *slog.Logger) (*oauth.Client, error) {
	hc, err := oauth.NewHTTPClient(cfg.CAFile, httpTimeout)
	if err != nil {
		// A config error (exit 2) for every command; run builds the
		// client before it makes the state directory.
		return nil, usageError{cfg.Errorf("ca_file", "%v", err)}
	}
	if cfg.InsecureSkipVerify {
		oauth.SkipTLSVerify(hc)
	}
	secret, err := cfg.Secret()
	if err != nil {
		return nil, err
	}
	spec, err := oauth.LookupProfile(cfg.Profile)
	if err != nil {
		return nil, cfg.Errorf("profile", "%v", err)
	}
	profile := spec.New(strings.TrimSuffix(cfg.Issuer, "/"))
	params := url.Values{}
	for k, v := range cfg.AuthParams {
		params.Set(k, v)
	}
	ep := oauth.Endpoints{Issuer: cfg.Issuer}
	if f, ok := profile.(oauth.FixedEndpoints); ok {
		ep = f.Endpoints(cfg.Issuer)
	}
	return &oauth.Client{
		HTTP:      hc,
		Profile:   profile,
		Endpoints: configuredEndpoints(cfg, ep),
		Config: oauth.ClientConfig{
			ClientID:     cfg.ClientID,
			ClientSecret: secret,
			AuthMethod:   cfg.ClientAuthMethod,
			Scope:        cmp.Or(cfg.Scope, spec.DefaultScope),
			Params:       params,
		},
		Logger: logger,
	}, nil
}

// run is the daemon: it takes the state directory, opens the display and
// the store, tells systemd it is ready and runs the pairing loop until ctx
// ends (SIGTERM or SIGINT). A store that cannot be opened does not end it:
// a damaged one is kept aside and replaced (the device pairs again), and
// any other failure is shown on the display and retried.
func run(ctx context.Context, cfg config.Config, logger *slog.Logger, e env, text *msg.Catalog) error {
	client, err := newClient(cfg, logger)
	if err != nil {
		return err
	}
	// The machine is filled in once the store is open; Renew may come
	// from the display before that.
	// Its waits are kernel timers, which wake the daemon fewer times
	// than Go's (package alarm).
	clock := alarm.New()
	defer clock.Close()
	m := &pairing.Machine{Text: text, Clock: clock}
	ctx, f, err := openFrontEnd(ctx, cfg, logger, e.stdout, text, m.Press)
	if err != nil {
		return err
	}
	defer f.Close()
	if style := f.style(); style != nil {
		m.KeyStyle = style
	}
	if f.quits(cfg) {
		m.Quit = f.cancel
	}
	st, err := f.openStore(ctx)
	if err != nil {
		f.notifier.Stopping()
		if ctx.Err() != nil {
			logger.Info("pairingd stopping")
			return nil
		}
		return err
	}
	defer st.Close()
	dev, err := recordDevice(ctx, st, cfg)
	if err != nil {
		return err
	}

	client.Config.Device = oauth.DeviceInfo{ID: dev.ID, Name: dev.Name, Model: dev.Model,
		OSVersion: dev.OSVersion, ClientVersion: version}
	if cfg.InsecureSkipVerify {
		logger.Warn("TLS CERTIFICATE VERIFICATION IS OFF (insecure_skip_verify): anyone on the network path can take this device's tokens; use ca_file for a private CA")
	}
	serverSide(m, cfg, client)
	// Devices that boot, fail or were paired together spread their
	// requests instead of asking the server at the same moments.
	m.Rand = rand.Float64
	if w, err := netlink.Watch(); err == nil {
		defer w.Close()
		m.Network = w.Changes()
	} else {
		logger.Info("not watching the network for changes; retries wait out their backoff", "err", err)
	}
	if w, err := clockset.Watch(); err == nil {
		defer w.Close()
		m.ClockSet = w.Changes()
	} else {
		logger.Info("not watching for the clock being set", "err", err)
	}
	m.NotBefore = builtAt()
	host := serverHost(cfg)
	m.Offline = func() string { return netlink.Current(host).Describe() }
	m.Store = st
	m.Logger = logger
	m.Display = f.disp
	m.Status = f.notifier.Status
	if f.wd != nil {
		m.WatchEvery = f.watchEvery
		m.Heartbeat = f.wd.Beat
	}
	logger.Info("pairingd starting", "version", version, "state_dir", cfg.StateDir, "device_id", dev.ID,
		"server", serverName(cfg), "client_id", cfg.ClientID, "display", cfg.Display, "language", text.Lang())
	// The local API and the hook see every state from the first; the
	// API is up before the loop starts, so a program waiting for the
	// socket never misses a change.
	progs := startPrograms(ctx, cfg, logger, e.environ, dev.ID, newBackend(cfg, st, m))
	m.Changed = func(c pairing.Change) {
		progs.changed(c)
		// The new screen is drawn: give back the memory drawing it took
		// (a terminal's first frame allocates about 3 MB, a cell at a
		// time, of which 1 MB stays), which would otherwise stay
		// resident. States change minutes apart, and this takes about a
		// millisecond.
		debug.FreeOSMemory()
	}
	// Ready once the store is open and the display is up: waiting for the
	// user is the healthy steady state, not a slow start.
	if !f.wait.ready {
		f.notifier.Ready()
	}
	err = m.Run(ctx)
	f.notifier.Stopping()
	logger.Info("pairingd stopping")
	progs.Close()
	return err
}

// frontEnd is what a daemon sets up before its loop, in this order: the
// state lock (a second daemon stops before it touches the display), the
// display, the terminal's hang-up, the inputs, and systemd's notifier and
// watchdog; then it opens the store, retrying while it cannot.
type frontEnd struct {
	// cancel ends the daemon: Ctrl-C on the terminal, a quit key.
	cancel     context.CancelFunc
	lock       *sqlite.DaemonLock
	disp       display.Display
	keys       *inputs
	onTerm     bool
	notifier   *systemd.Notifier
	wd         *systemd.Watchdog
	watchEvery time.Duration
	wait       storeWait
	closers    []func()
}

// openFrontEnd sets up f; every key goes to press. The context it returns
// ends with ctx, with f.cancel and with a terminal's hang-up. f.Close
// undoes it all.
func openFrontEnd(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer, text *msg.Catalog,
	press func(display.Key)) (context.Context, *frontEnd, error) {
	f := &frontEnd{}
	lock, err := lockState(cfg.StateDir)
	if errors.Is(err, store.ErrLocked) {
		return ctx, nil, err
	}
	f.lock = lock // nil when it failed otherwise: the store wait says why
	f.closers = append(f.closers, func() {
		if f.lock != nil {
			f.lock.Close()
		}
	})
	ctx, f.cancel = context.WithCancel(ctx)
	f.closers = append(f.closers, f.cancel)
	if f.disp, err = openDisplay(cfg, stdout, logger, f.cancel, press); err != nil {
		f.Close()
		return ctx, nil, err
	}
	f.closers = append(f.closers, func() { f.disp.Close() })
	var stopHangup context.CancelFunc
	ctx, stopHangup, f.onTerm = onTerminal(ctx, f.disp)
	f.closers = append(f.closers, stopHangup)
	if f.keys, err = openInputs(ctx, cfg, f.disp, logger, press); err != nil {
		f.Close()
		return ctx, nil, err
	}
	f.closers = append(f.closers, f.keys.Close)
	f.notifier = systemd.New(logger)
	f.wd = systemd.NewWatchdog(f.notifier, pairing.SystemClock().Mono)
	// The loop wakes often enough to ping at half the interval (a
	// quarter: a request may hold it for 30 s); without a watchdog it
	// wakes only when something happens.
	f.watchEvery = f.wd.Interval() / 4
	if f.wd != nil {
		logger.Info("systemd watchdog on", "interval", f.wd.Interval())
	}
	f.wait = storeWait{cfg: cfg, logger: logger, disp: f.disp, notifier: f.notifier, wd: f.wd, watchEvery: f.watchEvery, text: text}
	return ctx, f, nil
}

// openStore opens the store, showing why it cannot while it retries (see
// storeWait.open).
func (f *frontEnd) openStore(ctx context.Context) (*sqlite.Store, error) {
	return f.wait.open(ctx, &f.lock)
}

// style names the keys: the keyboard's on the terminal, else the inputs'
// found; nil when there are none.
func (f *frontEnd) style() func() display.KeyStyle {
	if f.onTerm {
		return func() display.KeyStyle { return display.StyleKeyboard }
	}
	return f.keys.style()
}

// quits reports whether a key may end the daemon: someone runs it in the
// foreground, on the terminal (Esc, q) or as an app (B, MENU on muOS).
func (f *frontEnd) quits(cfg config.Config) bool { return f.onTerm || cfg.App }

// Close undoes openFrontEnd, last step first.
func (f *frontEnd) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// onTerminal reports whether disp is the terminal display, and then
// returns ctx ended by a hang-up too: someone runs pairingd in the
// foreground there (keyboard keys, Esc or q end it), and closing the
// terminal must end it rather than leave it polling unseen.
func onTerminal(ctx context.Context, disp display.Display) (context.Context, context.CancelFunc, bool) {
	if _, ok := disp.(*term.Display); !ok {
		return ctx, func() {}, false
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	return ctx, stop, true
}

// serverSide gives m what it needs to know of the server: the client, the
// record of where the grant belongs, the health check, the denial
// cool-down, and discovery when the config leaves endpoints to it.
func serverSide(m *pairing.Machine, cfg config.Config, client *oauth.Client) {
	m.Client = client
	m.Server = store.Server{
		Issuer:             serverName(cfg),
		Profile:            client.Profile.Name(),
		ClientID:           cfg.ClientID,
		TokenEndpoint:      client.Endpoints.Token,
		RevocationEndpoint: client.Endpoints.Revocation,
		UserinfoEndpoint:   client.Endpoints.Userinfo,
	}
	m.DeniedCooldown = cfg.DeniedCooldown
	m.IdleAfter = cfg.IdleAfter
	m.HealthURL = cfg.HealthcheckURL
	m.Addrs = networkAddrs
	if _, fixed := client.Profile.(oauth.FixedEndpoints); !fixed && cfg.Issuer != "" &&
		(cfg.DeviceAuthorizationEndpoint == "" || cfg.TokenEndpoint == "") {
		m.Discover = func(ctx context.Context) (oauth.Endpoints, error) {
			ep, err := oauth.Discover(ctx, client.HTTP, cfg.Issuer)
			return configuredEndpoints(cfg, ep), err
		}
	}
}

// networkAddrs lists the device's addresses for the details screen: every
// interface's, without loopback and IPv6 link-local ones, which say nothing
// to a person looking for the device.
func networkAddrs() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifaces {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			out = append(out, ifc.Name+" "+ipn.IP.String())
		}
	}
	return out
}

// lockState makes the state directory and takes the daemon lock on it.
func lockState(dir string) (*sqlite.DaemonLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return sqlite.LockDaemon(dir)
}

// Opening the store is retried from storeRetryMin, doubling up to
// storeRetryMax: a card that is remounted or a permission that an admin
// fixes comes back without a restart, and the screen says what to do
// meanwhile.
const (
	storeRetryMin = 5 * time.Second
	storeRetryMax = 5 * time.Minute
)

// storeWait opens the store for the daemon, showing on the display why it
// cannot while it retries.
type storeWait struct {
	cfg        config.Config
	logger     *slog.Logger
	disp       display.Display
	notifier   *systemd.Notifier
	wd         *systemd.Watchdog
	watchEvery time.Duration
	ready      bool         // READY=1 was sent
	text       *msg.Catalog // the screens' language
}

// open takes the daemon lock (when *lock is nil) and opens the store, until
// it succeeds or ctx ends. Only another daemon holding the lock ends it
// with an error.
func (w *storeWait) open(ctx context.Context, lock **sqlite.DaemonLock) (*sqlite.Store, error) {
	wait := storeRetryMin
	for {
		var st *sqlite.Store
		var err error
		if *lock == nil {
			*lock, err = lockState(w.cfg.StateDir)
		}
		if err == nil {
			st, err = openDaemonStore(ctx, w.cfg.StateDir, w.logger)
		}
		switch {
		case err == nil:
			return st, nil
		case errors.Is(err, store.ErrLocked), ctx.Err() != nil:
			return nil, err
		}
		detail := storeTrouble(w.cfg.StateDir, err, wait)
		w.logger.Error("cannot open the state; retrying", "err", err, "retry_in", wait)
		if derr := w.disp.Show(pairing.Screen(pairing.Error, store.Code{}, detail, time.Time{}, pairing.Controls{Text: w.text})); derr != nil {
			w.logger.Warn("display", "err", derr)
		}
		w.notifier.Status(detail)
		if !w.ready {
			// Up and saying what is wrong: restarting would only blank
			// the screen.
			w.notifier.Ready()
			w.ready = true
		}
		if !w.sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, storeRetryMax)
	}
}

// sleep waits for d or until ctx ends, feeding the watchdog meanwhile.
func (w *storeWait) sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	beat, stop := w.beats()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-beat:
			w.wd.Beat()
		}
	}
}

// beats pings the watchdog now and returns a channel that ticks when the
// next ping is due (nil, never ticking, without a watchdog), and the
// function that stops it.
func (w *storeWait) beats() (<-chan time.Time, func()) {
	if w.wd == nil {
		return nil, func() {}
	}
	w.wd.Beat()
	t := time.NewTicker(w.watchEvery)
	return t.C, t.Stop
}

// storeTrouble says in words why the state cannot be opened and what to
// do, for the screen and systemd's status line.
func storeTrouble(dir string, err error, retry time.Duration) string {
	var what string
	switch {
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || sqliteCode(err) == sqlite3.ErrPerm:
		what = fmt.Sprintf("Can't open the saved state in %s: permission denied. Make the directory and its files belong to the user pairingd runs as.", dir)
	case errors.Is(err, syscall.EROFS) || sqliteCode(err) == sqlite3.ErrReadonly:
		what = fmt.Sprintf("Can't write the saved state in %s: the file system is read-only. Mount it writable.", dir)
	case errors.Is(err, syscall.ENOSPC) || sqliteCode(err) == sqlite3.ErrFull:
		what = fmt.Sprintf("Can't write the saved state in %s: the storage is full. Free some space.", dir)
	default:
		what = fmt.Sprintf("Can't open the saved state in %s (%s). Check the storage (SD card) and the log.", dir, sanitize.Line(err.Error(), 160))
	}
	return fmt.Sprintf("%s Retrying in %s.", what, retry)
}

// sqliteCode is SQLite's primary error code in err, or 0. SQLite's
// "unable to open database file" carries the errno only as a number.
func sqliteCode(err error) sqlite3.ErrNo {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return 0
	}
	if se.Code == sqlite3.ErrCantOpen {
		switch se.SystemErrno {
		case syscall.EACCES, syscall.EPERM:
			return sqlite3.ErrPerm
		case syscall.EROFS:
			return sqlite3.ErrReadonly
		}
	}
	return se.Code
}

// openDaemonStore opens the store to write, and when the database is
// damaged keeps it aside and makes a new one with the same device id where
// that could be read: the device pairs again rather than stay blank.
func openDaemonStore(ctx context.Context, dir string, logger *slog.Logger) (*sqlite.Store, error) {
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: logger})
	if !errors.Is(err, store.ErrCorrupt) {
		return st, err
	}
	kept, id, qerr := sqlite.Quarantine(dir, time.Now())
	if qerr != nil {
		return nil, fmt.Errorf("%w; %w", err, qerr)
	}
	logger.Warn("the database was damaged: kept it aside and made a new one; the device pairs again",
		"err", err, "kept", kept, "device_id_kept", id != "")
	st, err = sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: logger, DeviceID: id})
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("The saved pairing was damaged (kept as %s). Pair this device again.", filepath.Base(kept))
	if _, err := st.Update(ctx, func(p *store.Pairing) error {
		p.State = int(pairing.Unpaired)
		p.Message = msg
		return nil
	}); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// builtAt is when this program was made, as the build recorded it (the
// commit's time), else the start of 2025: no clock can truly be earlier.
func builtAt() time.Time {
	floor := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return floor
	}
	for _, kv := range bi.Settings {
		if kv.Key == "vcs.time" {
			if t, err := time.Parse(time.RFC3339, kv.Value); err == nil && t.After(floor) {
				return t
			}
		}
	}
	return floor
}

// serverHost is the host name of the server, for what the network lacks
// (a loopback server needs only loopback).
func serverHost(cfg config.Config) string {
	u, err := url.Parse(serverName(cfg))
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// serverName is the issuer, or the token endpoint's origin without one.
func serverName(cfg config.Config) string {
	if cfg.Issuer != "" {
		return cfg.Issuer
	}
	u, err := url.Parse(cfg.TokenEndpoint)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// configuredEndpoints returns ep with the endpoints the config sets one by
// one put over it: they win over discovered and profile-derived ones.
func configuredEndpoints(cfg config.Config, ep oauth.Endpoints) oauth.Endpoints {
	ep.DeviceAuthorization = cmp.Or(cfg.DeviceAuthorizationEndpoint, ep.DeviceAuthorization)
	ep.Token = cmp.Or(cfg.TokenEndpoint, ep.Token)
	ep.Revocation = cmp.Or(cfg.RevocationEndpoint, ep.Revocation)
	ep.Userinfo = cmp.Or(cfg.UserinfoEndpoint, ep.Userinfo)
	return ep
}

// recordDevice stores the device's name, model and OS version.
func recordDevice(ctx context.Context, st store.Store, cfg config.Config) (store.Device, error) {
	name := cfg.DeviceName
	if name == "" {
		name, _ = os.Hostname()
	}
	model := cfg.DeviceModel
	if model == "" {
		model = readFirstLine("/proc/device-tree/model")
	}
	if err := st.SetDeviceInfo(ctx, sanitize.Line(name, 128), sanitize.Line(model, 128), osVersion("/etc/os-release")); err != nil {
		return store.Device{}, fmt.Errorf("record device info: %w", err)
	}
	return st.Device(ctx)
}

// osVersion reads PRETTY_NAME from os-release(5).
func osVersion(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return sanitize.Line(strings.Trim(v, `"'`), 128)
		}
	}
	return ""
}
