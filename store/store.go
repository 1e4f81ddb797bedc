package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotExist is returned by Open with Options.Create false when the state
// directory holds no database yet (the daemon has never run there).
var ErrNotExist = errors.New("no pairingd database")

// ErrEmpty is returned by Open without Options.Create when the database
// file is there but holds no pairing data: it is empty, a daemon died while
// creating it, or its -wal file, which holds the recent commits until they
// are checkpointed into the main file, is missing (deleted, or a backup
// copied only FileName).
var ErrEmpty = errors.New("the pairingd database holds no pairing data")

// ErrCorrupt is matched by the error of Open when the database file is
// damaged: SQLite finds it malformed, or it is not a database at all.
// The daemon then keeps such a file aside and makes a new one.
var ErrCorrupt = errors.New("the pairingd database is damaged")

// ErrReadOnly is returned by the writing methods of a store opened
// read-only (store/sqlite opens one so where it cannot write).
var ErrReadOnly = errors.New("the pairingd database is open read-only")

// ErrLocked is matched by the error of taking the daemon lock when another
// daemon holds the state directory.
var ErrLocked = errors.New("state directory is in use by another pairingd")

// Device is the device's own identity. Its ID is made once, when the
// database is created, and survives unpairing.
type Device struct {
	// ID is a random 128-bit identifier in UUID text form.
	ID string
	// Name, Model and OSVersion describe the device; they come from the
	// config or from /proc/device-tree/model and /etc/os-release.
	Name      string
	Model     string
	OSVersion string
	// CreatedAt is when the ID was made.
	CreatedAt time.Time
}

// Server names the authorization server the device pairs with, and the
// endpoints that the token and unpair commands need without a config.
// Nothing in it is secret.
type Server struct {
	Issuer             string
	Profile            string
	ClientID           string
	TokenEndpoint      string
	RevocationEndpoint string
	UserinfoEndpoint   string
}

// Code is an in-flight device code (RFC 8628 §3.2). DeviceCode is a
// secret. ExpiresAt is absolute (wall clock), so that a restart neither
// extends nor shortens the code's life.
type Code struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	Interval                time.Duration
	IssuedAt                time.Time
	ExpiresAt               time.Time
}

// IsZero reports whether there is no code.
func (c Code) IsZero() bool { return c.DeviceCode == "" }

// Tokens are the grant's tokens. AccessToken and RefreshToken are secrets.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	Scope        string
	// IssuedAt is when the access token was received; with ExpiresAt it
	// gives the lifetime that schedules the refresh.
	IssuedAt time.Time
	// ExpiresAt is zero when the server gave no expires_in.
	ExpiresAt time.Time
}

// IsZero reports whether there is no grant: neither an access token nor a
// refresh token (the Data Exporter API hands out a long-lived credential,
// kept as the refresh token, before any access token).
func (t Tokens) IsZero() bool { return t.AccessToken == "" && t.RefreshToken == "" }

// Pairing is the pairing record: one row, read and written whole, so that a
// state change, the tokens and the bound device id are always committed
// together.
type Pairing struct {
	// State is a pairing.State; the store keeps it as a number.
	State      int
	StateSince time.Time
	// Message is the last human-readable detail (an error description,
	// "denied"); never a secret.
	Message string
	Server  Server
	// BoundDeviceID is the server's id for this device, when it gave one.
	BoundDeviceID string
	Code          Code
	Tokens        Tokens
	PairedAt      time.Time
	// Account names who the device is paired with, when the server says
	// (RomM's user name).
	Account string
	// Health is the result of the last check of the server or the grant
	// ("ok", or what failed), and HealthAt when it last changed. Both are
	// written only when the result changes.
	Health   string
	HealthAt time.Time
	// Rev is set by the store: it changes with every committed write, by
	// any process, so a daemon can notice that `pairingd unpair` or
	// `pairingd token` changed the record under it.
	Rev int64
}

// Store keeps the device identity and the pairing record. Implementations
// are safe for concurrent use, and several processes may open the same
// state directory (the daemon and the status, token and unpair commands).
type Store interface {
	// Device returns the device identity.
	Device(ctx context.Context) (Device, error)
	// SetDeviceInfo records name, model and OS version; it writes only when
	// one of them changed.
	SetDeviceInfo(ctx context.Context, name, model, osVersion string) error
	// Pairing returns the pairing record.
	Pairing(ctx context.Context) (Pairing, error)
	// Update reads the record, calls fn on it and commits the result in one
	// transaction, so concurrent writers from other processes serialise.
	// If fn returns an error nothing is written. If fn leaves the record
	// equal, nothing is written and Rev stays. It returns the record as
	// committed, with its new Rev.
	Update(ctx context.Context, fn func(*Pairing) error) (Pairing, error)
	// Rev returns the record's current revision, cheaply and without
	// writing.
	Rev(ctx context.Context) (int64, error)
	// RefreshLock serialises token refreshes across processes: refresh
	// tokens rotate and a used one dies, so only one process may spend it.
	// The caller re-reads the record after taking the lock.
	RefreshLock(ctx context.Context) (release func(), err error)
	// Close releases the store.
	Close() error
}
