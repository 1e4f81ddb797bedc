package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/systemd"
)

// httpTimeout bounds one request, so a hung server cannot stall the loop.
const httpTimeout = 30 * time.Second

func cmdRun(ctx context.Context, cfg config.Config, _ cmdOpts, e env) error {
	if err := checkServerConfig(cfg); err != nil {
		return usageError{err}
	}
	// No reload on SIGHUP (a restart applies a new config and resumes the
	// code on screen); ignore it rather than die of it.
	signal.Ignore(syscall.SIGHUP)
	// A reader of stdout or stderr that goes away (`| head`, a log pipe
	// that restarts) must not kill the daemon: with SIGPIPE ignored the
	// write fails with EPIPE, the display logs it and the loop goes on.
	signal.Ignore(syscall.SIGPIPE)
	logger := newLogger(cfg, e)
	return run(ctx, cfg, logger, e.stdout)
}

// checkServerConfig checks what the daemon needs to reach the server.
func checkServerConfig(cfg config.Config) error {
	fixed := cfg.Profile == "romm" || cfg.Profile == "dfc"
	switch {
	case fixed && cfg.Issuer == "":
		return cfg.Errorf("issuer", "is required with profile %s: the server's base URL", cfg.Profile)
	case !fixed && cfg.ClientID == "":
		return cfg.Errorf("client_id", "is required")
	case cfg.Issuer == "" && (cfg.DeviceAuthorizationEndpoint == "" || cfg.TokenEndpoint == ""):
		return cfg.Errorf("issuer", "is required, unless device_authorization_endpoint and token_endpoint are both set")
	}
	for _, k := range []struct{ key, val string }{
		{"issuer", cfg.Issuer},
		{"device_authorization_endpoint", cfg.DeviceAuthorizationEndpoint},
		{"token_endpoint", cfg.TokenEndpoint},
		{"revocation_endpoint", cfg.RevocationEndpoint},
		{"userinfo_endpoint", cfg.UserinfoEndpoint},
		{"healthcheck_url", cfg.HealthcheckURL},
	} {
		if k.val == "" {
			continue
		}
		if err := pairing.CheckURL(k.val); err != nil {
			return cfg.Errorf(k.key, "%v", err)
		}
	}
	if _, err := cfg.Secret(); err != nil {
		return err
	}
	if cfg.CAFile != "" {
		// Read now, so that a bad file is a config error before the
		// state directory is made, not a failure after it.
		if _, err := pairing.NewHTTPClient(cfg.CAFile, httpTimeout); err != nil {
			return cfg.Errorf("ca_file", "%v", err)
		}
	}
	return nil
}

// defaultScopes are the scopes a profile asks for when the config sets
// none. Stock Authelia refuses authelia.bearer.authz for device-code
// clients, so its default is the scope set that works there.
var defaultScopes = map[string]string{"authelia": "openid offline_access"}

// newClient builds the client for the configured server and profile.
// Endpoints set in the config are used as they are; a profile with fixed
// endpoints (romm, dfc) derives them from the issuer; the rest come from
// discovery.
func newClient(cfg config.Config, logger *slog.Logger) (*pairing.Client, error) {
	hc, err := pairing.NewHTTPClient(cfg.CAFile, httpTimeout)
	if err != nil {
		return nil, cfg.Errorf("ca_file", "%v", err)
	}
	if cfg.InsecureSkipVerify {
		pairing.SkipTLSVerify(hc)
	}
	secret, err := cfg.Secret()
	if err != nil {
		return nil, err
	}
	profile, err := pairing.NewProfile(cfg.Profile, cfg.Issuer)
	if err != nil {
		return nil, cfg.Errorf("profile", "%v", err)
	}
	params := url.Values{}
	for k, v := range cfg.AuthParams {
		params.Set(k, v)
	}
	ep := pairing.Endpoints{Issuer: cfg.Issuer}
	if f, ok := profile.(pairing.FixedEndpoints); ok {
		ep = f.Endpoints(cfg.Issuer)
	}
	return &pairing.Client{
		HTTP:      hc,
		Profile:   profile,
		Endpoints: configuredEndpoints(cfg, ep),
		Config: pairing.ClientConfig{
			ClientID:     cfg.ClientID,
			ClientSecret: secret,
			AuthMethod:   cfg.ClientAuthMethod,
			Scope:        firstOf(cfg.Scope, defaultScopes[cfg.Profile]),
			Params:       params,
		},
		Logger: logger,
	}, nil
}

// run is the daemon: it takes the state directory, opens the store and the
// display, tells systemd it is ready and runs the pairing loop until ctx
// ends (SIGTERM or SIGINT).
func run(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	lock, err := store.LockDaemon(cfg.StateDir)
	if err != nil {
		return err
	}
	defer lock.Close()

	st, err := store.Open(ctx, cfg.StateDir, store.Options{Create: true, Logger: logger})
	if err != nil {
		return err
	}
	defer st.Close()
	dev, err := recordDevice(ctx, st, cfg)
	if err != nil {
		return err
	}

	client, err := newClient(cfg, logger)
	if err != nil {
		return err
	}
	client.Config.Device = pairing.DeviceInfo{ID: dev.ID, Name: dev.Name, Model: dev.Model,
		OSVersion: dev.OSVersion, ClientVersion: version}
	if cfg.InsecureSkipVerify {
		logger.Warn("TLS CERTIFICATE VERIFICATION IS OFF (insecure_skip_verify): anyone on the network path can take this device's tokens; use ca_file for a private CA")
	}
	m := &pairing.Machine{
		Client: client,
		Server: store.Server{
			Issuer:             serverName(cfg),
			Profile:            client.Profile.Name(),
			ClientID:           cfg.ClientID,
			TokenEndpoint:      client.Endpoints.Token,
			RevocationEndpoint: client.Endpoints.Revocation,
			UserinfoEndpoint:   client.Endpoints.Userinfo,
		},
		Store:          st,
		Clock:          pairing.SystemClock(),
		Logger:         logger,
		DeniedCooldown: cfg.DeniedCooldown,
	}
	m.Check = newCheck(client, cfg.HealthcheckURL)
	m.Report = newReporter(ctx, client, st, logger)
	if _, fixed := client.Profile.(pairing.FixedEndpoints); !fixed && cfg.Issuer != "" &&
		(cfg.DeviceAuthorizationEndpoint == "" || cfg.TokenEndpoint == "") {
		m.Discover = func(ctx context.Context) (pairing.Endpoints, error) {
			ep, err := pairing.Discover(ctx, client.HTTP, cfg.Issuer)
			return configuredEndpoints(cfg, ep), err
		}
	}

	// q or Ctrl-C on the terminal display stops the daemon like SIGINT.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	disp, err := openDisplay(cfg, stdout, logger, cancel, m.Renew)
	if err != nil {
		return err
	}
	defer disp.Close()
	m.Display = disp

	notifier := systemd.New(logger)
	m.Status = notifier.Status
	if wd := systemd.NewWatchdog(notifier, m.Clock.Mono); wd != nil {
		// The loop wakes often enough to ping at half the interval.
		m.WatchEvery = min(2*time.Second, wd.Interval()/4)
		m.Heartbeat = wd.Beat
		logger.Info("systemd watchdog on", "interval", wd.Interval())
	}
	logger.Info("pairingd starting", "version", version, "state_dir", cfg.StateDir, "device_id", dev.ID,
		"server", serverName(cfg), "client_id", cfg.ClientID, "display", cfg.Display)
	// Ready once the store is open and the display is up: waiting for the
	// user is the healthy steady state, not a slow start.
	notifier.Ready()
	err = m.Run(ctx)
	notifier.Stopping()
	logger.Info("pairingd stopping")
	return err
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
func configuredEndpoints(cfg config.Config, ep pairing.Endpoints) pairing.Endpoints {
	ep.DeviceAuthorization = firstOf(cfg.DeviceAuthorizationEndpoint, ep.DeviceAuthorization)
	ep.Token = firstOf(cfg.TokenEndpoint, ep.Token)
	ep.Revocation = firstOf(cfg.RevocationEndpoint, ep.Revocation)
	ep.Userinfo = firstOf(cfg.UserinfoEndpoint, ep.Userinfo)
	return ep
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
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
