package pairing

import (
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
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
		tone     display.Tone
		canRenew bool
	}{
		Unpaired:     {display.ToneInfo, true},
		AwaitingUser: {display.ToneInfo, true},
		Paired:       {display.ToneOK, false},
		Denied:       {display.ToneBad, true},
		Error:        {display.ToneBad, true},
		Expired:      {display.ToneWarn, true},
	}
	seen := map[string]State{}
	for _, name := range StateNames() {
		st, _ := ParseState(name)
		w, ok := want[st]
		if !ok {
			t.Errorf("state %s: not in the test's table", st)
			continue
		}
		s := Screen(st, code, "a detail", deadline)
		if s.Headline == "" {
			t.Errorf("state %s: no headline", st)
		}
		if other, dup := seen[s.Headline]; dup {
			t.Errorf("states %s and %s share the headline %q", other, st, s.Headline)
		}
		seen[s.Headline] = st
		if s.Tone != w.tone || s.CanRenew != w.canRenew {
			t.Errorf("state %s: tone %v, CanRenew %v; want %v, %v", st, s.Tone, s.CanRenew, w.tone, w.canRenew)
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
	s := Screen(AwaitingUser, store.Code{UserCode: "WDJB-MJHT", VerificationURI: "https://example.com/device"}, "", deadline)
	if s.QR != "https://example.com/device" || s.Detail != "Or open example.com/device and enter the code." {
		t.Errorf("screen without verification_uri_complete: QR %q, detail %q", s.QR, s.Detail)
	}
}
