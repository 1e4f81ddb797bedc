package display

import "time"

// Screen is what the pairing screen shows. The daemon builds one for every
// state change and message; a display draws it and keeps the countdown
// current by itself.
//
// Every string that came from a server (UserCode, URI, QR, Detail) has been
// through Sanitize before it gets here, but displays must still treat them
// as untrusted text: never as markup or escape sequences.
type Screen struct {
	// State is the daemon's state name: "unpaired", "awaiting_user",
	// "paired", "denied", "error" or "expired".
	State string
	// Headline is the state in words, for example "Scan to pair this
	// device" or "Paired ✓".
	Headline string
	// UserCode is the code the user types or confirms (RFC 8628 §3.3.1:
	// it is shown even when a QR code is).
	UserCode string
	// URI is verification_uri, shown as text.
	URI string
	// QR is the QR code's payload: verification_uri_complete, else
	// verification_uri. Empty means no QR code.
	QR string
	// Deadline is when the code expires; zero when there is no countdown.
	// It carries a monotonic reading when the daemon made it.
	Deadline time.Time
	// Detail is a second line: what is wrong, what happens next
	// ("Can't reach the server, retrying in 20 s"), or who we are paired
	// with.
	Detail string
}

// Display draws screens. Show may be called often; a display redraws only
// what changed. Implementations are used from one goroutine at a time.
type Display interface {
	// Show draws s, replacing what was shown before.
	Show(s Screen) error
	// Close restores the terminal or console.
	Close() error
}
