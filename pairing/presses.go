package pairing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/internal/sanitize"
)

// unpairConfirm is how long after X the confirming A is taken: unpairing
// is never a single press.
const unpairConfirm = 5 * time.Second

// defaultIdleAfter is how many codes in a row may expire with nobody
// pressing anything before the device stops asking for codes, when it has
// an input to wake it (RFC 8628 §3.5: after a code expires, wait for the
// user before starting again).
const defaultIdleAfter = 3

// errUnpair means the person at the device confirmed unpairing.
var errUnpair = errors.New("unpair confirmed at the device")

// overlay is a screen shown over the state's own until a key closes it.
type overlay int

const (
	overlayNone overlay = iota
	// overlayDetails lists what the device knows of itself and the
	// server; any key closes it.
	overlayDetails
	// overlayUnpair asks for the confirming key for unpairConfirm.
	overlayUnpair
)

// uiState is what the person at the device did, as far as the loop cares.
type uiState struct {
	overlay      overlay
	confirmUntil time.Duration // monotonic end of the unpair confirmation
	inputAt      time.Duration // monotonic time of the last key
	anyInput     bool          // a key was pressed since Run started
	quietCodes   int           // codes in a row that expired with no key pressed
}

// untilConfirmEnds is how long from now the unpair confirmation lasts;
// forever when none is shown.
func (u uiState) untilConfirmEnds(now time.Duration) time.Duration {
	if u.overlay != overlayUnpair {
		return forever
	}
	return max(u.confirmUntil-now, 0)
}

// press does what k does on the screen shown. Any key closes the details
// and wakes an idle device; A confirms an unpair that X asked for (any
// other key cancels it) and asks for a new code when not paired; Y shows
// the details; X asks to unpair when paired; B and MENU quit an app (a
// system service, with no Quit, ignores them). It returns errRenew or
// errUnpair for the loop to act on.
func (m *Machine) press(k display.Key) error {
	now := m.Clock.Mono()
	m.ui.inputAt, m.ui.anyInput, m.ui.quietCodes = now, true, 0
	m.Logger.Debug("key pressed", "key", k, "state", m.state)
	quit := (k == display.KeyB || k == display.KeyMenu) && m.Quit != nil
	switch {
	case m.ui.overlay == overlayDetails:
		m.ui.overlay = overlayNone
		m.redraw()
		return nil
	case m.ui.overlay == overlayUnpair:
		m.ui.overlay = overlayNone
		if k == display.KeyA && m.state == Paired {
			return errUnpair
		}
		m.Logger.Info("unpair cancelled")
		m.redraw()
		return nil
	case quit:
		m.Logger.Info("quit pressed")
		m.Quit()
		return nil
	case m.state == Idle:
		return errRenew
	}
	switch k {
	case display.KeyA:
		if m.state != Paired {
			return errRenew
		}
	case display.KeyY:
		m.ui.overlay = overlayDetails
		m.redraw()
	case display.KeyX:
		if m.state == Paired {
			m.ui.overlay, m.ui.confirmUntil = overlayUnpair, now+unpairConfirm
			m.redraw()
		}
	}
	return nil
}

// confirmEnded closes an unpair confirmation whose time is up.
func (m *Machine) confirmEnded() {
	if m.ui.overlay == overlayUnpair && m.Clock.Mono() >= m.ui.confirmUntil {
		m.ui.overlay = overlayNone
		m.Logger.Info("unpair not confirmed in time")
		m.redraw()
	}
}

// unpairHere revokes and forgets the grant, as `pairingd unpair` does, for
// a confirmed unpair at the device or one asked for with Unpair; the loop
// then adopts the unpaired record and shows a new code.
func (m *Machine) unpairHere(ctx context.Context) error {
	if m.unpairDone != nil {
		m.Logger.Info("unpairing, as a program asked")
	} else {
		m.Logger.Info("unpairing, as confirmed at the device")
	}
	m.detail = m.Text.T(msg.Unpairing)
	m.redraw()
	revokeErr, err := unpair(ctx, m.Store, m.Client, m.Clock.Now(), m.Text.T(msg.UnpairedNewCode))
	m.revokeErr = revokeErr
	if revokeErr != nil {
		m.Logger.Warn("revoking the tokens failed; forgotten all the same", "err", revokeErr)
	}
	if err != nil {
		return fmt.Errorf("unpairing: %w", err)
	}
	return errChanged
}

// idleAfter is how many quiet expiries send the device idle: IdleAfter,
// or when it is negative defaultIdleAfter with an input to wake the device
// and never without one. 0 is never.
func (m *Machine) idleAfter() int {
	switch {
	case m.IdleAfter >= 0:
		return m.IdleAfter
	case m.controls().Style != display.StyleNone:
		return defaultIdleAfter
	}
	return 0
}

// codeExpired ends the code on screen that ran out unused: the next one
// follows after codeEnded's wait, unless this was the idleAfter-th code in
// a row that nobody pressed a key for; then the device goes idle and asks
// the server for nothing until a key is pressed.
func (m *Machine) codeExpired(ctx context.Context) error {
	wait := m.codeEnded()
	m.nextAt = m.Clock.Mono() + wait
	if m.ui.anyInput && m.ui.inputAt >= m.codeMono {
		m.ui.quietCodes = 0
	} else {
		m.ui.quietCodes++
	}
	if n := m.idleAfter(); n > 0 && m.ui.quietCodes >= n {
		m.Logger.Info("codes expired with nobody at the device; idle until a key is pressed", "codes", m.ui.quietCodes)
		m.ui.quietCodes = 0
		return m.enterState(ctx, Idle, "", clearCode, false)
	}
	return m.enterState(ctx, Expired, expiredDetail(wait), clearCode, false)
}

// stepIdle waits for a key (sleepUntil returns errRenew for any) or a
// change by another process; nothing goes to the server.
func (m *Machine) stepIdle(ctx context.Context) error {
	return m.sleepUntil(ctx, forever)
}

// overlayScreen is the details or the unpair confirmation over base, the
// state's own screen.
func (m *Machine) overlayScreen(base display.Screen) display.Screen {
	ctl := m.controls()
	switch m.ui.overlay {
	case overlayDetails:
		return display.Screen{Headline: m.Text.T(msg.HeadlineDetails), Tone: display.ToneInfo, Lines: m.details(),
			Detail: m.Text.T(msg.AnyKeyReturns), Words: base.Words}
	case overlayUnpair:
		// The confirmation's wording says 5 s: unpairConfirm.
		s := display.Screen{Headline: m.Text.T(msg.UnpairConfirm, cmp.Or(ctl.Style.Name(display.KeyA), "A")), Tone: display.ToneWarn, Words: base.Words}
		if n := ctl.Style.Name(display.KeyA); n != "" {
			s.Actions = []display.Action{{Key: display.KeyA, Name: n, Label: m.Text.T(msg.ActionUnpair)}}
		}
		return s
	}
	return base
}

// details are the lines of the details screen: who the device is, which
// server it pairs with, and where it stands, in words. The device id is
// shortened; no secret is shown.
func (m *Machine) details() []string {
	dev := m.Client.Config.Device
	line := func(label msg.ID, value string) string { return m.Text.T(label) + ": " + sanitize.Line(value, 120) }
	name := dev.Name
	if dev.Model != "" && dev.Model != name {
		name = strings.TrimSpace(name + " (" + dev.Model + ")")
	}
	id := dev.ID
	if len(id) > 8 {
		id = id[:8]
	}
	addrs := "-"
	if m.Addrs != nil {
		addrs = cmp.Or(strings.Join(m.Addrs(), ", "), "-")
	}
	out := []string{
		line(msg.LabelDevice, cmp.Or(name, "-")),
		line(msg.LabelDeviceID, cmp.Or(id, "-")),
		line(msg.LabelServer, cmp.Or(m.Server.Issuer, m.Client.Endpoints.DeviceAuthorization)),
		line(msg.LabelProfile, m.Client.Wire().Name()),
		line(msg.LabelVersion, cmp.Or(dev.ClientVersion, "-")),
		line(msg.LabelNetwork, addrs),
		line(msg.LabelState, m.state.String()),
	}
	switch {
	case m.state == Error || m.state == Denied:
		out = append(out, line(msg.LabelProblem, m.detail))
	case strings.HasPrefix(m.rec.Health, "failed"):
		out = append(out, line(msg.LabelProblem, m.rec.Health))
	}
	return out
}
