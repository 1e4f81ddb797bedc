package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // the CA certificate as PEM, for ca_file
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pairingd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, file: file}
}

// leaf issues a server certificate for the given names, valid from
// notBefore to notAfter.
func (ca *testCA) leaf(t *testing.T, notBefore, notAfter time.Time, dnsNames []string, ips []net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "server"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer starts an HTTPS server on 127.0.0.1 with cert (httptest's own
// when cert is nil) that answers every request with h.
func tlsServer(t *testing.T, cert *tls.Certificate, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	if cert != nil {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	// The handshake failures the tests provoke would be logged.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// deviceAuthOK is a device authorization answer the client accepts.
var deviceAuthOK = reply(200, oauthtest.JSONType,
	`{"device_code":"DC","user_code":"WDJB-MJHT","verification_uri":"https://as.example/device","expires_in":900}`)

// deviceAuthAt asks base for a device code with the real HTTP client.
func deviceAuthAt(t *testing.T, caFile, base string, timeout time.Duration) error {
	t.Helper()
	hc, err := NewHTTPClient(caFile, timeout)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{HTTP: hc, Config: ClientConfig{ClientID: "dev-1"},
		Endpoints: Endpoints{DeviceAuthorization: base + "/device", Token: base + "/token"}}
	_, err = c.DeviceAuth(context.Background())
	return err
}

// What people are told about failures the machine really produces: bad
// certificates, a closed port, a server that never answers, a redirect, a
// body that is not OAuth.
func TestTransientErrorReason(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	good := ca.leaf(t, now.Add(-time.Hour), now.Add(time.Hour), nil, loopback)
	expired := ca.leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), nil, loopback)
	otherHost := ca.leaf(t, now.Add(-time.Hour), now.Add(time.Hour), []string{"other.example"}, nil)

	// A port that was just closed: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + l.Addr().String()
	l.Close()

	// A server that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	plain := httptest.NewServer(deviceAuthOK)
	t.Cleanup(plain.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://login.example.net/device?client=1", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	sameHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/device/v2", http.StatusFound)
	}))
	t.Cleanup(sameHost.Close)
	html := httptest.NewServer(reply(200, "text/html", "<html><body>Welcome to the hotel Wi-Fi</body></html>"))
	t.Cleanup(html.Close)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", oauthtest.JSONType)
		io.WriteString(w, `{"device_code":"`+strings.Repeat("x", maxResponseBody)+`"}`)
	}))
	t.Cleanup(huge.Close)
	forbidden := httptest.NewServer(reply(403, "text/html", "<h1>Forbidden</h1>"))
	t.Cleanup(forbidden.Close)
	unavailable := httptest.NewServer(reply(503, "text/plain", "down for maintenance"))
	t.Cleanup(unavailable.Close)

	for _, tt := range []struct {
		name    string
		base    string
		caFile  string
		timeout time.Duration
		kind    Failure
		summary string
		hint    string
	}{
		{name: "untrusted certificate", base: tlsServer(t, nil, deviceAuthOK).URL, caFile: ca.file,
			kind: FailureCertUntrusted, summary: "The server's certificate is not trusted.", hint: "Set ca_file to the CA that signed it."},
		{name: "expired certificate", base: tlsServer(t, &expired, deviceAuthOK).URL, caFile: ca.file,
			kind: FailureCertExpired, summary: "The server's certificate has expired or is not yet valid.",
			hint: "Check the device's clock and the certificate."},
		{name: "certificate for another host", base: tlsServer(t, &otherHost, deviceAuthOK).URL, caFile: ca.file,
			kind: FailureCertHostname, summary: "The certificate is for another host name.", hint: "Check the server URL."},
		{name: "https to a plain http port", base: strings.Replace(plain.URL, "http:", "https:", 1), caFile: ca.file,
			kind: FailureNotTLS, summary: "The server does not speak TLS here.", hint: "Check the server URL's scheme and port."},
		{name: "closed port", base: closedPort,
			kind: FailureRefused, summary: "Can't reach the server (connection refused).",
			hint: "Check that the server is running and the URL's port."},
		{name: "no answer", base: "http://" + silent.Addr().String(), timeout: 200 * time.Millisecond,
			kind: FailureTimeout, summary: "The server did not answer in time."},
		{name: "redirect to another host", base: redirect.URL,
			kind: FailureElsewhere, summary: "Something else answered: a redirect to login.example.net (a network that wants a sign-in?).",
			hint: "Sign in to this network, or check the server URL."},
		{name: "redirect on the server", base: sameHost.URL,
			kind: FailureRedirect, summary: "The server redirected to 127.0.0.1.", hint: "Configure the final URL."},
		{name: "HTML page", base: html.URL,
			kind: FailureElsewhere, summary: "Something else answered: a web page, not the server (a network that wants a sign-in?).",
			hint: "Sign in to this network, or check the server URL."},
		{name: "body over 1 MiB", base: huge.URL,
			kind: FailureUnreadable, summary: "The server's answer could not be read (larger than 1 MiB)."},
		{name: "403 without OAuth body", base: forbidden.URL,
			kind: FailureRequestRefused, summary: "The server refused the request (HTTP 403).", hint: "Check the server URL."},
		{name: "503", base: unavailable.URL,
			kind: FailureServerError, summary: "Can't reach the server (HTTP 503)."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := deviceAuthAt(t, tt.caFile, tt.base, tt.timeout)
			var te *TransientError
			if !errors.As(err, &te) {
				t.Fatalf("DeviceAuth = %v, want a *TransientError", err)
			}
			if got := te.Kind(); got != tt.kind {
				t.Errorf("Kind() = %d, want %d (err %v)", got, tt.kind, err)
			}
			if got := te.Summary(); got != tt.summary {
				t.Errorf("Summary() = %q, want %q (err %v)", got, tt.summary, err)
			}
			if got := te.Hint(); got != tt.hint {
				t.Errorf("Hint() = %q, want %q", got, tt.hint)
			}
		})
	}

	// The same CA and a good certificate work: the failures above are the
	// certificates', not the test's.
	if err := deviceAuthAt(t, ca.file, tlsServer(t, &good, deviceAuthOK).URL, 0); err != nil {
		t.Errorf("DeviceAuth with a trusted certificate = %v", err)
	}
}

// Failures the machine cannot produce on demand, as the dialer reports
// them.
func TestTransientErrorReasonNetwork(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	for _, tt := range []struct {
		name    string
		err     error
		reason  string
		summary string
	}{
		{"name not found", &net.DNSError{Err: "no such host", Name: "as.example", IsNotFound: true},
			"the server's name does not resolve", "The server's name does not resolve."},
		{"DNS server unreachable", &net.DNSError{Err: "i/o timeout", Name: "as.example", IsTimeout: true},
			"DNS failed", "Can't reach the server (DNS failed)."},
		{"network unreachable", dial(syscall.ENETUNREACH), "no route to the server", "Can't reach the server (no route to the server)."},
		{"no route to host", dial(syscall.EHOSTUNREACH), "no route to the server", "Can't reach the server (no route to the server)."},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
			"no connection", "Can't reach the server (no connection)."},
		{"no system roots", x509.SystemRootsError{}, "the device has no CA certificates", "The device has no CA certificates."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{
				HTTP:      &http.Client{Transport: wireTransport(func(*http.Request) (*http.Response, error) { return nil, tt.err })},
				Endpoints: wireTestEndpoints,
				Config:    ClientConfig{ClientID: "dev-1"},
			}
			_, err := c.PollToken(context.Background(), "DC")
			var te *TransientError
			if !errors.As(err, &te) {
				t.Fatalf("PollToken = %v, want a *TransientError", err)
			}
			if got := te.Reason(); got != tt.reason {
				t.Errorf("Reason() = %q, want %q", got, tt.reason)
			}
			if got := te.Summary(); got != tt.summary {
				t.Errorf("Summary() = %q, want %q", got, tt.summary)
			}
		})
	}
}

// Answers that are transient for OAuth reasons, as the profiles classify
// them.
func TestTransientErrorReasonHTTP(t *testing.T) {
	for _, tt := range []struct {
		name   string
		h      http.HandlerFunc
		reason string
	}{
		{"502 HTML", reply(502, "text/html", "<html>Bad Gateway</html>"), "HTTP 502"},
		{"429", reply(429, oauthtest.JSONType, `{"error":"slow_down"}`), "HTTP 429"},
		{"temporarily_unavailable at 400", reply(400, oauthtest.JSONType, `{"error":"temporarily_unavailable"}`),
			"the server is temporarily unavailable"},
		{"400 JSON without error", reply(400, oauthtest.JSONType, `{"message":"nope"}`), "the server refused the request (HTTP 400)"},
		{"200 empty", reply(200, oauthtest.JSONType, ""), "the server's answer could not be read (empty)"},
		{"200 truncated JSON", reply(200, oauthtest.JSONType, `{"device_code":"DC","user_`), "the server's answer could not be read (not JSON)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newWireClient(&wireServer{handler: tt.h}, ClientConfig{ClientID: "dev-1"}, nil).DeviceAuth(context.Background())
			var te *TransientError
			if !errors.As(err, &te) {
				t.Fatalf("DeviceAuth = %v, want a *TransientError", err)
			}
			if got := te.Reason(); got != tt.reason {
				t.Errorf("Reason() = %q, want %q", got, tt.reason)
			}
		})
	}
}
