// Package msg is the catalogue of the texts pairingd shows on a screen:
// one table per language, each indexed by the message ids below, and the
// choice of language from the config or the locale environment.
//
// Only the fixed texts are here: headlines, action labels, the labels of
// the details screen and the like. Details built from errors (what the
// server said, why a request failed) are English; so are the log and the
// systemd status line.
package msg

import (
	"fmt"
	"strings"
)

// ID names one message of the catalogue.
type ID int

// The messages. A comment gives the English text; %s is where T puts its
// argument.
const (
	// HeadlineUnpaired is "Getting a pairing code…".
	HeadlineUnpaired ID = iota
	// HeadlineAwaitingUser is "Scan to pair this device".
	HeadlineAwaitingUser
	// HeadlinePaired is "Paired ✓".
	HeadlinePaired
	// HeadlineDenied is "Pairing was denied".
	HeadlineDenied
	// HeadlineError is "Can't pair right now".
	HeadlineError
	// HeadlineExpired is "The code expired".
	HeadlineExpired
	// HeadlineIdle is "Press %s or any key to pair", %s a key's name.
	HeadlineIdle
	// HeadlineDetails is "Details", the details screen's headline.
	HeadlineDetails
	// HeadlineNotConfigured is "Not set up yet": the configuration names
	// no server, so nothing is asked of one.
	HeadlineNotConfigured

	// ActionNewCode is "new code", the label of the key that asks for one.
	ActionNewCode
	// ActionUnpair is "unpair".
	ActionUnpair
	// ActionDetails is "details".
	ActionDetails
	// ActionQuit is "quit".
	ActionQuit

	// OpenAndEnter is "Or open %s and enter the code.", %s the
	// verification URI without its scheme.
	OpenAndEnter

	// LabelDevice is "Device", a label of the details screen.
	LabelDevice
	// LabelDeviceID is "Device ID".
	LabelDeviceID
	// LabelServer is "Server".
	LabelServer
	// LabelProfile is "Profile".
	LabelProfile
	// LabelVersion is "Version".
	LabelVersion
	// LabelNetwork is "Network".
	LabelNetwork
	// LabelState is "State".
	LabelState
	// LabelProblem is "Problem".
	LabelProblem

	// UnpairConfirm is "Press %s within 5 s to unpair", %s a key's name.
	UnpairConfirm
	// Unpairing is "Unpairing…".
	Unpairing
	// UnpairedNewCode is "Unpaired. Getting a new code.".
	UnpairedNewCode
	// AnyKeyReturns is "Press any key to return.", under the details.
	AnyKeyReturns
	// SetKeysThenRestart is "Set %s in %s, then restart pairingd.", the
	// keys to set and the configuration file, on the not-configured
	// screen.
	SetKeysThenRestart

	// The words a display puts around the texts (display.Words). They
	// have no %s: a display joins a word and its value, "Code:
	// WDJB-MJHT", "Expires in 9:59".

	// WordCode is "Code", the label of the user code.
	WordCode
	// WordGoTo is "Go to", the label of the verification URI.
	WordGoTo
	// WordKeys is "Keys", the label of the actions in plain text.
	WordKeys
	// WordExpiresIn is "Expires in", before the time left on the
	// framebuffer's countdown, in a narrow column.
	WordExpiresIn
	// WordCodeExpiresIn is "Code expires in", before the time left on a
	// countdown line of its own.
	WordCodeExpiresIn
	// WordCodeExpired is "Code expired", that line once it is over.
	WordCodeExpired
	// WordAt is "at", before a clock time: "(at 12:41)".
	WordAt
	// WordQRTooLong is "The link is too long for a QR code", in place
	// of the QR code.
	WordQRTooLong
	// WordScreenTooSmall is "Screen too small for a QR code", in place
	// of the QR code.
	WordScreenTooSmall
	// WordNeeds is "needs", before the size a terminal needs for the QR
	// code: "(needs 41×23)".
	WordNeeds

	// count is the number of messages; not a message.
	count
)

// IDs returns every message id, in the order of the constants.
func IDs() []ID {
	ids := make([]ID, count)
	for i := range ids {
		ids[i] = ID(i)
	}
	return ids
}

// table is one language's texts, indexed by ID; "" is a missing entry.
type table [count]string

// Catalog is the texts of one language. A nil *Catalog is English.
type Catalog struct {
	lang string
	text *table
}

// catalogs are the languages, English first: the fallback for an unknown
// language and for an entry a table lacks.
var catalogs = [...]Catalog{
	{"en", &english},
	{"de", &german},
	{"fr", &french},
	{"es", &spanish},
	{"pt", &portuguese},
	{"it", &italian},
}

// Tags returns the tags of the catalogue's languages, English first.
func Tags() []string {
	tags := make([]string, len(catalogs))
	for i, c := range catalogs {
		tags[i] = c.lang
	}
	return tags
}

// English is the English catalogue.
func English() *Catalog { return &catalogs[0] }

// Lookup returns the catalogue of lang, a tag or a locale name (see
// Parse); English when the catalogue has no such language.
func Lookup(lang string) *Catalog {
	tag, _ := Parse(lang)
	for i := range catalogs {
		if catalogs[i].lang == tag {
			return &catalogs[i]
		}
	}
	return English()
}

// Lang is the catalogue's language tag ("en" for nil).
func (c *Catalog) Lang() string {
	if c == nil {
		return English().lang
	}
	return c.lang
}

// T is the text of id in the catalogue's language, or in English when the
// table lacks it, with args put in as by fmt.Sprintf. Without args the
// text is returned as it is. An id outside the catalogue gives "".
func (c *Catalog) T(id ID, args ...any) string {
	if id < 0 || id >= count {
		return ""
	}
	if c == nil {
		c = English()
	}
	s := c.text[id]
	if s == "" {
		s = english[id]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Parse reads a language tag ("de", "pt-BR") or a POSIX locale name
// ("de_DE.UTF-8", "fr_CA@euro") and returns the tag of its language in
// the catalogue; "C" and "POSIX" (with or without a codeset) are English.
// ok is false when the catalogue has no such language, and then tag is
// "en".
func Parse(s string) (tag string, ok bool) {
	s, _, _ = strings.Cut(s, "@")
	s, _, _ = strings.Cut(s, ".")
	if s == "C" || s == "POSIX" {
		return "en", true
	}
	lang, _, _ := strings.Cut(strings.ReplaceAll(s, "-", "_"), "_")
	lang = strings.ToLower(lang)
	for _, c := range catalogs {
		if c.lang == lang {
			return lang, true
		}
	}
	return "en", false
}

// localeVars are the environment variables that name the language of
// messages, the first set one deciding (POSIX).
var localeVars = [...]string{"LC_ALL", "LC_MESSAGES", "LANG"}

// Choose picks the screen language: setting (the config's language key)
// when it is not empty, else the locale of environ ("KEY=value" entries)
// from LC_ALL, LC_MESSAGES or LANG, whichever is set first; else English.
// A language the catalogue lacks is English.
func Choose(setting string, environ []string) string {
	if setting != "" {
		tag, _ := Parse(setting)
		return tag
	}
	for _, name := range localeVars {
		if v := getenv(environ, name); v != "" {
			tag, _ := Parse(v)
			return tag
		}
	}
	return "en"
}

// getenv is the value of name in environ, the first entry winning as in
// os.Getenv.
func getenv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
