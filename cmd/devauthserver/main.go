// Command devauthserver runs the development OAuth 2.0 authorization server
// of package devauth (RFC 8628 device authorization grant, RFC 6749
// refresh, RFC 7009 revocation, RFC 8414 discovery) for `make demo` and
// for trying pairingd by hand. --profile makes it behave like one of the
// servers pairingd pairs with: rfc8628 (default), authelia, romm or dfc.
//
//	devauthserver --listen 127.0.0.1:8080 --profile romm
//	curl -d user_code=ABCD-EFGH -d action=approve http://127.0.0.1:8080/device
//
// The /device approve POST works in every profile.
//
// It is NOT for production: anyone who can reach it can approve any device.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// config is what the flags say.
type config struct {
	profile      string
	listen       string
	issuer       string // "" means http:// and the actual listen address
	codeTTL      time.Duration
	interval     time.Duration
	tokenTTL     time.Duration
	refreshTTL   time.Duration
	clientSecret string
	logLevel     slog.Level

	// Profile options; zero values take devauth's defaults.
	tokenRateLimits     []devauth.RateLimit // nil: Authelia's defaults
	requireAudience     string
	rommVersion         string
	forbidAfterApproval time.Duration
	siteDomain          string
	jwtTTL              time.Duration

	stderr io.Writer // banner and logs
	// ready, when set, is called with the issuer once the server accepts
	// connections; tests use it to find the port.
	ready func(issuer string)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{stderr: stderr}
	fs := flag.NewFlagSet("devauthserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.profile, "profile", devauth.ProfileRFC8628, "`server` to behave like: "+strings.Join(devauth.Profiles, ", "))
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&cfg.issuer, "issuer", "", "public base `URL` of the server (default http:// and the listen address)")
	fs.DurationVar(&cfg.codeTTL, "code-ttl", 0, "device code lifetime (default: the profile's, 10m; dfc 15m)")
	fs.DurationVar(&cfg.interval, "interval", 0, "minimum polling interval (default: the profile's, 5s; authelia 10s)")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", 0, "access token lifetime (default: 5m; authelia 1h)")
	fs.DurationVar(&cfg.refreshTTL, "refresh-ttl", 0, "refresh token lifetime (default: 720h; authelia 90m)")
	fs.StringVar(&cfg.clientSecret, "client-secret", "", "when set, clients must authenticate with this `secret` (client_secret_basic or client_secret_post; rfc8628 and authelia)")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	rateLimits := fs.String("token-rate-limits", "", "authelia: per-IP token endpoint `limits` as N/duration,... or \"none\" (default 30/1m,50/10m,100/1h)")
	fs.StringVar(&cfg.requireAudience, "require-audience", "", "authelia: the one `audience` device authorization must name (default: any or none)")
	fs.StringVar(&cfg.rommVersion, "romm-version", "", "romm: SYSTEM.VERSION of /api/heartbeat (default 5.2.0)")
	fs.DurationVar(&cfg.forbidAfterApproval, "forbid-after-approval", 0, "romm: answer 403 this long after a token's approval")
	fs.StringVar(&cfg.siteDomain, "site-domain", "", "dfc: default site `domain` on the approval page (default site1.example.com)")
	fs.DurationVar(&cfg.jwtTTL, "jwt-ttl", 0, "dfc: lifetime of the JWTs of /api/dfc/auth/token (default 24h)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if !slices.Contains(devauth.Profiles, cfg.profile) {
		return config{}, fmt.Errorf("--profile %q: want one of %s", cfg.profile, strings.Join(devauth.Profiles, ", "))
	}
	for name, d := range map[string]time.Duration{"code-ttl": cfg.codeTTL, "interval": cfg.interval, "token-ttl": cfg.tokenTTL,
		"refresh-ttl": cfg.refreshTTL, "forbid-after-approval": cfg.forbidAfterApproval, "jwt-ttl": cfg.jwtTTL} {
		if d < 0 {
			return config{}, fmt.Errorf("--%s %v: must not be negative", name, d)
		}
	}
	if *rateLimits != "" {
		limits, err := parseRateLimits(*rateLimits)
		if err != nil {
			return config{}, fmt.Errorf("--token-rate-limits %q: %w", *rateLimits, err)
		}
		cfg.tokenRateLimits = limits
	}
	if cfg.issuer != "" {
		u, err := url.Parse(cfg.issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return config{}, fmt.Errorf("--issuer %q: want an absolute http(s) URL without query", cfg.issuer)
		}
	}
	return cfg, nil
}

// parseRateLimits parses "30/1m,50/10m" or "none".
func parseRateLimits(s string) ([]devauth.RateLimit, error) {
	if s == "none" {
		return []devauth.RateLimit{}, nil
	}
	var limits []devauth.RateLimit
	for part := range strings.SplitSeq(s, ",") {
		n, d, ok := strings.Cut(strings.TrimSpace(part), "/")
		reqs, err := strconv.Atoi(n)
		if !ok || err != nil || reqs <= 0 {
			return nil, fmt.Errorf("%q: want a positive count, a slash and a duration", part)
		}
		period, err := time.ParseDuration(d)
		if err != nil || period <= 0 {
			return nil, fmt.Errorf("%q: want a positive duration after the slash", part)
		}
		limits = append(limits, devauth.RateLimit{Period: period, Requests: reqs})
	}
	return limits, nil
}

// isLoopback reports whether a listener only accepts local connections.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func banner(w io.Writer, listenURL, issuer, profile, verifyURL string, loopback bool) {
	line := strings.Repeat("=", 72)
	fmt.Fprintf(w, "%s\n devauthserver: DEVELOPMENT authorization server. NOT FOR PRODUCTION:\n"+
		" anyone who can reach it can approve any device and get its tokens.\n"+
		" profile %s\n listening on %s\n issuer %s\n approve devices at %s/device\n",
		line, profile, listenURL, issuer, issuer)
	if verifyURL != issuer+"/device" {
		fmt.Fprintf(w, " (or on the server's own page %s)\n", verifyURL)
	}
	fmt.Fprintf(w, "%s\n", line)
	if !loopback {
		fmt.Fprintf(w, "!!! WARNING: %s is NOT a loopback address. Anyone on the network\n"+
			"!!! can approve devices here. Use --listen 127.0.0.1:PORT unless you mean it.\n", listenURL)
	}
}

func run(ctx context.Context, cfg config) error {
	log := slog.New(slog.NewTextHandler(cfg.stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.listen, err)
	}
	defer ln.Close()
	listenURL := "http://" + ln.Addr().String()
	issuer := cfg.issuer
	if issuer == "" {
		issuer = listenURL
	}
	srv := devauth.New(devauth.Options{
		Issuer:              issuer,
		Profile:             cfg.profile,
		CodeTTL:             cfg.codeTTL,
		Interval:            cfg.interval,
		TokenTTL:            cfg.tokenTTL,
		RefreshTTL:          cfg.refreshTTL,
		ClientSecret:        cfg.clientSecret,
		TokenRateLimits:     cfg.tokenRateLimits,
		RequireAudience:     cfg.requireAudience,
		RommVersion:         cfg.rommVersion,
		ForbidAfterApproval: cfg.forbidAfterApproval,
		SiteDomain:          cfg.siteDomain,
		JWTTTL:              cfg.jwtTTL,
		Logger:              log,
	})
	loopback := isLoopback(ln.Addr())
	banner(cfg.stderr, listenURL, issuer, srv.Profile()+" ("+srv.ProfileDescription()+")", srv.VerificationURI(), loopback)
	if !loopback {
		log.Warn("listening on a non-loopback address", "addr", ln.Addr().String())
	}
	log.Info("serving", "profile", srv.Profile())
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if cfg.ready != nil {
		cfg.ready(issuer)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", listenURL, err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", listenURL, err)
	}
	return nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devauthserver:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devauthserver:", err)
		os.Exit(1)
	}
}
