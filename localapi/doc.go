// Package localapi is pairingd's local API: HTTP/1.1 with JSON on a Unix
// socket, for the programs on the device that need the token or want to
// know the pairing state, and the client the pairingd commands use.
//
// Nothing of it listens on TCP. The socket is made mode 0660 in the group
// the builder chose (Listen), and every connection is checked against the
// credentials the kernel records for its peer (SO_PEERCRED and
// SO_PEERGROUPS, unix(7)): root, the daemon's own user and members of the
// group are served; anyone else gets 403 with a JSON error that says how
// to be let in. The file mode keeps others from connecting at all; the
// check holds even when the mode was loosened by hand.
//
// The protocol is plain HTTP/1.1 (RFC 9112), so curl --unix-socket works:
//
//	GET  /v1/status   the state, as `pairingd status --json` prints it
//	GET  /v1/token    a valid access token and its expiry
//	POST /v1/renew    a fresh code (when not paired)
//	POST /v1/unpair   forget the grant, revoking it at the server
//	GET  /v1/events   newline-delimited JSON, one object per state change
//	GET  /v1/metrics  Prometheus text exposition format 0.0.4
//
// Unknown paths get 404 and known paths with another method 405, each with
// a JSON body {"error": code, "message": text}. The server is a small loop
// over net/http's request parser rather than net/http's Server: a local
// socket needs keep-alive and one streaming response, not HTTP/2 or TLS,
// and the server would cost a tenth of the device binary.
//
// The package knows no store, protocol or screen: a Backend answers.
package localapi
