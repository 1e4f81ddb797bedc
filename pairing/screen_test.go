package pairing

import (
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/store"
)

// TestScreen checks what each state shows: its own headline (shows tells
// states apart by it), the tone the framebuffer colours it with, whether a
// new code can be asked for, and a code only while awaiting the user.
func TestScreen(t *testing.T) {
	code := store.Code{
		UserCode:                "WDJB-MJHT",
		VerificationURI:         "https://example.com/device",
		VerificationURIComplete: "https://example.com/device?user_code=WDJB-MJHT",
	}
	deadline := time.Date(2026, 1, 1, 12, 10, 0, 0, time.UTC)
	want := map[State]struct {
		tone    display.Tone
		actions string
	}{
		Unpaired:     {display.ToneInfo, "A: new code, Y: details, B: quit"},
		AwaitingUser: {display.ToneInfo, "A: new code, Y: details, B: quit"},
		Paired:       {display.ToneOK, "X: unpair, Y: details, B: quit"},
		Denied:       {display.ToneBad, "A: new code, Y: details, B: quit"},
		Error:        {display.ToneBad, "A: new code, Y: details, B: quit"},
		Expired:      {display.ToneWarn, "A: new code, Y: details, B: quit"},
		Idle:         {display.ToneInfo, "A: new code, Y: details, B: quit"},
		// Nothing to ask a server for, nothing to show details of.
		NotConfigured: {display.ToneWarn, "B: quit"},
	}
	seen := map[string]State{}
	for _, name := range StateNames() {
		st, _ := ParseState(name)
		w, ok := want[st]
		if !ok {
			t.Errorf("state %s: not in the test's table", st)
			continue
		}
		s := Screen(st, code, "a detail", deadline, Controls{Style: display.StyleGamepad, Quit: true})
		if s.Headline == "" {
			t.Errorf("state %s: no headline", st)
		}
		if other, dup := seen[s.Headline]; dup {
			t.Errorf("states %s and %s share the headline %q", other, st, s.Headline)
		}
		seen[s.Headline] = st
		if got := actionText(s.Actions); s.Tone != w.tone || got != w.actions {
			t.Errorf("state %s: tone %v, actions %q; want %v, %q", st, s.Tone, got, w.tone, w.actions)
		}
		if s.Detail != "a detail" {
			t.Errorf("state %s: detail %q, want %q", st, s.Detail, "a detail")
		}
		if got := s.ShowsCode(); got != (st == AwaitingUser) {
			t.Errorf("state %s: ShowsCode() = %v", st, got)
		}
		if st == AwaitingUser {
			if s.UserCode != code.UserCode || s.URI != code.VerificationURI || s.QR != code.VerificationURIComplete || !s.Deadline.Equal(deadline) {
				t.Errorf("awaiting_user screen %+v, want the code, its URIs and the deadline", s)
			}
		} else if s.URI != "" || !s.Deadline.IsZero() {
			t.Errorf("state %s: screen %+v has a URI or a deadline", st, s)
		}
	}
	// Without a complete URI the QR code carries the plain one, and the
	// detail says where to type the code.
	s := Screen(AwaitingUser, store.Code{UserCode: "WDJB-MJHT", VerificationURI: "https://example.com/device"}, "", deadline, Controls{})
	if s.QR != "https://example.com/device" || s.Detail != "Or open example.com/device and enter the code." {
		t.Errorf("screen without verification_uri_complete: QR %q, detail %q", s.QR, s.Detail)
	}
}

// actionText is "Name: Label" of each action, joined by ", ".
func actionText(as []display.Action) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, a.Name+": "+a.Label)
	}
	return strings.Join(parts, ", ")
}

// The actions follow the controls: keyboard names, a touch screen that
// only taps, no input at all, and no quit for a system service.
func TestScreenActionsFollowControls(t *testing.T) {
	for _, tt := range []struct {
		st   State
		ctl  Controls
		want string
	}{
		{AwaitingUser, Controls{Style: display.StyleKeyboard, Quit: true}, "Enter: new code, I: details, Esc: quit"},
		{Paired, Controls{Style: display.StyleKeyboard}, "U: unpair, I: details"},
		{AwaitingUser, Controls{Style: display.StyleTouch, Quit: true}, "Tap: new code"},
		{Paired, Controls{Style: display.StyleTouch}, ""},
		{AwaitingUser, Controls{Quit: true}, ""},
		{Error, Controls{Style: display.StyleGamepad}, "A: new code, Y: details"},
	} {
		if got := actionText(Screen(tt.st, store.Code{}, "", time.Time{}, tt.ctl).Actions); got != tt.want {
			t.Errorf("%s with %+v: actions %q, want %q", tt.st, tt.ctl, got, tt.want)
		}
	}
}

// The fixed texts come from the controls' catalogue: the headline, the
// actions' labels and the hint for a code without a complete URI; the
// detail the Machine gives stays as given. Key names are the keys'.
func TestScreenLanguage(t *testing.T) {
	code := store.Code{UserCode: "WDJB-MJHT", VerificationURI: "https://example.com/device"}
	for _, tt := range []struct {
		lang     string
		st       State
		detail   string
		headline string
		actions  string
		wantDet  string
	}{
		{"de", AwaitingUser, "", "Scannen zum Koppeln", "A: neuer Code, Y: Details, B: beenden", "Oder example.com/device öffnen und Code eingeben."},
		{"fr", Paired, "Paired with x", "Associé ✓", "X: dissocier, Y: détails, B: quitter", "Paired with x"},
		{"es", Denied, "", "Se rechazó la vinculación", "A: nuevo código, Y: detalles, B: salir", ""},
		{"pt", Expired, "", "O código expirou", "A: novo código, Y: detalhes, B: sair", ""},
		{"it", Error, "", "Impossibile associare ora", "A: nuovo codice, Y: dettagli, B: esci", ""},
		{"en", Unpaired, "", "Getting a pairing code…", "A: new code, Y: details, B: quit", ""},
	} {
		ctl := Controls{Style: display.StyleGamepad, Quit: true, Text: msg.Lookup(tt.lang)}
		s := Screen(tt.st, code, tt.detail, time.Time{}, ctl)
		if got := actionText(s.Actions); s.Headline != tt.headline || got != tt.actions || s.Detail != tt.wantDet {
			t.Errorf("%s %s: headline %q, actions %q, detail %q; want %q, %q, %q", tt.lang, tt.st, s.Headline, got, s.Detail, tt.headline, tt.actions, tt.wantDet)
		}
	}
}

// The displays' own words come from the catalogue too: English ones are
// display.EnglishWords, so a zero Screen reads the same, and every other
// language sets each word.
func TestScreenWords(t *testing.T) {
	if got := Screen(AwaitingUser, store.Code{}, "", time.Time{}, Controls{}).Words; got != display.EnglishWords() {
		t.Errorf("English words %+v, want display.EnglishWords() %+v", got, display.EnglishWords())
	}
	for _, lang := range msg.Tags()[1:] {
		w := Screen(Paired, store.Code{}, "", time.Time{}, Controls{Text: msg.Lookup(lang)}).Words
		if w == display.EnglishWords() || w != w.OrEnglish() {
			t.Errorf("%s words %+v: English, or some missing", lang, w)
		}
	}
	de := Screen(AwaitingUser, store.Code{}, "", time.Time{}, Controls{Text: msg.Lookup("de")}).Words
	if de.GoTo != "Adresse" || de.ExpiresIn != "Läuft ab in" {
		t.Errorf("German words %+v", de)
	}
}
