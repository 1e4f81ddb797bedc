// Command devauthserver runs the development OAuth 2.0 authorization server
// of package devauth (RFC 8628 device authorization grant, RFC 6749
// refresh, RFC 7009 revocation, RFC 8414 discovery) for `make demo` and
// for trying pairingd by hand:
//
//	devauthserver --listen 127.0.0.1:8080
//	curl -d user_code=ABCD-EFGH -d action=approve http://127.0.0.1:8080/device
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
	"strings"
	"syscall"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// config is what the flags say.
type config struct {
	listen       string
	issuer       string // "" means http:// and the actual listen address
	codeTTL      time.Duration
	interval     time.Duration
	tokenTTL     time.Duration
	refreshTTL   time.Duration
	clientSecret string
	logLevel     slog.Level

	stderr io.Writer // banner and logs
	// ready, when set, is called with the issuer once the server accepts
	// connections; tests use it to find the port.
	ready func(issuer string)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{stderr: stderr}
	fs := flag.NewFlagSet("devauthserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&cfg.issuer, "issuer", "", "public base `URL` of the server (default http:// and the listen address)")
	fs.DurationVar(&cfg.codeTTL, "code-ttl", 600*time.Second, "device code lifetime")
	fs.DurationVar(&cfg.interval, "interval", 5*time.Second, "minimum polling interval")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", 5*time.Minute, "access token lifetime")
	fs.DurationVar(&cfg.refreshTTL, "refresh-ttl", 30*24*time.Hour, "refresh token lifetime")
	fs.StringVar(&cfg.clientSecret, "client-secret", "", "when set, clients must authenticate with this `secret` (client_secret_basic or client_secret_post)")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for name, d := range map[string]time.Duration{"code-ttl": cfg.codeTTL, "interval": cfg.interval, "token-ttl": cfg.tokenTTL, "refresh-ttl": cfg.refreshTTL} {
		if d <= 0 {
			return config{}, fmt.Errorf("--%s %v: must be positive", name, d)
		}
	}
	if cfg.issuer != "" {
		u, err := url.Parse(cfg.issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return config{}, fmt.Errorf("--issuer %q: want an absolute http(s) URL without query", cfg.issuer)
		}
	}
	return cfg, nil
}

// isLoopback reports whether a listener only accepts local connections.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func banner(w io.Writer, listenURL, issuer string, loopback bool) {
	line := strings.Repeat("=", 72)
	fmt.Fprintf(w, "%s\n devauthserver: DEVELOPMENT authorization server. NOT FOR PRODUCTION:\n"+
		" anyone who can reach it can approve any device and get its tokens.\n"+
		" listening on %s\n issuer %s\n approve devices at %s/device\n%s\n",
		line, listenURL, issuer, issuer, line)
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
	loopback := isLoopback(ln.Addr())
	banner(cfg.stderr, listenURL, issuer, loopback)
	if !loopback {
		log.Warn("listening on a non-loopback address", "addr", ln.Addr().String())
	}

	srv := devauth.New(devauth.Options{
		Issuer:       issuer,
		CodeTTL:      cfg.codeTTL,
		Interval:     cfg.interval,
		TokenTTL:     cfg.tokenTTL,
		RefreshTTL:   cfg.refreshTTL,
		ClientSecret: cfg.clientSecret,
		Logger:       log,
	})
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
