// Package pairing pairs a device that has a screen but no keyboard with a
// user's account by the OAuth 2.0 Device Authorization Grant (RFC 8628),
// and keeps the resulting tokens fresh.
//
// The wire layer speaks these documents:
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
// into what the polling loop needs to know: an *OAuthError from the
// server, a *TransientError that says nothing about the grant (the network,
// a 5xx, a proxy's HTML page), or one of the sentinels ErrUnsupported,
// ErrMissingExpiresIn, ErrBadToken and ErrConsumed. The Profile interface
// holds what differs between servers; RFC8628 is the standard one, and it
// also accepts the common deviations (GitHub's HTTP 200 with
// authorization_pending and form-encoded bodies, Google's
// verification_url, numbers sent as strings).
//
// Machine is the loop. Its timing runs on monotonic time; the wall clock
// only stamps what is stored, and a stored time is believed only when it
// is consistent with the clock that reads it: a token's age is now minus
// its IssuedAt on the same clock (one stamped in what is now the future is
// due at once), and a code is resumed only when it was issued before now,
// for no longer than a server may grant. Refreshes come half a lifetime
// ahead at the latest and at least minRefreshGap apart (RFC 6749 §6 leaves
// the schedule to the client); codes that end unused within a minute, one
// after another, back off instead of looping. Every secret the
// server hands out (a rotated refresh token above all: the old one is
// dead) is committed before anything else happens, and a failed commit is
// retried with the secret held in memory.
//
// The states (State) and how Machine moves between them:
//
//   - unpaired (0) asks the server for a device code: awaiting_user (1)
//     when it gets one, error (4) when it cannot.
//   - awaiting_user polls: paired (2) on approval, once the tokens are
//     committed; denied (3) on access_denied; expired (5) on
//     expired_token, invalid_grant or the code's own deadline; error on a
//     lost 200 body, a success without a Bearer token or any other
//     refusal. Pending, slow_down and transient failures (the network, a
//     5xx) keep it polling.
//   - denied, expired and error ask for a new code after their wait (the
//     denial cool-down, the backoff for codes that die young, the error
//     backoff), and go on like unpaired.
//   - paired goes back to unpaired when the grant is gone: a refresh gets
//     invalid_grant or there is no refresh token, a check finds the grant
//     rejected and there is no credential to exchange again, or the
//     database was damaged; `pairingd unpair` does the same.
//   - any state goes to unpaired when the configured server differs from
//     the stored one (paired and awaiting_user), when a new code is asked
//     for with Renew (all but paired), or when a stored code or token it
//     adopts can no longer be used.
//
// A device code, access token or refresh token is a secret: it never
// appears in a log line or an error message.
package pairing
