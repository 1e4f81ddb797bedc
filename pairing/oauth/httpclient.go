package oauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultHTTPTimeout is the per-request timeout of NewHTTPClient when none
// is given: long enough for a slow mobile link, short enough that a hung
// request does not eat a device code's lifetime.
const DefaultHTTPTimeout = 30 * time.Second

// NewHTTPClient returns the HTTP client for talking to the authorization
// server. TLS certificates are always verified, with TLS 1.2 or newer.
// With caFile, the system roots and the PEM certificates in caFile are
// trusted (for a private CA; Buildroot images may have no system roots at
// all). timeout <= 0 means DefaultHTTPTimeout. Redirects are followed
// only for GET and HEAD, never from https to http, and at most 10 times.
// Proxies are taken from the environment (HTTPS_PROXY, NO_PROXY).
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err) // *PathError names the file
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificates in it", caFile)
		}
		tlsConfig.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          4,
		// No HTTP/2: a poll every few seconds gains nothing from it, and
		// the release builds leave it out (nethttpomithttp2).
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: checkRedirect}, nil
}

// checkRedirect is the redirect policy: a POST is not followed (the caller
// gets the 3xx; following a 307 would resend the form and its secrets),
// and a redirect must not leave https or go to a URL CheckURL refuses.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing a redirect from https to %s", logURL(req.URL))
	}
	if err := CheckURL(req.URL.String()); err != nil {
		return fmt.Errorf("refusing a redirect to %w", err)
	}
	return nil
}

// SkipTLSVerify turns certificate verification off on a client made by
// NewHTTPClient. It exists only for the insecure_skip_verify config key:
// a device then trusts whoever answers, so the daemon says so loudly in its
// log and in `pairingd status`. Use ca_file for a private CA instead.
func SkipTLSVerify(hc *http.Client) {
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr.TLSClientConfig.InsecureSkipVerify = true
	}
}
