package oauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// wireTransport is an in-process http.RoundTripper: no sockets, so tests
// need no sleeping and work inside testing/synctest.
type wireTransport func(*http.Request) (*http.Response, error)

func (f wireTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wireServer calls a handler in-process and records the requests it saw.
type wireServer struct {
	mu       sync.Mutex
	requests []wireRequest
	handler  http.HandlerFunc
}

func (s *wireServer) client() *http.Client {
	return &http.Client{Transport: wireTransport(func(r *http.Request) (*http.Response, error) {
		var b []byte
		if r.Body != nil {
			var err error
			if b, err = io.ReadAll(r.Body); err != nil {
				return nil, err
			}
			r.Body.Close()
		}
		form, _ := url.ParseQuery(string(b))
		s.mu.Lock()
		s.requests = append(s.requests, wireRequest{
			Method: r.Method, URL: r.URL.String(), ContentType: r.Header.Get("Content-Type"),
			Accept: r.Header.Get("Accept"), Authorization: r.Header.Get("Authorization"), Form: form,
		})
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		rec := httptest.NewRecorder()
		s.handler(rec, r)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	})}
}

func (s *wireServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func reply(status int, ctype, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newWireClient(s *wireServer, cfg ClientConfig, logger *slog.Logger) *Client {
	return &Client{HTTP: s.client(), Endpoints: wireTestEndpoints, Config: cfg, Logger: logger}
}

func TestClientDeviceAuth(t *testing.T) {
	s := &wireServer{handler: reply(200, oauthtest.JSONType,
		`{"device_code":"DC","user_code":"WDJB-MJHT","verification_uri":"https://as.example/device","expires_in":"900"}`)}
	c := newWireClient(s, ClientConfig{ClientID: "dev-1", Scope: "openid"}, nil)
	da, err := c.DeviceAuth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode != "WDJB-MJHT" || da.VerificationURIComplete != "" || da.Interval.Seconds() != 5 {
		t.Errorf("DeviceAuth = %+v", da)
	}
	want := wireRequest{Method: "POST", URL: "https://as.example/device", ContentType: formType, Accept: "application/json",
		Form: url.Values{"client_id": {"dev-1"}, "scope": {"openid"}}}
	if got := s.requests; len(got) != 1 || got[0].Method != want.Method || got[0].URL != want.URL ||
		got[0].Form.Encode() != want.Form.Encode() || got[0].Accept != want.Accept || got[0].ContentType != want.ContentType {
		t.Errorf("requests = %+v, want [%+v]", got, want)
	}
}

func TestClientDeviceAuthUnsupported(t *testing.T) {
	for _, h := range []http.HandlerFunc{
		reply(404, "text/html", "<h1>404</h1>"),
		reply(400, oauthtest.JSONType, `{"error":"unauthorized_client"}`),
		reply(400, oauthtest.JSONType, `{"error":"device_flow_disabled"}`),
	} {
		s := &wireServer{handler: h}
		_, err := newWireClient(s, ClientConfig{ClientID: "dev-1"}, nil).DeviceAuth(context.Background())
		if !errors.Is(err, ErrUnsupported) || !strings.HasPrefix(err.Error(), "device authorization: ") {
			t.Errorf("DeviceAuth = %v, want ErrUnsupported with the op", err)
		}
	}
}

// One request per call, whatever the auth method and whatever the answer.
// x/oauth2's auto-detection sends a second one after every error.
func TestClientOneRequestPerCall(t *testing.T) {
	for _, cfg := range []ClientConfig{
		{ClientID: "dev-1"},
		{ClientID: "dev-1", ClientSecret: "sec"},
		{ClientID: "dev-1", ClientSecret: "sec", AuthMethod: AuthBasic},
		{ClientID: "dev-1", ClientSecret: "sec", AuthMethod: AuthPost},
	} {
		for _, h := range []http.HandlerFunc{
			reply(400, oauthtest.JSONType, `{"error":"authorization_pending"}`),
			reply(401, oauthtest.JSONType, `{"error":"invalid_client"}`),
			reply(400, oauthtest.JSONType, `{"error":"slow_down"}`),
			reply(502, "text/html", "<html/>"),
			reply(200, oauthtest.JSONType, `{"access_token":"AT","token_type":"Bearer"}`),
		} {
			s := &wireServer{handler: h}
			c := newWireClient(s, cfg, nil)
			c.PollToken(context.Background(), "DC")
			c.Refresh(context.Background(), Grant{RefreshToken: "RT"})
			c.DeviceAuth(context.Background())
			c.Revoke(context.Background(), "RT", "refresh_token")
			if got, want := s.count(), 4; got != want {
				t.Errorf("%+v: %d requests for 4 calls, want %d", cfg, got, want)
			}
			for _, r := range s.requests {
				basic := strings.HasPrefix(r.Authorization, "Basic ")
				if wantBasic := cfg.ClientSecret != "" && cfg.AuthMethod != AuthPost; basic != wantBasic {
					t.Errorf("%+v: Authorization %q, want Basic %v", cfg, r.Authorization, wantBasic)
				}
				if got, want := r.Form.Get("client_secret") != "", cfg.AuthMethod == AuthPost; got != want {
					t.Errorf("%+v: client_secret in form %v, want %v", cfg, got, want)
				}
				if r.Form.Get("client_id") != "dev-1" {
					t.Errorf("%+v: client_id %q", cfg, r.Form.Get("client_id"))
				}
			}
		}
	}
}

func TestClientPollTokenPending(t *testing.T) {
	s := &wireServer{handler: reply(200, oauthtest.JSONType, `{"error":"authorization_pending"}`)}
	_, err := newWireClient(s, ClientConfig{ClientID: "dev-1"}, nil).PollToken(context.Background(), "DC")
	if !errors.Is(err, ErrAuthorizationPending) || !strings.HasPrefix(err.Error(), "token request: ") {
		t.Errorf("PollToken = %v, want pending with the op", err)
	}
}

// Network failures are transient and name the op (the machine's backoff
// after them is tested in machine_test.go).
func TestClientNetworkErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}},
		{"dns", &net.DNSError{Err: "no such host", Name: "as.example", IsNotFound: true}},
		{"timeout", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{
				HTTP:      &http.Client{Transport: wireTransport(func(*http.Request) (*http.Response, error) { return nil, tt.err })},
				Endpoints: wireTestEndpoints,
				Config:    ClientConfig{ClientID: "dev-1"},
			}
			for _, call := range []struct {
				op string
				do func() error
			}{
				{"token request", func() error { _, err := c.PollToken(context.Background(), "DC"); return err }},
				{"refresh", func() error { _, err := c.Refresh(context.Background(), Grant{RefreshToken: "RT"}); return err }},
				{"device authorization", func() error { _, err := c.DeviceAuth(context.Background()); return err }},
				{"revocation", func() error { return c.Revoke(context.Background(), "RT", "") }},
			} {
				err := call.do()
				var te *TransientError
				if !errors.As(err, &te) || te.Op != call.op || te.HTTPStatus != 0 {
					t.Errorf("%s: err = %#v, want *TransientError{Op: %q}", call.op, err, call.op)
					continue
				}
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: err = %v does not wrap %v", call.op, err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), call.op+": ") {
					t.Errorf("%s: err = %q, want the op in front", call.op, err)
				}
			}
		})
	}
}

func TestClientTransientHTTP(t *testing.T) {
	s := &wireServer{handler: reply(502, "text/html", "<html><body>Bad Gateway</body></html>")}
	_, err := newWireClient(s, ClientConfig{ClientID: "dev-1"}, nil).PollToken(context.Background(), "DC")
	var te *TransientError
	if !errors.As(err, &te) || te.HTTPStatus != 502 || te.Op != "token request" {
		t.Fatalf("PollToken = %#v, want *TransientError 502", err)
	}
	if strings.Contains(err.Error(), "Bad Gateway") {
		t.Errorf("error %q quotes the body", err)
	}
}

// Cancellation aborts a request in flight, and is not a transient error.
func TestClientCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	c := &Client{
		HTTP: &http.Client{Transport: wireTransport(func(r *http.Request) (*http.Response, error) {
			close(started)
			<-r.Context().Done()
			return nil, r.Context().Err()
		})},
		Endpoints: wireTestEndpoints,
		Config:    ClientConfig{ClientID: "dev-1"},
	}
	go func() {
		<-started
		cancel()
	}()
	_, err := c.PollToken(ctx, "DC")
	var te *TransientError
	if !errors.Is(err, context.Canceled) || errors.As(err, &te) {
		t.Errorf("PollToken after cancel = %#v, want context.Canceled, not transient", err)
	}
}

type failingBody struct{ data io.Reader }

func (b *failingBody) Read(p []byte) (int, error) {
	n, err := b.data.Read(p)
	if err == io.EOF {
		return n, syscall.ECONNRESET
	}
	return n, err
}

func (b *failingBody) Close() error { return nil }

// A 200 whose body is lost may have spent the code.
func TestClientBodyLost(t *testing.T) {
	big := strings.Repeat("x", maxResponseBody+1)
	for _, tt := range []struct {
		name      string
		resp      func() *http.Response
		consumed  bool
		transient bool
	}{
		{"200 read error", func() *http.Response {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {oauthtest.JSONType}},
				Body: &failingBody{strings.NewReader(`{"access_token":"AT",`)}}
		}, true, false},
		{"200 too large", func() *http.Response {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(big))}
		}, true, false},
		{"500 read error", func() *http.Response {
			return &http.Response{StatusCode: 500, Header: http.Header{}, Body: &failingBody{strings.NewReader("oops")}}
		}, false, true},
		{"500 too large", func() *http.Response {
			return &http.Response{StatusCode: 500, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(big))}
		}, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{
				HTTP:      &http.Client{Transport: wireTransport(func(*http.Request) (*http.Response, error) { return tt.resp(), nil })},
				Endpoints: wireTestEndpoints,
				Config:    ClientConfig{ClientID: "dev-1"},
			}
			for _, call := range []func() (Token, error){
				func() (Token, error) { return c.PollToken(context.Background(), "DC") },
				func() (Token, error) { return c.Refresh(context.Background(), Grant{RefreshToken: "RT"}) },
			} {
				_, err := call()
				var te *TransientError
				if errors.Is(err, ErrConsumed) != tt.consumed || errors.As(err, &te) != tt.transient {
					t.Errorf("err = %v, want consumed %v, transient %v", err, tt.consumed, tt.transient)
				}
			}
			// Losing a device authorization answer spends nothing.
			_, err := c.DeviceAuth(context.Background())
			var te *TransientError
			if !errors.As(err, &te) {
				t.Errorf("DeviceAuth = %v, want transient", err)
			}
		})
	}
}

// A redirected POST is not followed: it would resend the form.
func TestClientNoRedirect(t *testing.T) {
	s := &wireServer{handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/token?x=1", http.StatusTemporaryRedirect)
	}}
	c := newWireClient(s, ClientConfig{ClientID: "dev-1", ClientSecret: "sec"}, nil)
	c.HTTP.CheckRedirect = nil // the default would follow a 307 with the body
	_, err := c.PollToken(context.Background(), "DC")
	var te *TransientError
	if !errors.As(err, &te) || te.HTTPStatus != 307 || !strings.Contains(err.Error(), "https://elsewhere.example/token") {
		t.Errorf("PollToken = %v, want a transient 307 naming the target", err)
	}
	if got := s.count(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestClientRevoke(t *testing.T) {
	s := &wireServer{handler: reply(200, "", "")}
	c := newWireClient(s, ClientConfig{ClientID: "dev-1"}, nil)
	if err := c.Revoke(context.Background(), "RT", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if got, want := s.requests[0].Form.Encode(), "client_id=dev-1&token=RT&token_type_hint=refresh_token"; got != want {
		t.Errorf("revocation form = %q, want %q", got, want)
	}

	c.Endpoints.Revocation = ""
	if err := c.Revoke(context.Background(), "RT", ""); err != nil || s.count() != 1 {
		t.Errorf("Revoke without endpoint = %v after %d requests, want nil after 1", err, s.count())
	}

	s.handler = reply(503, "", "")
	c.Endpoints.Revocation = wireTestEndpoints.Revocation
	err := c.Revoke(context.Background(), "RT", "")
	var te *TransientError
	if !errors.As(err, &te) || te.Op != "revocation" {
		t.Errorf("Revoke on 503 = %#v, want transient", err)
	}
}

func TestClientNilHTTP(t *testing.T) {
	c := &Client{Endpoints: wireTestEndpoints, Config: ClientConfig{ClientID: "dev-1"}}
	if _, err := c.PollToken(context.Background(), "DC"); err == nil {
		t.Error("PollToken with nil HTTP succeeded")
	}
}

// No secret in any error string or log line, even when the server echoes
// it back.
func TestClientNoSecretsInErrorsOrLogs(t *testing.T) {
	const (
		deviceCode   = "DEVICE-CODE-s3cr3t-1"
		accessToken  = "ACCESS-TOKEN-s3cr3t-2"
		refreshToken = "REFRESH-TOKEN-s3cr3t-3"
		clientSecret = "CLIENT-SECRET-s3cr3t-4"
	)
	secrets := []string{deviceCode, accessToken, refreshToken, clientSecret}
	// $ECHO becomes the secrets the request carried: a hostile server
	// can only echo what it was sent.
	bodies := []struct {
		status      int
		ctype, body string
	}{
		{200, oauthtest.JSONType, `{"device_code":"` + deviceCode + `","user_code":"U","verification_uri":"https://a.example/d","expires_in":60}`},
		{200, oauthtest.JSONType, `{"access_token":"` + accessToken + `","token_type":"Bearer","refresh_token":"` + refreshToken + `"}`},
		{200, oauthtest.JSONType, `{"access_token":"` + accessToken + `","token_type":"mac"}`},
		{200, oauthtest.JSONType, `{"access_token":"` + accessToken + `","tok`},
		{200, oauthtest.JSONType, `{"error":"authorization_pending"}`},
		{400, oauthtest.JSONType, `{"error":"invalid_grant","error_description":"code $ECHO is spent"}`},
		{400, oauthtest.JSONType, `{"error":"$ECHO"}`},
		{400, formType, "error=slow_down&error_uri=https%3A%2F%2Fx.example%2F$ECHO"},
		{429, oauthtest.JSONType, `{"error_description":"$ECHO"}`},
		{500, "text/html", "<html>$ECHO</html>"},
		{500, oauthtest.JSONType, `{"error":"server_error","error_description":"$ECHO"}`},
		{302, "", ""},
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []string
	for _, b := range bodies {
		for _, method := range []string{AuthBasic, AuthPost} {
			s := &wireServer{handler: func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				echo := []string{}
				for _, k := range []string{"device_code", "refresh_token", "token", "client_secret"} {
					if v := r.PostForm.Get(k); v != "" {
						echo = append(echo, v)
					}
				}
				if _, pw, ok := r.BasicAuth(); ok {
					pw, _ = url.QueryUnescape(pw)
					echo = append(echo, pw)
				}
				if b.status == 302 {
					w.Header().Set("Location", "https://x.example/?device_code="+strings.Join(echo, ","))
				}
				reply(b.status, b.ctype, strings.ReplaceAll(b.body, "$ECHO", strings.Join(echo, " ")))(w, r)
			}}
			c := newWireClient(s, ClientConfig{ClientID: "dev-1", ClientSecret: clientSecret, AuthMethod: method}, logger)
			c.Endpoints.Token = "https://as.example/token?tenant=1"
			_, err1 := c.DeviceAuth(context.Background())
			_, err2 := c.PollToken(context.Background(), deviceCode)
			_, err3 := c.Refresh(context.Background(), Grant{RefreshToken: refreshToken})
			err4 := c.Revoke(context.Background(), accessToken, "access_token")
			for _, err := range []error{err1, err2, err3, err4} {
				if err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	// And the network failing.
	c := &Client{
		HTTP: &http.Client{Transport: wireTransport(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection reset")
		})},
		Endpoints: wireTestEndpoints,
		Config:    ClientConfig{ClientID: "dev-1", ClientSecret: clientSecret},
		Logger:    logger,
	}
	_, err := c.PollToken(context.Background(), deviceCode)
	errs = append(errs, err.Error())

	if logs.Len() == 0 || len(errs) < 20 {
		t.Fatalf("the test saw too little: %d bytes of logs, %d errors", logs.Len(), len(errs))
	}
	if !strings.Contains(strings.Join(errs, "\n"), "[redacted]") {
		t.Errorf("no error was redacted; the hostile server did not echo anything?")
	}
	for _, secret := range secrets {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log output contains %q:\n%s", secret, logs.String())
		}
		for _, e := range errs {
			if strings.Contains(e, secret) {
				t.Errorf("error %q contains %q", e, secret)
			}
		}
	}
}
