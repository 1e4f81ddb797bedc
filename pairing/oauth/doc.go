// Package oauth speaks OAuth 2.0 to the authorization server, for a
// device that pairs by the Device Authorization Grant. It knows nothing of
// the store, the screen or the loop: it makes requests and sorts answers.
//
// It follows these documents:
//
//   - RFC 8628 §3.1–3.2: the device authorization request (client_id,
//     scope) and its response (device_code, user_code, verification_uri,
//     verification_uri_complete, expires_in, interval — "If no value is
//     provided, clients MUST use 5 as the default").
//   - RFC 8628 §3.3: the user code is shown even when a QR code of
//     verification_uri_complete is.
//   - RFC 8628 §3.4–3.5: the device access token request and its errors
//     (authorization_pending, slow_down — "the interval MUST be increased
//     by 5 seconds for this and all subsequent requests" — access_denied,
//     expired_token).
//   - RFC 6749 §2.3.1: client authentication, HTTP Basic with
//     form-urlencoded id and secret, or the secret in the form; §5.1 and
//     §5.2: successful and error token responses; §6: refreshing.
//   - RFC 8414 §3: finding the endpoints from the issuer's metadata.
//   - RFC 7009 §2: revoking a token on unpairing.
//
// Client makes exactly one HTTP request per call and sorts each answer
// into what the caller (the polling loop) needs to know: an *OAuthError from the
// server, a *TransientError that says nothing about the grant (the network,
// a 5xx, a proxy's HTML page), or one of the sentinels ErrUnsupported,
// ErrMissingExpiresIn, ErrBadToken and ErrConsumed. The Profile interface
// holds what differs between servers; RFC8628 is the standard one, and it
// also accepts the common deviations (GitHub's HTTP 200 with
// authorization_pending and form-encoded bodies, Google's
// verification_url, numbers sent as strings).
package oauth
