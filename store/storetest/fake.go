package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/pairingd/pairingd/store"
)

// Fake is an in-memory store.Store for tests of the packages that use a
// store. It keeps values as the SQLite store does (times in UTC to the
// millisecond), counts committed writes, and can fail an Update on
// demand. Its data outlives Close, like a file, so a test can "reopen" it
// by using it again.
type Fake struct {
	refresh chan struct{} // a one-slot semaphore: RefreshLock

	mu       sync.Mutex
	dev      store.Device
	p        store.Pairing
	writes   int
	reads    int
	failNext error
	changes  chan struct{} // made by Changes
}

var _ store.Store = (*Fake)(nil)

// NewFake returns a Fake with a random device id, created now, and an
// empty pairing record.
func NewFake() *Fake {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	now := time.Now()
	return &Fake{
		refresh: make(chan struct{}, 1),
		dev: store.Device{
			ID:        fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]),
			CreatedAt: normTime(now),
		},
		p: store.Pairing{StateSince: normTime(now)},
	}
}

// Writes returns the number of committed writes so far, by Update and
// SetDeviceInfo; writes that changed nothing are not counted. A test can
// assert that polling writes nothing.
func (f *Fake) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// Reads returns the number of reads of the pairing record so far, by
// Pairing and Rev. A test can assert that a loop told of changes does not
// look at the record when nothing changed.
func (f *Fake) Reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// FailNextUpdate makes the next Update call its fn and then return err
// without writing, as if the commit failed (a full disk, a power cut).
func (f *Fake) FailNextUpdate(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = err
}

// Device implements store.Store.
func (f *Fake) Device(ctx context.Context) (store.Device, error) {
	if err := ctx.Err(); err != nil {
		return store.Device{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dev, nil
}

// SetDeviceInfo implements store.Store.
func (f *Fake) SetDeviceInfo(ctx context.Context, name, model, osVersion string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dev.Name == name && f.dev.Model == model && f.dev.OSVersion == osVersion {
		return nil
	}
	f.dev.Name, f.dev.Model, f.dev.OSVersion = name, model, osVersion
	f.writes++
	return nil
}

// Pairing implements store.Store.
func (f *Fake) Pairing(ctx context.Context) (store.Pairing, error) {
	if err := ctx.Err(); err != nil {
		return store.Pairing{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.p, nil
}

// Rev implements store.Store.
func (f *Fake) Rev(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.p.Rev, nil
}

// Update implements store.Store. fn runs with the Fake locked, so it must
// not call the Fake.
func (f *Fake) Update(ctx context.Context, fn func(*store.Pairing) error) (store.Pairing, error) {
	if err := ctx.Err(); err != nil {
		return store.Pairing{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	next := f.p
	if err := fn(&next); err != nil {
		return store.Pairing{}, err
	}
	if err := f.failNext; err != nil {
		f.failNext = nil
		return store.Pairing{}, err
	}
	next = normalize(next)
	next.Rev = f.p.Rev
	if Equal(next, f.p) {
		return f.p, nil
	}
	next.Rev++
	f.p = next
	f.writes++
	if f.changes != nil {
		select {
		case f.changes <- struct{}{}:
		default:
		}
	}
	return next, nil
}

// Changes tells of every committed write, as the SQLite store tells of
// changes to its files.
func (f *Fake) Changes() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changes == nil {
		f.changes = make(chan struct{}, 1)
	}
	return f.changes
}

// RefreshLock implements store.Store.
func (f *Fake) RefreshLock(ctx context.Context) (release func(), err error) {
	select {
	case f.refresh <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for refresh lock: %w", ctx.Err())
	}
	var once sync.Once
	return func() { once.Do(func() { <-f.refresh }) }, nil
}

// Close implements store.Store. The data stays.
func (f *Fake) Close() error { return nil }

// normalize returns p as the SQLite store keeps it.
func normalize(p store.Pairing) store.Pairing {
	p.StateSince = normTime(p.StateSince)
	p.Code.Interval = p.Code.Interval.Truncate(time.Millisecond)
	p.Code.IssuedAt = normTime(p.Code.IssuedAt)
	p.Code.ExpiresAt = normTime(p.Code.ExpiresAt)
	p.Tokens.IssuedAt = normTime(p.Tokens.IssuedAt)
	p.Tokens.ExpiresAt = normTime(p.Tokens.ExpiresAt)
	p.PairedAt = normTime(p.PairedAt)
	p.HealthAt = normTime(p.HealthAt)
	return p
}

// normTime keeps a time to the millisecond, in UTC, without a monotonic
// reading; the zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	ms := t.UnixMilli()
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
