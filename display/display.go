package display

import (
	"strconv"
	"time"
)

// Screen is what the pairing screen shows. The daemon builds one for every
// state change and message; a display draws it and keeps the countdown
// current by itself.
//
// A Screen says what to show, not which state the daemon is in: a display
// draws the Headline as given, colours it by Tone, and offers the actions
// the Screen allows. A screen that shows a code is one with a UserCode or
// a QR payload; there is no state name to look up.
//
// Every string that came from a server (UserCode, URI, QR, Detail) has been
// through Sanitize before it gets here, but displays must still treat them
// as untrusted text: never as markup or escape sequences.
type Screen struct {
	// Headline is the situation in words, for example "Scan to pair this
	// device" or "Paired ✓". A display shows it as it is and has no
	// wording of its own.
	Headline string
	// Tone is how the headline reads: neutral, good, a warning or bad.
	Tone Tone
	// Actions are what the person can do now, in the order to show them,
	// with each key's name on this device ("A: new code" on a handheld,
	// "Enter: new code" on a keyboard). A display shows them, in words;
	// empty when there is no input.
	Actions []Action
	// Lines are further lines under the Detail, one fact each ("Server:
	// https://auth.example"): the details screen.
	Lines []string
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
	// Words are the display's own words around these texts, in the
	// screen's language; an empty one is English (Words.OrEnglish).
	Words Words
}

// Offers reports whether one of s's actions is done with k.
func (s Screen) Offers(k Key) bool {
	for _, a := range s.Actions {
		if a.Key == k {
			return true
		}
	}
	return false
}

// ShowsCode reports whether s shows a code to pair with: a user code or a
// QR code. Displays lay such a screen out around the code.
func (s Screen) ShowsCode() bool { return s.UserCode != "" || s.QR != "" }

// Tone is how a screen's headline reads, for a display that can colour
// it. The zero value is ToneInfo. Tones are not stored: they may be
// renumbered.
type Tone int

const (
	// ToneInfo is neutral: working on it, or waiting for the user
	// ("Getting a pairing code…", "Scan to pair this device").
	ToneInfo Tone = iota
	// ToneOK is success: paired.
	ToneOK
	// ToneWarn needs attention but sorts itself out: the code expired
	// and a new one follows.
	ToneWarn
	// ToneBad is a failure: pairing was denied, or something is wrong.
	ToneBad
)

// String returns the tone's name, "info", "ok", "warn" or "bad", for logs
// and test failures.
func (t Tone) String() string {
	switch t {
	case ToneInfo:
		return "info"
	case ToneOK:
		return "ok"
	case ToneWarn:
		return "warn"
	case ToneBad:
		return "bad"
	}
	return "Tone(" + strconv.Itoa(int(t)) + ")"
}

// Display draws screens. Show may be called often; a display redraws only
// what changed. Implementations are used from one goroutine at a time.
type Display interface {
	// Show draws s, replacing what was shown before.
	Show(s Screen) error
	// Close restores the terminal or console.
	Close() error
}
