package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/logtest"
)

func TestParseFlags(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		check   func(config) string // "" when fine
		wantErr bool
	}{
		{name: "defaults", check: func(c config) string {
			// Zero durations take the profile's defaults.
			if c.profile != "rfc8628" || c.listen != "127.0.0.1:8080" || c.issuer != "" || c.codeTTL != 0 ||
				c.interval != 0 || c.tokenTTL != 0 || c.clientSecret != "" || c.logLevel != slog.LevelInfo || c.tokenRateLimits != nil {
				return "unexpected defaults"
			}
			return ""
		}},
		{name: "all", args: []string{"--listen", "127.0.0.1:0", "--issuer", "http://pi.local:9000", "--code-ttl", "2m",
			"--interval", "1s", "--token-ttl", "30s", "--client-secret", "s", "--log-level", "debug"},
			check: func(c config) string {
				if c.listen != "127.0.0.1:0" || c.issuer != "http://pi.local:9000" || c.codeTTL != 2*time.Minute ||
					c.interval != time.Second || c.tokenTTL != 30*time.Second || c.clientSecret != "s" || c.logLevel != slog.LevelDebug {
					return "flags not taken"
				}
				return ""
			}},
		{name: "profile options", args: []string{"--profile", "authelia", "--token-rate-limits", "3/1m, 5/1h", "--require-audience", "https://api",
			"--romm-version", "4.3.0", "--forbid-after-approval", "2s", "--site-domain", "s.example", "--jwt-ttl", "1m"},
			check: func(c config) string {
				if c.profile != "authelia" || fmt.Sprint(c.tokenRateLimits) != "[3/1m0s 5/1h0m0s]" || c.requireAudience != "https://api" ||
					c.rommVersion != "4.3.0" || c.forbidAfterApproval != 2*time.Second || c.siteDomain != "s.example" || c.jwtTTL != time.Minute {
					return "profile flags not taken"
				}
				return ""
			}},
		{name: "no rate limits", args: []string{"--token-rate-limits", "none"}, check: func(c config) string {
			if c.tokenRateLimits == nil || len(c.tokenRateLimits) != 0 {
				return "none should be an empty, non-nil list"
			}
			return ""
		}},
		{name: "bad rate limits", args: []string{"--token-rate-limits", "30 per minute"}, wantErr: true},
		{name: "unknown profile", args: []string{"--profile", "keycloak"}, wantErr: true},
		{name: "bad duration", args: []string{"--interval", "soon"}, wantErr: true},
		{name: "negative interval", args: []string{"--interval", "-1s"}, wantErr: true},
		{name: "bad log level", args: []string{"--log-level", "chatty"}, wantErr: true},
		{name: "bad issuer", args: []string{"--issuer", "127.0.0.1:8080"}, wantErr: true},
		{name: "positional", args: []string{"extra"}, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFlags(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			}
			if tt.check != nil {
				if msg := tt.check(cfg); msg != "" {
					t.Errorf("parseFlags(%q) = %+v: %s", tt.args, cfg, msg)
				}
			}
		})
	}
}

func TestBanner(t *testing.T) {
	for _, tt := range []struct {
		addr     net.Addr
		wantWarn bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 2), Port: 8080}, true},
	} {
		t.Run(tt.addr.String(), func(t *testing.T) {
			var b bytes.Buffer
			banner(&b, "http://"+tt.addr.String(), "http://x", "romm (RomM 5 device pairing)", "http://x/pair/device", isLoopback(tt.addr))
			out := b.String()
			for _, want := range []string{"DEVELOPMENT", "NOT FOR PRODUCTION", "http://" + tt.addr.String(), "approve devices at http://x/device",
				"profile romm", "http://x/pair/device"} {
				if !strings.Contains(out, want) {
					t.Errorf("banner lacks %q:\n%s", want, out)
				}
			}
			if got := strings.Contains(out, "WARNING"); got != tt.wantWarn {
				t.Errorf("banner warns = %v, want %v:\n%s", got, tt.wantWarn, out)
			}
		})
	}
}

func TestRun(t *testing.T) {
	cfg, err := parseFlags([]string{"--listen", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var stderr logtest.Buffer
	cfg.stderr = &stderr
	issuers := make(chan string, 1)
	cfg.ready = func(issuer string) { issuers <- issuer }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()

	var issuer string
	select {
	case issuer = <-issuers:
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	}
	if strings.HasSuffix(issuer, ":0") || !strings.HasPrefix(issuer, "http://127.0.0.1:") {
		t.Errorf("issuer = %q, want http://127.0.0.1:<actual port>", issuer)
	}
	if !strings.Contains(stderr.String(), "approve devices at "+issuer+"/device") {
		t.Errorf("banner does not name the device page:\n%s", stderr.String())
	}

	resp, err := http.PostForm(issuer+"/device_authorization", url.Values{"client_id": {"tv"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /device_authorization: status %d, want 200", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	if _, err := http.Get(issuer + "/.well-known/openid-configuration"); err == nil {
		t.Errorf("server still answers after run returned")
	}
	if !strings.Contains(stderr.String(), "device authorization") {
		t.Errorf("log lacks the device authorization:\n%s", stderr.String())
	}
}

func TestRunCancelled(t *testing.T) {
	cfg, err := parseFlags([]string{"--listen", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.stderr = io.Discard
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := run(ctx, cfg); err != nil {
		t.Errorf("run(cancelled) = %v, want nil", err)
	}
}

func TestRunListenError(t *testing.T) {
	cfg, err := parseFlags([]string{"--listen", "127.0.0.1:notaport"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.stderr = io.Discard
	if err := run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Errorf("run with a bad address = %v, want a listening error", err)
	}
}

func TestRunProfile(t *testing.T) {
	cfg, err := parseFlags([]string{"--listen", "127.0.0.1:0", "--profile", "romm", "--romm-version", "4.3.0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var stderr logtest.Buffer
	cfg.stderr = &stderr
	issuers := make(chan string, 1)
	cfg.ready = func(issuer string) { issuers <- issuer }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	var issuer string
	select {
	case issuer = <-issuers:
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	}
	for _, want := range []string{"profile romm", "approve devices at " + issuer + "/device", issuer + "/pair/device"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, stderr.String())
		}
	}
	resp, err := http.Get(issuer + "/api/heartbeat")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"VERSION":"4.3.0"`) {
		t.Errorf("GET /api/heartbeat: %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v", err)
	}
}
