package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// OAuth error codes the loop branches on (RFC 6749 §5.2, RFC 8628 §3.5).
const (
	CodeAuthorizationPending = "authorization_pending"
	CodeSlowDown             = "slow_down"
	CodeAccessDenied         = "access_denied"
	CodeExpiredToken         = "expired_token"
	CodeInvalidGrant         = "invalid_grant"
	CodeInvalidClient        = "invalid_client"
	CodeUnauthorizedClient   = "unauthorized_client"
	CodeDeviceFlowDisabled   = "device_flow_disabled"
	CodeTemporarilyUnavail   = "temporarily_unavailable"
	CodeServerError          = "server_error"
)

// OAuthError is an error response from the server: an `error` field in the
// body (whatever the HTTP status, since GitHub answers 200 with
// authorization_pending), or an HTTP 429.
//
// Match it with errors.Is against the sentinels below (which compare the
// code only) or errors.As to read the details.
type OAuthError struct {
	// Code is the `error` field. An HTTP 429 without one gets
	// CodeSlowDown.
	Code string
	// Description is `error_description`, sanitised; it may be shown.
	Description string
	// URI is `error_uri`.
	URI string
	// HTTPStatus is the response's status code.
	HTTPStatus int
	// Interval is the `interval` a slow_down body may carry (GitHub sends
	// one); zero when absent.
	Interval time.Duration
	// RetryAfter is the Retry-After header of a 429 or 503; zero when
	// absent.
	RetryAfter time.Duration
}

func (e *OAuthError) Error() string {
	s := fmt.Sprintf("server error %q (HTTP %d)", e.Code, e.HTTPStatus)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is reports whether target is an *OAuthError with the same code, so that
// errors.Is(err, ErrSlowDown) works on any slow_down response.
func (e *OAuthError) Is(target error) bool {
	t, ok := target.(*OAuthError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; they compare by code.
var (
	ErrAuthorizationPending = &OAuthError{Code: CodeAuthorizationPending}
	ErrSlowDown             = &OAuthError{Code: CodeSlowDown}
	ErrAccessDenied         = &OAuthError{Code: CodeAccessDenied}
	ErrExpiredToken         = &OAuthError{Code: CodeExpiredToken}
	ErrInvalidGrant         = &OAuthError{Code: CodeInvalidGrant}
)

// ErrUnsupported means the server does not offer the device flow to this
// client: a 404 from the device authorization endpoint, or 400/401 with
// unauthorized_client, invalid_client or device_flow_disabled. The daemon
// backs off and shows the reason; it does not hot-loop.
var ErrUnsupported = errors.New("device authorization not available for this client")

// ErrMissingExpiresIn means a device authorization response had no usable
// expires_in (RFC 8628 §3.2 makes it REQUIRED). Without it we could poll
// forever, so the response is refused.
var ErrMissingExpiresIn = errors.New("device authorization response has no expires_in")

// ErrBadToken means a token response said success but is unusable: an empty
// access_token or a token_type other than Bearer.
var ErrBadToken = errors.New("unusable token response")

// ErrConsumed means a token request got HTTP 200 but the body could not be
// read or parsed. The server may have spent the device code on it, so it is
// not polled again: the daemon starts over with a new code.
var ErrConsumed = errors.New("token response lost after HTTP 200")

// TransientError is a failure that says nothing about the grant: the
// network (refused, reset, timeout, DNS), a 5xx without an OAuth body, or a
// body that is not OAuth at all (an HTML page from a proxy or a captive
// portal). The loop backs off and tries again while the code is valid.
type TransientError struct {
	// Op is what was being done, for example "token request".
	Op string
	// HTTPStatus is 0 for network errors.
	HTTPStatus int
	// RetryAfter is the Retry-After header, when the server sent one.
	RetryAfter time.Duration
	// Err is the cause.
	Err error
}

func (e *TransientError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v", e.Op, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// Failure is the kind of a TransientError, as people need to hear it: what
// went wrong, and whether they can do something about it.
type Failure int

// The kinds of TransientError. They are derived from the error's cause
// (with errors.As and errors.Is) and its HTTPStatus.
const (
	// FailureOther is a network failure of no better known kind (a reset
	// connection, say): "no connection".
	FailureOther Failure = iota
	// FailureCertUntrusted: the server's certificate chain ends in a CA the
	// device does not trust.
	FailureCertUntrusted
	// FailureNoRoots: the device has no CA certificates at all (a
	// Buildroot image without ca-certificates).
	FailureNoRoots
	// FailureCertExpired: the certificate has expired or is not yet valid,
	// which on a device without a real-time clock often means its clock is
	// wrong.
	FailureCertExpired
	// FailureCertHostname: the certificate is for another host name.
	FailureCertHostname
	// FailureCertInvalid: the certificate is refused for another reason.
	FailureCertInvalid
	// FailureNotTLS: an https URL points at a port that answers in
	// plain text.
	FailureNotTLS
	// FailureTLS: the TLS handshake failed (the server sent an alert).
	FailureTLS
	// FailureTimeout: the server did not answer in time.
	FailureTimeout
	// FailureRefused: nothing listens on the server's port.
	FailureRefused
	// FailureNameNotFound: the server's host name does not exist.
	FailureNameNotFound
	// FailureDNS: name resolution failed (no DNS server reachable, say).
	FailureDNS
	// FailureNoNetwork: no route to the server; the device is offline.
	FailureNoNetwork
	// FailureRedirect: the server answered with a redirect, which is not
	// followed for a POST.
	FailureRedirect
	// FailureUnreadable: a 2xx answer whose body is not usable (not JSON,
	// too large, empty).
	FailureUnreadable
	// FailureServerError: HTTP 5xx or 429.
	FailureServerError
	// FailureServerBusy: an OAuth server_error or temporarily_unavailable
	// below HTTP 500.
	FailureServerBusy
	// FailureRequestRefused: an HTTP 4xx without an OAuth error body (a
	// proxy or a firewall, or the wrong URL).
	FailureRequestRefused
	// FailureElsewhere: something else answered in the server's place: a
	// redirect to another host, or a web page where JSON was expected (a
	// network that wants a sign-in first, a proxy).
	FailureElsewhere
)

// failureNames are the kinds' names in metrics: stable, since
// dashboards and alerts use them.
var failureNames = [...]string{
	FailureOther:          "other",
	FailureCertUntrusted:  "cert_untrusted",
	FailureNoRoots:        "no_ca_certificates",
	FailureCertExpired:    "cert_expired",
	FailureCertHostname:   "cert_hostname",
	FailureCertInvalid:    "cert_invalid",
	FailureNotTLS:         "not_tls",
	FailureTLS:            "tls",
	FailureTimeout:        "timeout",
	FailureRefused:        "refused",
	FailureNameNotFound:   "name_not_found",
	FailureDNS:            "dns",
	FailureNoNetwork:      "no_network",
	FailureRedirect:       "redirect",
	FailureUnreadable:     "unreadable",
	FailureServerError:    "server_error",
	FailureServerBusy:     "server_busy",
	FailureRequestRefused: "request_refused",
	FailureElsewhere:      "something_else_answered",
}

// String is the kind's name, as metrics label it: "timeout",
// "cert_untrusted".
func (f Failure) String() string {
	if int(f) < len(failureNames) {
		return failureNames[f]
	}
	return "other"
}

// Kind classifies the failure.
func (e *TransientError) Kind() Failure {
	k, _, _ := e.classify()
	return k
}

// Reason says in a few words, in lower case and without a final period,
// why the request failed: "connection refused", "the server's certificate
// is not trusted", "HTTP 503", "the server redirected to auth.example.com",
// "the server refused the request (HTTP 403)". It never quotes a response
// body; a host name from the server is sanitised.
func (e *TransientError) Reason() string {
	_, r, _ := e.classify()
	return r
}

// Hint says what to do about the failure, as a sentence ("Set ca_file to
// the CA that signed it."); it is empty when waiting is all there is to
// do.
func (e *TransientError) Hint() string {
	_, _, h := e.classify()
	return h
}

// Summary is the failure as one sentence for a screen or `pairingd
// status`. When the server was not reached, or only said a status code,
// it is "Can't reach the server (<Reason>)."; when the reason is a whole
// clause it is that clause: "The server's certificate is not trusted.",
// "The server refused the request (HTTP 403)." The caller may add when it
// retries, and Hint.
func (e *TransientError) Summary() string {
	k, r, _ := e.classify()
	switch k {
	case FailureOther, FailureRefused, FailureDNS, FailureNoNetwork, FailureServerError, FailureTLS:
		return "Can't reach the server (" + r + ")."
	}
	return upperFirst(r) + "."
}

// upperFirst capitalises the first letter, for a clause that starts a
// sentence.
func upperFirst(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(c)) + s[n:]
}

// classify derives the kind, reason and hint from the cause and the status.
// The order matters: certificate errors arrive wrapped in url.Error and
// tls.CertificateVerificationError, and a DNS timeout is a DNS failure.
// net/http turns a TLS record header that reads "HTTP/" into
// http.ErrSchemeMismatch; other plain-text answers stay a
// tls.RecordHeaderError.
func (e *TransientError) classify() (Failure, string, string) {
	var (
		redir   *redirectError
		roots   x509.SystemRootsError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		dns     *net.DNSError
		ne      net.Error
		body    *bodyError
		oe      *OAuthError
		se      *statusError
	)
	err := e.Err
	switch {
	case errors.As(err, &redir) && redir.elsewhere && redir.host != "":
		return FailureElsewhere, "something else answered: a redirect to " + redir.host + " (a network that wants a sign-in?)",
			"Sign in to this network, or check the server URL."
	case errors.As(err, &redir):
		if redir.host == "" {
			return FailureRedirect, fmt.Sprintf("the server redirected (HTTP %d)", redir.status), "Configure the final URL."
		}
		return FailureRedirect, "the server redirected to " + redir.host, "Configure the final URL."
	case errors.As(err, &roots):
		return FailureNoRoots, "the device has no CA certificates", "Install CA certificates or set ca_file."
	case errors.As(err, &unknown):
		return FailureCertUntrusted, "the server's certificate is not trusted", "Set ca_file to the CA that signed it."
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return FailureCertExpired, "the server's certificate has expired or is not yet valid", "Check the device's clock and the certificate."
	case errors.As(err, &host):
		return FailureCertHostname, "the certificate is for another host name", "Check the server URL."
	case errors.As(err, &invalid), errors.As(err, &verify):
		return FailureCertInvalid, "the server's certificate is not valid", "Check the server's certificate."
	case errors.As(err, &record), errors.Is(err, http.ErrSchemeMismatch):
		return FailureNotTLS, "the server does not speak TLS here", "Check the server URL's scheme and port."
	case errors.As(err, &alert):
		return FailureTLS, "TLS handshake failed", ""
	case errors.As(err, &dns) && dns.IsNotFound:
		return FailureNameNotFound, "the server's name does not resolve", "Check the server URL."
	case errors.As(err, &dns):
		return FailureDNS, "DNS failed", "Check the device's network settings."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return FailureTimeout, "the server did not answer in time", ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureRefused, "connection refused", "Check that the server is running and the URL's port."
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EHOSTDOWN):
		return FailureNoNetwork, "no route to the server", "Check the device's network connection."
	}
	status := e.HTTPStatus
	if status == 0 && errors.As(err, &se) {
		status = se.status
	}
	switch {
	case status >= 500 || status == 429:
		return FailureServerError, fmt.Sprintf("HTTP %d", status), ""
	case errors.As(err, &oe) && transientCode(oe.Code):
		if oe.Code == CodeTemporarilyUnavail {
			return FailureServerBusy, "the server is temporarily unavailable", ""
		}
		return FailureServerBusy, "the server reported an internal error", ""
	case status >= 400:
		return FailureRequestRefused, fmt.Sprintf("the server refused the request (HTTP %d)", status), "Check the server URL."
	case errors.As(err, &body) && body.html:
		return FailureElsewhere, "something else answered: a web page, not the server (a network that wants a sign-in?)",
			"Sign in to this network, or check the server URL."
	case errors.As(err, &body):
		return FailureUnreadable, "the server's answer could not be read (" + body.detail + ")", ""
	case status >= 200 && status <= 299:
		return FailureUnreadable, "the server's answer could not be read", ""
	}
	return FailureOther, "no connection", ""
}

// bodyError is a response body that cannot be used. Its message describes
// the body's kind, never its content (a token response holds secrets);
// detail is the few words TransientError.Reason shows.
type bodyError struct {
	msg    string
	detail string
	// html marks a web page where JSON was expected: something else
	// answered (a network's sign-in page, a proxy).
	html bool
}

func (e *bodyError) Error() string { return e.msg }

// notJSON is the bodyError for a body that is not the JSON expected.
func notJSON(msg string) error { return &bodyError{msg: msg, detail: "not JSON"} }

// errBodyTooLarge is a body over maxResponseBody.
var errBodyTooLarge = &bodyError{msg: "response body larger than 1 MiB", detail: "larger than 1 MiB"}

// redirectError is a 3xx answer to a POST, which is not followed: the form
// and its secrets would go wherever the server points.
type redirectError struct {
	status int
	// to is the target without query, for logs; host is its sanitised
	// host name, for screens. Both are empty without a Location.
	to, host string
	// elsewhere marks a redirect to another host than the request's.
	elsewhere bool
}

func (e *redirectError) Error() string {
	to := e.to
	if to == "" {
		to = "elsewhere"
	}
	return fmt.Sprintf("not following a redirect of a POST to %s; configure the final URL", to)
}

// statusError is an unexpected HTTP status, for requests whose
// TransientError carries no single status (discovery tries two URLs).
type statusError struct{ status int }

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }
