package oauth

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// metadataServer serves metadata documents by URL; anything else is a 404.
func metadataServer(docs map[string]string) *wireServer {
	return &wireServer{handler: func(w http.ResponseWriter, r *http.Request) {
		doc, ok := docs[r.URL.String()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(doc, "HTTP ") {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, doc)
	}}
}

func TestDiscover(t *testing.T) {
	const dexDoc = `{"issuer":"https://id.example/dex","device_authorization_endpoint":"https://id.example/dex/device/code",
		"token_endpoint":"https://id.example/dex/token","revocation_endpoint":"https://id.example/dex/revoke","userinfo_endpoint":"https://id.example/dex/userinfo"}`
	dexWant := Endpoints{Issuer: "https://id.example/dex", DeviceAuthorization: "https://id.example/dex/device/code",
		Token: "https://id.example/dex/token", Revocation: "https://id.example/dex/revoke", Userinfo: "https://id.example/dex/userinfo"}
	for _, tt := range []struct {
		name    string
		issuer  string
		docs    map[string]string
		want    Endpoints
		tried   []string
		wantErr string
	}{
		{
			name:   "RFC 8414 path issuer",
			issuer: "https://id.example/dex",
			docs:   map[string]string{"https://id.example/.well-known/oauth-authorization-server/dex": dexDoc},
			want:   dexWant,
			tried:  []string{"https://id.example/.well-known/oauth-authorization-server/dex"},
		},
		{
			name:   "fallback to openid-configuration, trailing slash",
			issuer: "https://id.example/dex/",
			docs:   map[string]string{"https://id.example/dex/.well-known/openid-configuration": dexDoc},
			want:   Endpoints{Issuer: "https://id.example/dex/", DeviceAuthorization: dexWant.DeviceAuthorization, Token: dexWant.Token, Revocation: dexWant.Revocation, Userinfo: dexWant.Userinfo},
			tried:  []string{"https://id.example/.well-known/oauth-authorization-server/dex", "https://id.example/dex/.well-known/openid-configuration"},
		},
		{
			name:   "host issuer",
			issuer: "https://as.example",
			docs: map[string]string{"https://as.example/.well-known/oauth-authorization-server": `{"issuer":"https://as.example/",
				"device_authorization_endpoint":"https://as.example/device","token_endpoint":"https://as.example/token"}`},
			want:  Endpoints{Issuer: "https://as.example", DeviceAuthorization: "https://as.example/device", Token: "https://as.example/token"},
			tried: []string{"https://as.example/.well-known/oauth-authorization-server"},
		},
		{
			name:   "first document lacks the device endpoint",
			issuer: "https://id.example/dex",
			docs: map[string]string{
				"https://id.example/.well-known/oauth-authorization-server/dex": `{"issuer":"https://id.example/dex","token_endpoint":"https://id.example/dex/token"}`,
				"https://id.example/dex/.well-known/openid-configuration":       dexDoc,
			},
			want:  dexWant,
			tried: []string{"https://id.example/.well-known/oauth-authorization-server/dex", "https://id.example/dex/.well-known/openid-configuration"},
		},
		{
			name:   "issuer mismatch",
			issuer: "https://id.example/dex",
			docs: map[string]string{
				"https://id.example/dex/.well-known/openid-configuration": strings.Replace(dexDoc, `"issuer":"https://id.example/dex"`, `"issuer":"https://evil.example/dex"`, 1),
			},
			wantErr: `document is for issuer "https://evil.example/dex"`,
		},
		{
			name:   "plain http endpoint",
			issuer: "https://id.example/dex",
			docs: map[string]string{
				"https://id.example/.well-known/oauth-authorization-server/dex": strings.Replace(dexDoc, "https://id.example/dex/token", "http://id.example/dex/token", 1),
			},
			wantErr: "token_endpoint http://id.example/dex/token: plain http is allowed only for loopback addresses",
		},
		{
			name:    "nothing there names both URLs",
			issuer:  "https://id.example/dex",
			wantErr: "https://id.example/.well-known/oauth-authorization-server/dex: HTTP 404; https://id.example/dex/.well-known/openid-configuration: HTTP 404",
		},
		{
			name:    "http issuer",
			issuer:  "http://example.com",
			wantErr: "discovery: issuer http://example.com: plain http is allowed only for loopback addresses; use https",
		},
		{
			name:   "http loopback issuer",
			issuer: "http://127.0.0.1:5556/dex",
			docs: map[string]string{"http://127.0.0.1:5556/.well-known/oauth-authorization-server/dex": `{"issuer":"http://127.0.0.1:5556/dex",
				"device_authorization_endpoint":"http://127.0.0.1:5556/dex/device","token_endpoint":"http://127.0.0.1:5556/dex/token"}`},
			want: Endpoints{Issuer: "http://127.0.0.1:5556/dex", DeviceAuthorization: "http://127.0.0.1:5556/dex/device", Token: "http://127.0.0.1:5556/dex/token"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := metadataServer(tt.docs)
			got, err := Discover(context.Background(), s.client(), tt.issuer)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Discover(%q) = %+v, %v; want error containing %q", tt.issuer, got, err, tt.wantErr)
				}
				var te *TransientError
				if errors.As(err, &te) {
					t.Errorf("Discover(%q) = %v: transient, want permanent", tt.issuer, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%q): %v", tt.issuer, err)
			}
			if got != tt.want {
				t.Errorf("Discover(%q) = %+v, want %+v", tt.issuer, got, tt.want)
			}
			if tt.tried != nil {
				var urls []string
				for _, r := range s.requests {
					if r.Method != "GET" || r.Accept != "application/json" {
						t.Errorf("request %+v, want GET accepting JSON", r)
					}
					urls = append(urls, r.URL)
				}
				if strings.Join(urls, " ") != strings.Join(tt.tried, " ") {
					t.Errorf("Discover(%q) fetched %q, want %q", tt.issuer, urls, tt.tried)
				}
			}
		})
	}
}

func TestDiscoverTransient(t *testing.T) {
	s := metadataServer(map[string]string{"https://as.example/.well-known/oauth-authorization-server": "HTTP 503"})
	_, err := Discover(context.Background(), s.client(), "https://as.example")
	var te *TransientError
	if !errors.As(err, &te) || te.Op != "discovery" {
		t.Errorf("Discover with a 503 = %v, want *TransientError", err)
	}
	hc := &http.Client{Transport: wireTransport(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("network is unreachable")
	})}
	if _, err := Discover(context.Background(), hc, "https://as.example"); !errors.As(err, &te) {
		t.Errorf("Discover offline = %v, want *TransientError", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" means accepted
	}{
		{"https://as.example/token", ""},
		{"https://as.example:8443/t?tenant=1", ""},
		{"http://localhost:8080/token", ""},
		{"http://LOCALHOST/token", ""},
		{"http://127.0.0.1/token", ""},
		{"http://127.3.4.5:99/token", ""},
		{"http://[::1]:8080/token", ""},
		{"http://example.com", "http://example.com: plain http is allowed only for loopback addresses; use https"},
		{"http://192.168.1.2/token", "plain http is allowed only for loopback"},
		{"http://localhost.evil.example/", "plain http is allowed only for loopback"},
		{"https://user:hunter2@as.example/", "user info in a URL is not allowed"},
		{"ftp://as.example/", "scheme must be https"},
		{"as.example/token", "scheme must be https"},
		{"https:///token", "no host"},
		{"https://as.example/token#frag", "fragment"},
		{"https://as example/", "not a valid URL"},
	} {
		err := CheckURL(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckURL(%q) = %v, want error containing %q", tt.in, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("CheckURL(%q) = %v: leaks the password", tt.in, err)
		}
	}
}

func TestNewHTTPClientCAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewHTTPClient(filepath.Join(dir, "missing.pem"), 0); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("NewHTTPClient(missing file) = %v, want an error naming the file", err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHTTPClient(empty, 0); err == nil || !strings.Contains(err.Error(), "empty.pem") || !strings.Contains(err.Error(), "no PEM certificates") {
		t.Errorf("NewHTTPClient(no certs) = %v, want an error naming the file", err)
	}

	// A private CA: trusted with the file, refused without it.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, err := NewHTTPClient(ca, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET with the CA file: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET with the CA file: HTTP %d", resp.StatusCode)
	}

	plain, err := NewHTTPClient("", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.CloseIdleConnections()
	if resp, err := plain.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("GET without the CA file succeeded; TLS verification is off")
	}
	if got := plain.Transport.(*http.Transport).TLSClientConfig.MinVersion; got < 0x0303 {
		t.Errorf("MinVersion = %#x, want TLS 1.2 or newer", got)
	}
}

func TestCheckRedirect(t *testing.T) {
	req := func(method, u string) *http.Request {
		r, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tt := range []struct {
		name    string
		from    *http.Request
		to      string
		wantErr string // "" means followed
	}{
		{"https to https", req("GET", "https://a.example/x"), "https://b.example/y", ""},
		{"https to http", req("GET", "https://a.example/x"), "http://b.example/y", "from https"},
		{"https to http loopback", req("GET", "https://a.example/x"), "http://127.0.0.1/y", "from https"},
		{"http loopback to http elsewhere", req("GET", "http://localhost/x"), "http://b.example/y", "plain http"},
		{"POST not followed", req("POST", "https://a.example/token"), "https://a.example/token2", http.ErrUseLastResponse.Error()},
	} {
		err := checkRedirect(req("GET", tt.to), []*http.Request{tt.from})
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: checkRedirect = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

// A discovery that fails on the certificate says so (not "no connection"),
// says "discovery" once and names each URL once.
func TestDiscoverReason(t *testing.T) {
	ca := newTestCA(t)
	srv := tlsServer(t, nil, reply(200, oauthtest.JSONType, `{}`)) // httptest's certificate: not from ca
	hc, err := NewHTTPClient(ca.file, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Discover(context.Background(), hc, srv.URL)
	var te *TransientError
	if !errors.As(err, &te) {
		t.Fatalf("Discover = %v, want a *TransientError", err)
	}
	if got, want := te.Summary(), "The server's certificate is not trusted."; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	msg := err.Error()
	if n := strings.Count(msg, "discovery"); n != 1 {
		t.Errorf("error %q says discovery %d times, want once", msg, n)
	}
	for _, u := range []string{srv.URL + "/.well-known/oauth-authorization-server", srv.URL + "/.well-known/openid-configuration"} {
		if n := strings.Count(msg, u); n != 1 {
			t.Errorf("error %q names %s %d times, want once", msg, u, n)
		}
	}
}
