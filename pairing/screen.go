package pairing

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing/oauth"
	"github.com/pairingd/pairingd/store"
)

// errText is an error's message without the operation prefixes that say
// which request failed: for the screen and the status.
func errText(err error) string {
	var te *oauth.TransientError
	switch {
	case errors.As(err, &te) && te.HTTPStatus >= 400 && te.HTTPStatus < 500:
		// Reached, but refused: a missing scope (RomM's me.read), or
		// RomM's brief 403 right after approval.
		return fmt.Sprintf("the server refused it (HTTP %d)", te.HTTPStatus)
	case errors.As(err, &te):
		return lowerFirst(strings.TrimSuffix(withHint(te.Summary(), te.Hint()), "."))
	}
	return lastClause(err.Error())
}

// lastClause is what follows the last ": " outside parentheses: the cause,
// without the operations that led to it ("discovery: no usable metadata
// for issuer X (tried Y: HTTP 404)" gives "no usable metadata for issuer X
// (tried Y: HTTP 404)").
func lastClause(s string) string {
	depth, cut := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case ':':
			if depth == 0 && i+2 < len(s) && s[i+1] == ' ' {
				cut = i + 2
			}
		}
	}
	return s[cut:]
}

// redraw shows the current screen.
func (m *Machine) redraw() {
	if m.Display == nil {
		return
	}
	if err := m.Display.Show(m.screen()); err != nil {
		m.Logger.Warn("display", "err", err)
	}
}

// unsavedDetail is what the screen says of a state beyond its stored
// message: why the polls or refreshes fail right now, which is shown but
// not written (nothing is written while polling: SD cards wear out).
type unsavedDetail struct {
	state  State
	detail string
}

// showUnsaved puts detail on the screen without writing it, and keeps it
// for Unsaved.
func (m *Machine) showUnsaved(detail string) {
	m.detail = detail
	if detail == "" || detail == m.rec.Message {
		m.unsaved.Store(nil)
	} else {
		m.unsaved.Store(&unsavedDetail{state: m.state, detail: detail})
	}
	m.redraw()
}

// Unsaved returns the state and what the screen says of it that the
// store does not: a poll or a refresh failing now, and why. The detail is
// "" when the stored message is what the screen says. It may be called
// from any goroutine; the local API's status uses it, so that `pairingd
// status` names the trouble the screen shows.
func (m *Machine) Unsaved() (State, string) {
	u := m.unsaved.Load()
	if u == nil {
		return 0, ""
	}
	return u.state, u.detail
}

// notify sends the status line.
func (m *Machine) notify() {
	if m.Status != nil {
		m.Status(m.statusLine())
	}
}

// headlines is each state's headline in the catalogue: the only wording
// of it, which every display shows as given.
var headlines = map[State]msg.ID{
	Unpaired:      msg.HeadlineUnpaired,
	AwaitingUser:  msg.HeadlineAwaitingUser,
	Paired:        msg.HeadlinePaired,
	Denied:        msg.HeadlineDenied,
	Error:         msg.HeadlineError,
	Expired:       msg.HeadlineExpired,
	Idle:          msg.HeadlineIdle,
	NotConfigured: msg.HeadlineNotConfigured,
}

// tones is how each state's headline reads; a display colours it (the
// framebuffer: green, amber, red, or the text colour for ToneInfo).
var tones = map[State]display.Tone{
	Unpaired:      display.ToneInfo,
	AwaitingUser:  display.ToneInfo,
	Paired:        display.ToneOK,
	Denied:        display.ToneBad,
	Error:         display.ToneBad,
	Expired:       display.ToneWarn,
	Idle:          display.ToneInfo,
	NotConfigured: display.ToneWarn,
}

// screen builds what the display shows now.
func (m *Machine) screen() display.Screen {
	var deadline time.Time
	if m.state == AwaitingUser {
		deadline = m.Clock.Now().Add(m.deadline - m.Clock.Mono())
	}
	return m.overlayScreen(Screen(m.state, m.rec.Code, m.detail, deadline, m.controls()))
}

// Controls is what the person at the device can press: how its keys are
// named (display.StyleNone when there is no input), and whether B quits,
// which only an app in the foreground does; and the language of the
// screen's texts.
type Controls struct {
	Style display.KeyStyle
	Quit  bool
	// Text is the catalogue of the screen's texts; nil is English.
	Text *msg.Catalog
}

// Screen is the pairing screen for a state: the daemon's, and `pairingd
// render`'s, so a device builder checks the layout with the real texts.
// For AwaitingUser, c is the code on screen and deadline its expiry; other
// states show no code. The actions are those of the state (actions) that
// the controls can press. The fixed texts are ctl.Text's; detail is shown
// as given.
func Screen(st State, c store.Code, detail string, deadline time.Time, ctl Controls) display.Screen {
	s := display.Screen{
		Headline: ctl.Text.T(headlines[st]),
		Tone:     tones[st],
		Actions:  actions(st, ctl),
		Detail:   detail,
		Words:    words(ctl.Text),
	}
	if st == Idle {
		s.Headline = ctl.Text.T(msg.HeadlineIdle, cmp.Or(ctl.Style.Name(display.KeyA), "A"))
	}
	if st == AwaitingUser {
		s.UserCode = c.UserCode
		s.URI = c.VerificationURI
		s.QR = c.VerificationURIComplete
		if s.QR == "" {
			// RFC 8628 §3.3.1: no complete URI, so the QR code carries
			// the plain one and the user types the code.
			s.QR = c.VerificationURI
		}
		s.Deadline = deadline
		if s.Detail == "" {
			s.Detail = ctl.Text.T(msg.OpenAndEnter, shortURI(c.VerificationURI))
		}
	}
	return s
}

// words are the displays' own words in c's language (nil is English).
func words(c *msg.Catalog) display.Words {
	return display.Words{
		Code:           c.T(msg.WordCode),
		GoTo:           c.T(msg.WordGoTo),
		Keys:           c.T(msg.WordKeys),
		ExpiresIn:      c.T(msg.WordExpiresIn),
		CodeExpiresIn:  c.T(msg.WordCodeExpiresIn),
		CodeExpired:    c.T(msg.WordCodeExpired),
		At:             c.T(msg.WordAt),
		QRTooLong:      c.T(msg.WordQRTooLong),
		ScreenTooSmall: c.T(msg.WordScreenTooSmall),
		Needs:          c.T(msg.WordNeeds),
	}
}

// statusLine is the one-line status for systemd: words a person
// understands, never a secret.
func (m *Machine) statusLine() string {
	switch m.state {
	case AwaitingUser:
		c := m.rec.Code
		left := (m.deadline - m.Clock.Mono()).Round(time.Minute)
		return fmt.Sprintf("Waiting for approval: code %s at %s, %d min left", c.UserCode, shortURI(c.VerificationURI), left/time.Minute)
	case Paired:
		return m.pairedDetail()
	case Unpaired:
		if m.detail != "" {
			return "Unpaired: " + m.detail
		}
		return "Unpaired: getting a pairing code"
	case Idle:
		return "Idle: nobody scanned the last codes; waiting for a key press to pair"
	default:
		// English, like the rest of the status and the log.
		return fmt.Sprintf("%s: %s", msg.English().T(headlines[m.state]), m.detail)
	}
}

// pairedDetail says whom we are paired with.
func (m *Machine) pairedDetail() string {
	s := "Paired with " + m.rec.Server.Issuer
	if m.rec.BoundDeviceID != "" {
		s += " as device " + m.rec.BoundDeviceID
	}
	if t := m.rec.Tokens.ExpiresAt; !t.IsZero() {
		s += ", token valid until " + t.Local().Format("15:04")
	}
	return s
}

// shortURI drops the scheme for display: "example.com/device".
func shortURI(s string) string {
	s = strings.TrimPrefix(s, "https://")
	return strings.TrimPrefix(s, "http://")
}

// lowerFirst lowers the case of the first letter, for a clause that goes
// after a colon.
func lowerFirst(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(c)) + s[n:]
}

// controls are the Machine's: the style of the inputs present now,
// quitting when Quit is set, and its catalogue.
func (m *Machine) controls() Controls {
	c := Controls{Quit: m.Quit != nil, Text: m.Text}
	if m.KeyStyle != nil {
		c.Style = m.KeyStyle()
	}
	return c
}

// actions are what the keys do on a state's screen: a new code in every
// state but Paired (sleepUntil ignores Renew there), unpairing while
// Paired, the details everywhere, and quitting when the daemon runs as an
// app. A key the controls lack is left out.
func actions(st State, ctl Controls) []display.Action {
	var out []display.Action
	add := func(k display.Key, label msg.ID) {
		if name := ctl.Style.Name(k); name != "" {
			out = append(out, display.Action{Key: k, Name: name, Label: ctl.Text.T(label)})
		}
	}
	switch st {
	case NotConfigured:
		// No server to ask for a code, nothing to show details of: only
		// an app can be left.
	case Paired:
		add(display.KeyX, msg.ActionUnpair)
		add(display.KeyY, msg.ActionDetails)
	default:
		add(display.KeyA, msg.ActionNewCode)
		add(display.KeyY, msg.ActionDetails)
	}
	if ctl.Quit {
		add(display.KeyB, msg.ActionQuit)
	}
	return out
}

// NotConfiguredDetail is the not-configured screen's detail in c's
// language: the keys to set and the file to set them in.
func NotConfiguredDetail(c *msg.Catalog, keys []string, file string) string {
	return c.T(msg.SetKeysThenRestart, strings.Join(keys, ", "), file)
}
