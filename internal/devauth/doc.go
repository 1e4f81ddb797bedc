// Package devauth implements a small OAuth 2.0 authorization server for
// development and end-to-end tests of pairingd. It is real, not a mock: it
// speaks the wire protocol a production server speaks, keeps its state in
// memory, and enforces the rules a client must cope with.
//
// It follows:
//   - RFC 8628 (device authorization grant): §3.1/§3.2 device authorization,
//     §3.3 user interaction (the /device page), §3.4/§3.5 polling with
//     authorization_pending, slow_down (+5 s per slow_down, for this and all
//     later polls), access_denied and expired_token, §6.1 user code alphabet.
//     The polling semantics mirror auth-framework's device.rs.
//   - RFC 6749 §2.3.1 client authentication (client_secret_basic,
//     client_secret_post), §5.1/§5.2 token and error responses, §6 refresh
//     (with rotation: a used refresh token dies at once, as RFC 9700 §4.14
//     recommends for public clients).
//   - RFC 7009 token revocation, RFC 6750 §3 bearer errors on /userinfo,
//     RFC 8414 and OpenID Connect Discovery metadata.
//
// Options.Profile makes it behave like one of the servers pairingd pairs
// with, faithful to their documented and measured behaviour: "rfc8628"
// (the above, default), "authelia" (authelia.go), "romm" (romm.go) and
// "dfc" (dfc.go). The code lifecycle (state.go) is shared; profiles differ
// in code formats, polling rules, wire format and error mapping. In every
// profile POST /device (user_code + action) approves or denies, as do
// Approve and Deny.
//
// It is for development only: anyone who can reach the /device page can
// approve any device. Nothing in the pairingd daemon may import it.
package devauth
