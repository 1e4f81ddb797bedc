// Package storetest has an in-memory store.Store for tests (Fake) and the
// conformance suite (Run) that every store.Store implementation passes, so
// that tests against the Fake hold for the SQLite store too.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pairingd/pairingd/store"
)

// Equal reports whether a and b are the same record, comparing times with
// time.Time.Equal.
func Equal(a, b store.Pairing) bool { return Diff(a, b) == "" }

// Diff describes how got differs from want, one field per line, or
// returns "" if they are equal. Times are compared with Equal. It walks
// the struct by reflection, so fields added later are compared too.
func Diff(got, want store.Pairing) string {
	var b strings.Builder
	diff(&b, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return b.String()
}

var timeType = reflect.TypeFor[time.Time]()

func diff(b *strings.Builder, path string, got, want reflect.Value) {
	switch {
	case got.Type() == timeType:
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			fmt.Fprintf(b, "%s: got %v, want %v\n", path, g, w)
		}
	case got.Kind() == reflect.Struct:
		for i := range got.NumField() {
			name := got.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			diff(b, name, got.Field(i), want.Field(i))
		}
	default:
		if !got.Equal(want) {
			fmt.Fprintf(b, "%s: got %#v, want %#v\n", path, got.Interface(), want.Interface())
		}
	}
}

// fieldPaths calls fn with each leaf field of v (times count as leaves).
func fieldPaths(path string, v reflect.Value, fn func(path string, v reflect.Value)) {
	if v.Kind() != reflect.Struct || v.Type() == timeType {
		fn(path, v)
		return
	}
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if path != "" {
			name = path + "." + name
		}
		fieldPaths(name, v.Field(i), fn)
	}
}

// Sample returns a pairing record with every field set, times to the
// millisecond but not in UTC, so that a round trip through a store tests
// each column and the conversion to UTC. Rev is set to a value the store
// must ignore.
func Sample() store.Pairing {
	zone := time.FixedZone("UTC+2", 2*60*60)
	at := func(ms int64) time.Time { return time.UnixMilli(ms).In(zone) }
	return store.Pairing{
		State:      3,
		StateSince: at(1_750_000_000_123),
		Message:    "authorized by user",
		Server: store.Server{
			Issuer:             "https://issuer.example",
			Profile:            "generic",
			ClientID:           "pairingd-client",
			TokenEndpoint:      "https://issuer.example/oauth/token",
			RevocationEndpoint: "https://issuer.example/oauth/revoke",
			UserinfoEndpoint:   "https://issuer.example/userinfo",
		},
		BoundDeviceID: "server-device-42",
		Code: store.Code{
			DeviceCode:              "secret-device-code-Q7x9",
			UserCode:                "WDJB-MJHT",
			VerificationURI:         "https://issuer.example/device",
			VerificationURIComplete: "https://issuer.example/device?user_code=WDJB-MJHT",
			Interval:                5*time.Second + 250*time.Millisecond,
			IssuedAt:                at(1_749_999_000_001),
			ExpiresAt:               at(1_749_999_900_999),
		},
		Tokens: store.Tokens{
			AccessToken:  "secret-access-token-Zk3p",
			RefreshToken: "secret-refresh-token-Lm8q",
			TokenType:    "Bearer",
			Scope:        "openid offline_access",
			IssuedAt:     at(1_750_000_000_456),
			ExpiresAt:    at(1_750_003_600_456),
		},
		PairedAt: at(1_750_000_000_789),
		Account:  "pete",
		Health:   "ok",
		HealthAt: at(1_750_000_100_000),
		Rev:      987654,
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Run runs the conformance suite. open opens (creating if needed) the
// store kept in dir; Run calls it again with the same dir to test what
// survives a reopen and what a second process sees, so the stores it
// returns for one dir must share their data. Run closes the stores.
func Run(t *testing.T, open func(t *testing.T, dir string) store.Store) {
	c := conformance{open: open}
	for _, tc := range []struct {
		name string
		run  func(conformance, *testing.T)
	}{
		{"DeviceIDStable", conformance.deviceIDStable},
		{"NewRecordIsEmpty", conformance.newRecordIsEmpty},
		{"RoundTrip", conformance.roundTrip},
		{"ClearRoundTrip", conformance.clearRoundTrip},
		{"Precision", conformance.precision},
		{"FuncErrorWritesNothing", conformance.funcErrorWritesNothing},
		{"CancelledContextWritesNothing", conformance.cancelledContextWritesNothing},
		{"UnchangedKeepsRev", conformance.unchangedKeepsRev},
		{"AnySingleFieldCommits", conformance.anySingleFieldCommits},
		{"RevChangesOnEveryWrite", conformance.revChangesOnEveryWrite},
		{"ConcurrentUpdatesSerialise", conformance.concurrentUpdatesSerialise},
		{"RefreshLock", conformance.refreshLock},
		{"SetDeviceInfo", conformance.setDeviceInfo},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(c, t) })
	}
}

// conformance is the suite's store opener and its helpers; each case is a
// method.
type conformance struct {
	open func(t *testing.T, dir string) store.Store
}

func (c conformance) openT(t *testing.T, dir string) store.Store {
	t.Helper()
	s := c.open(t, dir)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func (c conformance) fresh(t *testing.T) store.Store {
	t.Helper()
	return c.openT(t, t.TempDir())
}

func (c conformance) mustPairing(t *testing.T, s store.Store) store.Pairing {
	t.Helper()
	p, err := s.Pairing(context.Background())
	if err != nil {
		t.Fatalf("Pairing: %v", err)
	}
	return p
}

func (c conformance) mustRev(t *testing.T, s store.Store) int64 {
	t.Helper()
	rev, err := s.Rev(context.Background())
	if err != nil {
		t.Fatalf("Rev: %v", err)
	}
	return rev
}

func (c conformance) mustUpdate(t *testing.T, s store.Store, fn func(*store.Pairing)) store.Pairing {
	t.Helper()
	p, err := s.Update(context.Background(), func(p *store.Pairing) error { fn(p); return nil })
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return p
}

func (c conformance) mustDevice(t *testing.T, s store.Store) store.Device {
	t.Helper()
	d, err := s.Device(context.Background())
	if err != nil {
		t.Fatalf("Device: %v", err)
	}
	return d
}

func (c conformance) deviceIDStable(t *testing.T) {
	dir := t.TempDir()
	s := c.openT(t, dir)
	d := c.mustDevice(t, s)
	if !uuidV4.MatchString(d.ID) {
		t.Errorf("Device().ID = %q, want a version 4 UUID", d.ID)
	}
	if d.CreatedAt.IsZero() {
		t.Errorf("Device().CreatedAt is zero, want the creation time")
	}
	// Unpairing clears the record; the identity stays.
	c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	c.mustUpdate(t, s, func(p *store.Pairing) { *p = store.Pairing{} })
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again := c.mustDevice(t, c.openT(t, dir))
	if again.ID != d.ID || !again.CreatedAt.Equal(d.CreatedAt) {
		t.Errorf("after reopen Device() = %+v, want %+v", again, d)
	}
	if other := c.mustDevice(t, c.fresh(t)); other.ID == d.ID {
		t.Errorf("two stores share device id %q, want fresh random ids", d.ID)
	}
}

func (c conformance) newRecordIsEmpty(t *testing.T) {
	s := c.fresh(t)
	p := c.mustPairing(t, s)
	want := store.Pairing{StateSince: p.StateSince, Rev: p.Rev}
	if d := Diff(p, want); d != "" {
		t.Errorf("new Pairing() differs from an empty record:\n%s", d)
	}
	if got := c.mustRev(t, s); got != p.Rev {
		t.Errorf("Rev() = %d, want Pairing().Rev = %d", got, p.Rev)
	}
}

func (c conformance) roundTrip(t *testing.T) {
	sample := Sample()
	fieldPaths("", reflect.ValueOf(sample), func(path string, v reflect.Value) {
		if path != "Rev" && v.IsZero() {
			t.Errorf("Sample().%s is zero; set it so the round trip covers it", path)
		}
	})
	dir := t.TempDir()
	s := c.openT(t, dir)
	before := c.mustRev(t, s)
	got := c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	if got.Rev == before || got.Rev == sample.Rev {
		t.Errorf("Update returned Rev %d, want a new store-made revision (was %d; fn set %d)", got.Rev, before, sample.Rev)
	}
	want := sample
	want.Rev = got.Rev
	check := func(what string, got store.Pairing) {
		t.Helper()
		if d := Diff(got, want); d != "" {
			t.Errorf("%s differs from what was written:\n%s", what, d)
		}
		fieldPaths("", reflect.ValueOf(got), func(path string, v reflect.Value) {
			if tm, ok := v.Interface().(time.Time); ok && tm.Location() != time.UTC {
				t.Errorf("%s: %s is in %v, want UTC", what, path, tm.Location())
			}
		})
	}
	check("Update result", got)
	check("Pairing()", c.mustPairing(t, s))
	check("Pairing() in a second handle", c.mustPairing(t, c.openT(t, dir)))
	s.Close()
	check("Pairing() after reopen", c.mustPairing(t, c.openT(t, dir)))
}

func (c conformance) clearRoundTrip(t *testing.T) {
	s := c.fresh(t)
	c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	got := c.mustUpdate(t, s, func(p *store.Pairing) { *p = store.Pairing{} })
	want := store.Pairing{Rev: got.Rev}
	if d := Diff(got, want); d != "" {
		t.Errorf("cleared record differs from zero:\n%s", d)
	}
	if d := Diff(c.mustPairing(t, s), want); d != "" {
		t.Errorf("Pairing() after clearing differs from zero:\n%s", d)
	}
}

func (c conformance) precision(t *testing.T) {
	s := c.fresh(t)
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	now := time.Now() // carries a monotonic reading
	for _, tt := range []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"sub-millisecond dropped", base.Add(123456789 * time.Nanosecond), base.Add(123 * time.Millisecond)},
		{"other zone to UTC", base.In(time.FixedZone("X", -5*3600)), base},
		{"monotonic reading dropped", now, time.UnixMilli(now.UnixMilli())},
		{"zero stays zero", time.Time{}, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			got := c.mustUpdate(t, s, func(p *store.Pairing) {
				p.Message = tt.name
				p.Tokens.ExpiresAt = in
			})
			if !got.Tokens.ExpiresAt.Equal(tt.want) {
				t.Errorf("Update stored %v, returned %v, want %v", in, got.Tokens.ExpiresAt, tt.want)
			}
			if read := c.mustPairing(t, s).Tokens.ExpiresAt; !read.Equal(tt.want) || read != got.Tokens.ExpiresAt {
				t.Errorf("Pairing() returned %v, want %v as Update returned", read, got.Tokens.ExpiresAt)
			}
		})
	}
	got := c.mustUpdate(t, s, func(p *store.Pairing) { p.Code.Interval = 1500 * time.Microsecond })
	if want := time.Millisecond; got.Code.Interval != want {
		t.Errorf("Interval 1.5ms stored as %v, want %v", got.Code.Interval, want)
	}
}

func (c conformance) funcErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := c.fresh(t)
	before := c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	errBoom := errors.New("boom")
	_, err := s.Update(ctx, func(p *store.Pairing) error {
		p.State = 7
		p.Tokens = store.Tokens{}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update error = %v, want %v", err, errBoom)
	}
	if d := Diff(c.mustPairing(t, s), before); d != "" {
		t.Errorf("record changed although fn failed:\n%s", d)
	}
}

func (c conformance) cancelledContextWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := c.fresh(t)
	before := c.mustPairing(t, s)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Update(cctx, func(p *store.Pairing) error { p.Message = "late"; return nil })
	if err == nil {
		t.Errorf("Update with a cancelled context succeeded, want an error")
	}
	if d := Diff(c.mustPairing(t, s), before); d != "" {
		t.Errorf("record changed by a cancelled Update:\n%s", d)
	}
}

func (c conformance) unchangedKeepsRev(t *testing.T) {
	s := c.fresh(t)
	before := c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	for _, tt := range []struct {
		name string
		fn   func(*store.Pairing)
	}{
		{"no-op", func(*store.Pairing) {}},
		{"same values", func(p *store.Pairing) { *p = Sample() }},
		{"same instant, other zone", func(p *store.Pairing) { p.PairedAt = p.PairedAt.In(time.Local) }},
		{"sub-millisecond change", func(p *store.Pairing) { p.StateSince = p.StateSince.Add(time.Microsecond) }},
		{"only Rev", func(p *store.Pairing) { p.Rev += 5 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.mustUpdate(t, s, tt.fn)
			if d := Diff(got, before); d != "" {
				t.Errorf("Update returned a different record:\n%s", d)
			}
			if rev := c.mustRev(t, s); rev != before.Rev {
				t.Errorf("Rev() = %d, want unchanged %d", rev, before.Rev)
			}
		})
	}
}

func (c conformance) anySingleFieldCommits(t *testing.T) {
	// Every field of the record, including one added later, is
	// stored: changing it alone commits and reads back.
	s := c.fresh(t)
	base := c.mustUpdate(t, s, func(p *store.Pairing) { *p = Sample() })
	var paths []string
	fieldPaths("", reflect.ValueOf(base), func(path string, _ reflect.Value) {
		if path != "Rev" {
			paths = append(paths, path)
		}
	})
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			before := c.mustPairing(t, s)
			want := before
			v := reflect.ValueOf(&want).Elem()
			for _, name := range strings.Split(path, ".") {
				v = v.FieldByName(name)
			}
			switch {
			case v.Type() == timeType:
				v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
			case v.Kind() == reflect.String:
				v.SetString(v.String() + "-changed")
			case v.CanInt():
				v.SetInt(v.Int() + int64(time.Millisecond))
			default:
				t.Fatalf("no way to change a %s", v.Type())
			}
			got := c.mustUpdate(t, s, func(p *store.Pairing) { *p = want })
			if got.Rev == before.Rev {
				t.Errorf("changing %s alone did not commit (Rev stayed %d)", path, got.Rev)
			}
			want.Rev = got.Rev
			if d := Diff(c.mustPairing(t, s), want); d != "" {
				t.Errorf("after changing %s:\n%s", path, d)
			}
		})
	}
}

func (c conformance) revChangesOnEveryWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := c.openT(t, dir), c.openT(t, dir)
	seen := map[int64]bool{c.mustRev(t, a): true}
	for i := range 6 {
		w := a
		if i%2 == 1 {
			w = b // a write by "another process" changes Rev too
		}
		got := c.mustUpdate(t, w, func(p *store.Pairing) { p.Message = fmt.Sprintf("write %d", i) })
		if seen[got.Rev] {
			t.Errorf("write %d: Rev %d was seen before, want a new one", i, got.Rev)
		}
		seen[got.Rev] = true
		for _, r := range []store.Store{a, b} {
			if rev := c.mustRev(t, r); rev != got.Rev {
				t.Errorf("write %d: Rev() = %d, want %d as Update returned", i, rev, got.Rev)
			}
			if p := c.mustPairing(t, r); p.Message != got.Message || p.Rev != got.Rev {
				t.Errorf("write %d: Pairing() = (%q, rev %d), want (%q, rev %d)", i, p.Message, p.Rev, got.Message, got.Rev)
			}
		}
	}
}

func (c conformance) concurrentUpdatesSerialise(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	handles := []store.Store{c.openT(t, dir), c.openT(t, dir)}
	const n = 20
	type result struct {
		state int
		rev   int64
		err   error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := handles[i%2].Update(ctx, func(p *store.Pairing) error {
				p.State++
				return nil
			})
			results <- result{p.State, p.Rev, err}
		}()
	}
	wg.Wait()
	close(results)
	states := map[int]bool{}
	revs := map[int64]bool{}
	for r := range results {
		if r.err != nil {
			t.Errorf("Update: %v", r.err)
			continue
		}
		if states[r.state] || revs[r.rev] {
			t.Errorf("two Updates returned state %d / rev %d: they did not serialise", r.state, r.rev)
		}
		states[r.state], revs[r.rev] = true, true
	}
	if got := c.mustPairing(t, handles[0]).State; got != n {
		t.Errorf("after %d concurrent increments State = %d, want %d (lost updates)", n, got, n)
	}
}

func (c conformance) refreshLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := c.openT(t, dir), c.openT(t, dir)
	for _, tt := range []struct {
		name   string
		second store.Store
	}{
		{"same handle", a},
		{"other handle", b},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release, err := a.RefreshLock(ctx)
			if err != nil {
				t.Fatalf("RefreshLock: %v", err)
			}
			defer release()

			tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			if rel, err := tt.second.RefreshLock(tctx); !errors.Is(err, context.DeadlineExceeded) {
				if err == nil {
					rel()
				}
				t.Errorf("RefreshLock while held = %v, want context.DeadlineExceeded", err)
			}

			cctx, cancel := context.WithCancel(ctx)
			cancelled := make(chan error, 1)
			go func() {
				rel, err := tt.second.RefreshLock(cctx)
				if err == nil {
					rel()
				}
				cancelled <- err
			}()
			cancel()
			select {
			case err := <-cancelled:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("RefreshLock after cancel = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("RefreshLock ignored the cancellation of its context")
			}

			acquired := make(chan func(), 1)
			go func() {
				rel, err := tt.second.RefreshLock(ctx)
				if err != nil {
					t.Errorf("waiting RefreshLock: %v", err)
					rel = func() {}
				}
				acquired <- rel
			}()
			select {
			case rel := <-acquired:
				rel()
				t.Fatalf("second RefreshLock acquired while the first was held")
			case <-time.After(200 * time.Millisecond):
			}
			release()
			release() // a second call is harmless
			select {
			case rel := <-acquired:
				rel()
			case <-time.After(10 * time.Second):
				t.Fatalf("second RefreshLock not acquired after release")
			}
		})
	}
}

func (c conformance) setDeviceInfo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := c.openT(t, dir)
	before := c.mustDevice(t, s)
	rev := c.mustRev(t, s)
	for i := range 2 { // the second call must be a harmless no-op
		if err := s.SetDeviceInfo(ctx, "kiosk-3", "Raspberry Pi 4 Model B Rev 1.4", "Buildroot 2025.02"); err != nil {
			t.Fatalf("SetDeviceInfo #%d: %v", i+1, err)
		}
		want := before
		want.Name, want.Model, want.OSVersion = "kiosk-3", "Raspberry Pi 4 Model B Rev 1.4", "Buildroot 2025.02"
		if got := c.mustDevice(t, s); got.ID != want.ID || got.Name != want.Name || got.Model != want.Model ||
			got.OSVersion != want.OSVersion || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("after SetDeviceInfo #%d Device() = %+v, want %+v", i+1, got, want)
		}
	}
	if got := c.mustRev(t, s); got != rev {
		t.Errorf("SetDeviceInfo changed the pairing Rev from %d to %d", rev, got)
	}
	if err := s.SetDeviceInfo(ctx, "kiosk-4", "Raspberry Pi 4 Model B Rev 1.4", "Buildroot 2025.02"); err != nil {
		t.Fatalf("SetDeviceInfo: %v", err)
	}
	s.Close()
	if got := c.mustDevice(t, c.openT(t, dir)); got.Name != "kiosk-4" || got.ID != before.ID {
		t.Errorf("after reopen Device() = %+v, want name kiosk-4 and id %s", got, before.ID)
	}
}
