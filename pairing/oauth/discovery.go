package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/pairingd/pairingd/internal/sanitize"
)

// Discover reads the server's metadata and returns its endpoints.
//
// It tries the RFC 8414 §3 URL first, which puts the well-known part
// before the issuer's path (https://host/dex becomes
// https://host/.well-known/oauth-authorization-server/dex), then OpenID
// Connect Discovery's, which appends it
// (https://host/dex/.well-known/openid-configuration). The first HTTP 200
// JSON document that names a device_authorization_endpoint and a
// token_endpoint, carries our issuer (RFC 8414 §3.3: otherwise "the data
// contained in the response MUST NOT be used") and whose endpoints pass
// CheckURL wins.
//
// When no document is usable and one of the attempts failed on the
// network, a 5xx or a 429, the error is a *TransientError: the metadata
// may well be there once the network is.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	if hc == nil {
		return Endpoints{}, errors.New("discovery: no HTTP client")
	}
	if err := CheckURL(issuer); err != nil {
		return Endpoints{}, fmt.Errorf("discovery: issuer %w", err)
	}
	u, _ := url.Parse(issuer) // CheckURL parsed it
	if u.RawQuery != "" || u.ForceQuery {
		// RFC 8414 §2: the issuer has "no query or fragment components".
		return Endpoints{}, fmt.Errorf("discovery: issuer %s: must not have a query", issuer)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	urls := []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + path + "/.well-known/openid-configuration",
	}

	c := *hc
	c.CheckRedirect = checkRedirect
	de := &DiscoveryError{issuer: issuer}
	transient := false
	for _, mu := range urls {
		ep, tr, err := discover1(ctx, &c, issuer, mu)
		if err == nil {
			return ep, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return Endpoints{}, fmt.Errorf("discovery: %s: %w", mu, cerr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			// "Get <url>: ..." would name the URL a second time.
			err = ue.Err
		}
		transient = transient || tr
		de.tries = append(de.tries, discoveryTry{url: mu, err: err, transient: tr})
	}
	if transient {
		return Endpoints{}, &TransientError{Op: "discovery", Err: de}
	}
	return Endpoints{}, fmt.Errorf("discovery: %w", de)
}

// DiscoveryError says what each metadata URL answered. It unwraps to the
// causes of the tries worth retrying (a network failure, a 5xx), so that
// TransientError.Reason can name them.
type DiscoveryError struct {
	issuer string
	tries  []discoveryTry
}

type discoveryTry struct {
	url       string
	err       error
	transient bool
}

func (e *DiscoveryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no usable metadata for issuer %s (tried ", e.issuer)
	for i, t := range e.tries {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", t.url, t.err)
	}
	b.WriteString(")")
	return b.String()
}

// Brief is the failure in few words, for a screen: the issuer once and
// what each document URL answered, without the URLs.
func (e *DiscoveryError) Brief() string {
	causes := make([]string, 0, len(e.tries))
	for _, t := range e.tries {
		causes = append(causes, t.err.Error())
	}
	return fmt.Sprintf("none found for %s (%s)", e.issuer, strings.Join(causes, "; "))
}

// Unwrap returns the causes worth retrying.
func (e *DiscoveryError) Unwrap() []error {
	var errs []error
	for _, t := range e.tries {
		if t.transient {
			errs = append(errs, t.err)
		}
	}
	return errs
}

// serverMetadata is the part of RFC 8414 §2 (and OpenID Connect
// Discovery) metadata that pairingd uses.
type serverMetadata struct {
	Issuer                      string `json:"issuer"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	RevocationEndpoint          string `json:"revocation_endpoint"`
	UserinfoEndpoint            string `json:"userinfo_endpoint"`
}

// discover1 fetches and checks one metadata document. transient reports
// whether trying again later might help.
func discover1(ctx context.Context, hc *http.Client, issuer, metadataURL string) (ep Endpoints, transient bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return Endpoints{}, false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Endpoints{}, true, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return Endpoints{}, true, fmt.Errorf("reading body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		tr := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return Endpoints{}, tr, &statusError{status: resp.StatusCode}
	}
	if len(body) > maxResponseBody {
		return Endpoints{}, false, errors.New("document larger than 1 MiB")
	}
	ep, err = parseMetadata(issuer, body)
	return ep, false, err
}

// parseMetadata checks a metadata document (RFC 8414 §2) for issuer and
// returns its endpoints. Its errors never quote the document, only the
// issuer it names.
func parseMetadata(issuer string, body []byte) (Endpoints, error) {
	var md serverMetadata
	if err := json.Unmarshal(body, &md); err != nil {
		return Endpoints{}, errors.New("not a JSON object")
	}
	if strings.TrimSuffix(md.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return Endpoints{}, fmt.Errorf("document is for issuer %q, not ours (RFC 8414 §3.3)", sanitize.Line(md.Issuer, 200))
	}
	if md.DeviceAuthorizationEndpoint == "" {
		return Endpoints{}, errors.New("no device_authorization_endpoint")
	}
	if md.TokenEndpoint == "" {
		return Endpoints{}, errors.New("no token_endpoint")
	}
	for _, e := range []struct{ name, url string }{
		{"device_authorization_endpoint", md.DeviceAuthorizationEndpoint},
		{"token_endpoint", md.TokenEndpoint},
		{"revocation_endpoint", md.RevocationEndpoint},
		{"userinfo_endpoint", md.UserinfoEndpoint},
	} {
		if e.url == "" {
			continue
		}
		if err := CheckURL(e.url); err != nil {
			return Endpoints{}, fmt.Errorf("%s %w", e.name, err)
		}
	}
	return Endpoints{
		Issuer:              issuer,
		DeviceAuthorization: md.DeviceAuthorizationEndpoint,
		Token:               md.TokenEndpoint,
		Revocation:          md.RevocationEndpoint,
		Userinfo:            md.UserinfoEndpoint,
	}, nil
}

// CheckURL accepts a server URL: https, or plain http to a loopback
// address (127.0.0.0/8, ::1 or "localhost") for development. Tokens and
// client secrets travel to these URLs, so anything else in clear text is
// refused, as is user info (it would end up in logs) and a fragment
// (RFC 6749 §3.1, §3.2). The error starts with the URL, redacted, so a
// caller can put the URL's role in front: "issuer " + err.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("is not a valid URL: %v", err)
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("%s: user info in a URL is not allowed (it would end up in logs)", u.Redacted())
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%s: scheme must be https", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%s: no host", u.Redacted())
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%s: a fragment is not allowed", u.Redacted())
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%s: plain http is allowed only for loopback addresses; use https", u.Redacted())
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
