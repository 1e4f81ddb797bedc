// Package pairing pairs a device that has a screen but no keyboard with a
// user's account by the OAuth 2.0 Device Authorization Grant (RFC 8628),
// and keeps the resulting tokens fresh.
//
// Package oauth (pairing/oauth) is the wire layer: one HTTP request per
// call, typed errors, the server profiles. This package is the loop on top
// of it: when to ask for a code, poll, refresh and check, what to store and
// what to show.
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
//   - expired goes to idle (6) instead when the code was the IdleAfter-th
//     in a row that ended with no key pressed: nobody is at the device, so
//     it asks the server for nothing until a key (RFC 8628 §3.5: after a
//     code expires, wait for the user before starting again). Any key
//     leaves idle for unpaired; a restart stays idle.
//   - paired goes to unpaired when the person at the device presses X and
//     then A within 5 s: the tokens are revoked and forgotten as `pairingd
//     unpair` does. A (Renew) asks for a new code in every state but
//     paired; Y shows the details over any state; B and MENU quit only an
//     app (Machine.Quit).
//   - paired with a credential to exchange (the Data Exporter API) stays
//     paired when a check or a refused report finds its token rejected:
//     it exchanges the credential again at once.
//   - Machine.NewCode and Machine.Unpair (the local API's renew and
//     unpair) do what A and a confirmed X do at the device, answered by
//     the loop itself: ErrPaired and ErrNotPaired where the keys would do
//     nothing. Machine.Changed sees every state entered, after its
//     commit, for the API's events and the on_change hook.
//   - not_configured (7) is recorded by the daemon, not the Machine, when
//     the configuration names no server: nothing is asked of any server.
//     The Machine, started with a server, leaves it at once: for paired
//     when the record still holds a grant, else for unpaired.
//
// Every arrival in a state goes through one function, enterState: at
// start and when another process changed the record (the stored state is
// adopted, resumed or replaced as above), and after each step. It logs
// "old -> new", commits the record when it changed, redraws and sends the
// status line; Run handles what it returns in one place.
//
// A device code, access token or refresh token is a secret: it never
// appears in a log line or an error message.
package pairing
