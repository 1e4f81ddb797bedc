package pairing

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/storetest"
)

// withKeys gives the harness's machine a gamepad and, with quit, the app's
// quit; it returns how often quit was called.
func withKeys(h *harness, quit bool) *int {
	n := new(int)
	h.m.KeyStyle = func() display.KeyStyle { return display.StyleGamepad }
	if quit {
		h.m.Quit = func() { *n++ }
	}
	return n
}

// pairedHarness is a machine that pairs in its first poll.
func pairedHarness(t *testing.T) (*harness, *fakeServer) {
	srv := newFakeServer()
	srv.tokens = []oauthtest.Reply{oauthtest.TokenReply("secret-access-1", "secret-refresh-1", 3600)}
	return newHarness(t, srv, nil), srv
}

// Keys on the pairing screen: A asks for a new code at once, Y shows the
// details and any key returns from them, B quits only an app.
func TestPressWhileAwaiting(t *testing.T) {
	for _, app := range []bool{false, true} {
		bubble(t, func(t *testing.T) {
			srv := newFakeServer()
			h := newHarness(t, srv, nil)
			quits := withKeys(h, app)
			h.start()
			advance(time.Second)
			if s := h.last(); s.UserCode != "CODE-0001" || !s.Offers(display.KeyA) || s.Offers(display.KeyB) != app {
				t.Fatalf("app %v: screen %+v, want the first code with A (and B only for an app)", app, s)
			}
			h.m.Press(display.KeyA)
			advance(time.Second)
			if s := h.last(); s.UserCode != "CODE-0002" {
				t.Errorf("after A: code %q, want a new one", s.UserCode)
			}
			h.m.Press(display.KeyY)
			advance(10 * time.Millisecond)
			s := h.last()
			if s.Headline != "Details" || s.ShowsCode() || !strings.Contains(strings.Join(s.Lines, "\n"), "Server: https://auth.example") ||
				!strings.Contains(strings.Join(s.Lines, "\n"), "State: awaiting_user") {
				t.Errorf("after Y: %+v, want the details screen with the server and the state", s)
			}
			h.m.Press(display.KeyOther)
			advance(10 * time.Millisecond)
			if s := h.last(); s.UserCode != "CODE-0002" {
				t.Errorf("a key on the details screen: %+v, want the code back", s)
			}
			h.m.Press(display.KeyB)
			advance(10 * time.Millisecond)
			h.stop()
			want := 0
			if app {
				want = 1
			}
			if *quits != want {
				t.Errorf("app %v: B quit %d times, want %d", app, *quits, want)
			}
			if n := len(srv.requests("/device")); n != 2 {
				t.Errorf("%d device codes, want 2 (the first and A's)", n)
			}
		})
	}
}

// Unpairing takes X and then A within 5 s; anything else, or waiting,
// keeps the pairing. A confirmed unpair revokes both tokens and shows a
// new code with the reason.
func TestPressUnpair(t *testing.T) {
	for _, tt := range []struct {
		name    string
		then    []display.Key
		wait    time.Duration
		unpairs bool
	}{
		{"X then A", []display.Key{display.KeyA}, 0, true},
		{"A alone", nil, 0, false},
		{"X then B cancels", []display.Key{display.KeyB, display.KeyA}, 0, false},
		{"X, then A too late", []display.Key{display.KeyA}, unpairConfirm + time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				h, srv := pairedHarness(t)
				quits := withKeys(h, true)
				h.start()
				advance(6 * time.Second)
				if s := h.last(); s.Headline != headlines0(Paired) {
					t.Fatalf("screen %+v, want paired", s)
				}
				if tt.name == "A alone" {
					h.m.Press(display.KeyA)
				} else {
					h.m.Press(display.KeyX)
					advance(10 * time.Millisecond)
					if s := h.last(); s.Headline != "Press A within 5 s to unpair" || !s.Offers(display.KeyA) {
						t.Errorf("after X: %+v, want the confirmation", s)
					}
				}
				advance(tt.wait)
				for _, k := range tt.then {
					h.m.Press(k)
					advance(10 * time.Millisecond)
				}
				advance(time.Second)
				h.stop()
				rec := h.record()
				revokes := len(srv.requests("/revoke"))
				if got := State(rec.State) != Paired; got != tt.unpairs {
					t.Errorf("unpaired %v (state %v), want %v", got, State(rec.State), tt.unpairs)
				}
				if tt.unpairs {
					if revokes != 2 || h.last().UserCode == "" || !strings.Contains(h.last().Detail, "Unpaired. Getting a new code.") {
						t.Errorf("%d revocations, screen %+v; want 2 and a new code saying why", revokes, h.last())
					}
				} else if revokes != 0 {
					t.Errorf("%d revocations, want none", revokes)
				}
				if *quits != 0 {
					t.Errorf("B during the confirmation quit the app; it should only cancel")
				}
			})
		})
	}
}

// After three codes in a row expire with nobody pressing a key, the device
// stops asking for codes; a key brings one at once. A service without
// input never goes idle.
func TestIdle(t *testing.T) {
	for _, keys := range []bool{true, false} {
		bubble(t, func(t *testing.T) {
			srv := newFakeServer()
			srv.expiresIn = 90
			h := newHarness(t, srv, nil)
			h.m.IdleAfter = -1
			if keys {
				withKeys(h, false)
			}
			h.start()
			advance(3*90*time.Second + time.Second)
			n := len(srv.requests("/device"))
			advance(10 * time.Minute)
			after := len(srv.requests("/device")) - n
			if keys {
				if n != 3 || after != 0 {
					t.Errorf("with keys: %d codes in the first 3 lifetimes and %d in the next 10 min, want 3 and 0", n, after)
				}
				if s := h.last(); s.Headline != "Press A or any key to pair" || s.ShowsCode() {
					t.Errorf("idle screen %+v", s)
				}
				if st := h.status.all(); !strings.HasPrefix(st[len(st)-1], "Idle:") {
					t.Errorf("status %q, want it to say idle", st[len(st)-1])
				}
				if rec := h.record(); State(rec.State) != Idle {
					t.Errorf("stored state %v, want idle", State(rec.State))
				}
				h.m.Press(display.KeyOther)
				advance(time.Second)
				if s := h.last(); s.UserCode == "" {
					t.Errorf("a key while idle: screen %+v, want a code within a second", s)
				}
			} else if after == 0 {
				t.Errorf("without input: no codes after %d expiries, want it to go on", n)
			}
			h.stop()
		})
	}
}

// A key pressed while a code is shown counts as someone there: the quiet
// count starts again.
func TestIdleCountsOnlyQuietCodes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		srv.expiresIn = 90
		h := newHarness(t, srv, nil)
		h.m.IdleAfter = 2
		withKeys(h, false)
		h.start()
		advance(90*time.Second + time.Second) // one quiet expiry
		h.m.Press(display.KeyOther)           // someone looks at the second code
		advance(90*time.Second + time.Second)
		advance(90*time.Second + time.Second) // second quiet one
		if rec := h.record(); State(rec.State) == Idle {
			t.Errorf("idle after only one quiet code since the key press")
		}
		advance(90*time.Second + time.Second)
		if rec := h.record(); State(rec.State) != Idle {
			t.Errorf("state %v after two quiet codes in a row, want idle", State(rec.State))
		}
		h.stop()
	})
}

// A restart while idle stays idle and asks the server for nothing.
func TestIdleSurvivesRestart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := newFakeServer()
		st := h0Store(t, Idle)
		h := newHarness(t, srv, st)
		withKeys(h, false)
		h.start()
		advance(5 * time.Minute)
		h.stop()
		if n := len(srv.requests("/device")); n != 0 {
			t.Errorf("%d codes asked for after a restart while idle, want 0", n)
		}
		if s := h.last(); !strings.HasPrefix(s.Headline, "Press A") {
			t.Errorf("screen %+v, want the idle screen", s)
		}
	})
}

// h0Store is a store whose record is in state s for the harness's server.
func h0Store(t *testing.T, s State) *storetest.Fake {
	st := storetest.NewFake()
	if _, err := st.Update(context.Background(), func(p *store.Pairing) error {
		p.State = int(s)
		p.Server = store.Server{Issuer: "https://auth.example", ClientID: "pairingd-test"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// headlines0 is st's headline in English.
func headlines0(st State) string {
	return Screen(st, store.Code{}, "", time.Time{}, Controls{}).Headline
}
