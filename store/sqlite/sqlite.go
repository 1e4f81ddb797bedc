package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver
	"github.com/pairingd/pairingd/store"
	"golang.org/x/sys/unix"
)

// FileName is the name of the database file inside the state directory.
const FileName = "pairingd.db"

// Options configure Open.
type Options struct {
	// Create makes the state directory and the database when they are
	// missing. The daemon sets it; the status, token and unpair commands
	// do not, so that they report ErrNotExist instead of leaving an empty
	// database behind.
	Create bool
	// Logger receives warnings (permissions tightened) and migrations.
	// Nil discards them.
	Logger *slog.Logger
	// Now gives Device.CreatedAt and the first Pairing.StateSince.
	// Nil means time.Now.
	Now func() time.Time
	// ReadOnly opens the database read-only: nothing is created,
	// migrated, tightened or written, and the writing methods fail with
	// ErrReadOnly. Without Create, Open also falls back to read-only by
	// itself when the state directory or the database cannot be written
	// (a read-only mount, a user with read access only); ReadOnly then
	// reports it.
	ReadOnly bool
	// DeviceID is the id a new database gets instead of a random one:
	// the id Quarantine salvaged from a damaged database, so the server
	// sees the same device pair again.
	DeviceID string
}

// Store is a store.Store kept in a SQLite database, FileName, inside a state
// directory. Several processes may open the same directory.
type Store struct {
	db   *sql.DB
	dir  string
	path string
	log  *slog.Logger
	now  func() time.Time
	ro   bool
	// newID is Options.DeviceID.
	newID string

	// writeMu serialises this process's writers so that they queue here
	// instead of spinning in SQLite's busy handler; writers in other
	// processes still serialise on SQLite's write lock.
	writeMu sync.Mutex

	closeOnce sync.Once
	closeErr  error

	watchOnce sync.Once
	watch     *watcher // nil until Changes, or when inotify failed
}

var _ store.Store = (*Store)(nil)

// Open opens the database in dir, creating the directory and database when
// o.Create is set, and brings the schema up to date. Without o.Create a
// missing directory or database gives an error wrapping ErrNotExist, and
// a database without the pairing data one wrapping ErrEmpty.
//
// A damaged database gives an error matching ErrCorrupt. With o.Create
// (the daemon) Open also runs SQLite's quick_check, since a damaged page
// may show only when it is read, perhaps in the middle of pairing.
//
// The directory is kept at mode 0700 and the database at 0600, since it
// holds secrets; looser modes found on disk are tightened, with a warning.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ro := o.ReadOnly && !o.Create
	path := filepath.Join(dir, FileName)
	if !o.Create && !ro && !writable(dir, path) {
		ro = true
	}
	if err := prepareDir(dir, o.Create, !ro, log); err != nil {
		return nil, err
	}
	if err := prepareFile(path, o.Create, !ro, log); err != nil {
		return nil, err
	}
	params := dsnParams
	if ro {
		var err error
		if params, err = readOnlyParams(dir, path); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	db, err := openDBParams(path, params)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dir: dir, path: path, log: log, now: now, ro: ro, newID: o.DeviceID}
	if err := s.init(ctx, o.Create); err != nil {
		db.Close()
		if !o.Create && walGone(path, err) {
			// A running daemon's wal-index in -shm points past the end
			// of the new, empty -wal.
			err = fmt.Errorf("%w: %w", store.ErrEmpty, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, classify(err))
	}
	return s, nil
}

// ReadOnly reports whether the store was opened read-only, by
// Options.ReadOnly or because the state directory cannot be written. Its
// writing methods then fail with ErrReadOnly: a command must not spend a
// refresh token whose successor it could not store.
func (s *Store) ReadOnly() bool { return s.ro }

// writable reports whether this process may write dir and the database in
// it (EROFS on a read-only mount, EACCES without write permission).
func writable(dir, path string) bool {
	if unix.Access(dir, unix.W_OK) != nil {
		return false
	}
	err := unix.Access(path, unix.W_OK)
	return err == nil || errors.Is(err, unix.ENOENT)
}

// readOnlyParams are the connection parameters for reading the database
// without writing anything. A WAL database needs its -shm file, which a
// reader creates when it can: in a directory that cannot be written,
// SQLite reads with an existing -shm (and -wal), or, when no -wal holds
// commits that the main file lacks, opens the file as immutable, which
// needs neither.
func readOnlyParams(dir, path string) (string, error) {
	const ro = "mode=ro&_busy_timeout=5000"
	if unix.Access(dir, unix.W_OK) == nil {
		return ro, nil
	}
	empty, err := walHoldsNothing(path)
	if err != nil {
		return "", fmt.Errorf("database: %w", err)
	}
	if empty {
		return ro + "&immutable=1", nil
	}
	if _, err := os.Stat(path + "-shm"); err != nil {
		return "", fmt.Errorf("the state directory is read-only and %s-wal holds commits without its -shm file: start pairingd once where it can write, or read a copy", FileName)
	}
	return ro, nil
}

// walGone reports whether err is SQLite's I/O error with the -wal file
// missing or empty: the file was deleted under a running daemon.
func walGone(path string, err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrIoErr {
		return false
	}
	empty, serr := walHoldsNothing(path)
	return serr == nil && empty
}

// walHoldsNothing reports whether the database's -wal file is missing or
// empty: no commit lives only there.
func walHoldsNothing(path string) (bool, error) {
	fi, err := os.Stat(path + "-wal")
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return fi.Size() == 0, nil
}

// classify marks SQLite's verdicts of damage with ErrCorrupt.
func classify(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB) && !errors.Is(err, store.ErrCorrupt) {
		return fmt.Errorf("%w: %w", store.ErrCorrupt, err)
	}
	return err
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.watchOnce.Do(func() {}) // no watcher starts from here on
		if s.watch != nil {
			s.watch.close()
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Changes returns a channel that receives when the database's files
// change, by this process or another (the revision tells which); nil
// when they cannot be watched (no inotify), and the caller reads the
// revision on its own then. The channel closes when watching stops.
func (s *Store) Changes() <-chan struct{} {
	s.watchOnce.Do(func() {
		w, err := newWatcher(s.dir)
		if err != nil {
			s.log.Warn("cannot watch the state for changes by other processes; reading it every few seconds instead", "err", err)
			return
		}
		s.watch = w
	})
	if s.watch == nil {
		return nil
	}
	return s.watch.c
}

// prepareDir makes dir (mode 0700) if create is set, and tightens a looser
// existing mode if tight is set.
func prepareDir(dir string, create, tight bool, log *slog.Logger) error {
	if create {
		// Parents get the usual 0755: a 0700 /var/lib made on the way
		// would lock other daemons out.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create state directory: %w", err)
		}
	}
	// Stat, not Lstat: a symlink to a writable partition is a common
	// layout on read-only root file systems.
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("state directory %s: %w", dir, store.ErrNotExist)
	}
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s is not a directory", dir)
	}
	if !tight {
		return nil
	}
	return tighten(dir, fi.Mode(), log)
}

// prepareFile creates the database file with mode 0600 before SQLite sees
// it, so that SQLite (which would use 0644 less the umask) never makes it
// readable by others; the -wal and -shm files copy the database's mode.
func prepareFile(path string, create, tight bool, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return fmt.Errorf("open %s: %w", path, store.ErrNotExist)
		}
		f, cerr := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr == nil {
			// SQLite gives the -wal and -shm files it makes as root
			// to the database's owner, so this one decides.
			if err := giveToDirOwner(f, filepath.Dir(path)); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("create database: %w", err)
			}
			// Make the new directory entry durable; SQLite syncs the
			// file's contents but not the entry we just made.
			return syncDir(filepath.Dir(path))
		}
		if !errors.Is(cerr, fs.ErrExist) {
			return fmt.Errorf("create database: %w", cerr)
		}
		// Another process created it just now; check its mode below.
		fi, err = os.Stat(path)
	}
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("database %s is not a regular file", path)
	}
	if !tight {
		return nil
	}
	if err := tighten(path, fi.Mode(), log); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if err := tighten(path+suffix, fi.Mode(), log); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes group and other permission bits from path.
func tighten(path string, mode fs.FileMode, log *slog.Logger) error {
	old := mode.Perm()
	if old&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, old&^0o077); err != nil {
		return fmt.Errorf("tighten permissions: %w", err)
	}
	log.Warn("tightened permissions: the state directory holds secrets",
		"path", path, "old_mode", old.String(), "new_mode", (old &^ 0o077).String())
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	return nil
}

// dsnParams are applied by the driver to every connection.
//   - mode=rw: SQLite never creates the file; prepareFile did, with 0600.
//   - synchronous=FULL: WAL's default (NORMAL) may lose the last commits
//     on power loss; FULL loses nothing committed.
//   - busy_timeout: other processes' writers hold the lock for
//     milliseconds; wait for them rather than fail.
//   - txlock=immediate: a read-modify-write transaction takes the write
//     lock at BEGIN, so two processes queue instead of both reading and
//     then failing with SQLITE_BUSY on the upgrade to writer.
//
// journal_mode=WAL is not among them: it is persistent, and Open sets it
// only after checking that the database is not newer than this binary.
const dsnParams = "mode=rw&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"

func openDB(path string) (*sql.DB, error) { return openDBParams(path, dsnParams) }

func openDBParams(path, params string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// In a URI filename these three characters are syntax.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(abs)
	db, err := sql.Open("sqlite3", "file:"+esc+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection writes (writeMu); a second lets reads such as Rev
	// proceed meanwhile. WAL lets readers in other processes run too.
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	return db, nil
}

// init checks the schema version, switches to WAL, migrates and makes the
// device and pairing rows.
func (s *Store) init(ctx context.Context, create bool) error {
	v, err := userVersion(ctx, s.db)
	if err != nil {
		return err
	}
	if err := checkVersion(v); err != nil {
		return err
	}
	if v == 0 && !create {
		// An empty file: a daemon is creating it now, or died doing so,
		// or the -wal file with everything since is gone.
		return store.ErrEmpty
	}
	if create {
		if err := quickCheck(ctx, s.db); err != nil {
			return err
		}
	}
	if s.ro {
		if v < len(migrations) {
			return fmt.Errorf("database version %d is older than this pairingd's (%d) and the store is read-only: start the daemon once to update it", v, len(migrations))
		}
		return s.ensureRows(ctx, false)
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set journal mode: %w", err)
	}
	if mode != "wal" {
		// E.g. a file system without shared memory support.
		return fmt.Errorf("set journal mode: got %q, want wal", mode)
	}
	if err := migrate(ctx, s.db, len(migrations), s.log); err != nil {
		return err
	}
	if err := s.ensureRows(ctx, create); err != nil {
		return err
	}
	if create {
		// The daemon cannot run on rows it cannot read, whatever the
		// integrity check said.
		if _, err := s.Device(ctx); err != nil {
			return unreadable(err)
		}
		if _, err := readPairing(ctx, s.db); err != nil {
			return unreadable(err)
		}
	}
	return nil
}

// unreadable marks an error reading a row as damage unless it came from
// the file system or the context: a missing row or a value of the wrong
// type is damage, an I/O error may pass.
func unreadable(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classify(err)
	}
	return fmt.Errorf("%w: %w", store.ErrCorrupt, err)
}

func checkVersion(v int) error {
	if v > len(migrations) {
		return fmt.Errorf("database version %d is newer than this pairingd supports (%d); upgrade pairingd", v, len(migrations))
	}
	if v < 0 {
		return fmt.Errorf("database version %d is invalid", v)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate brings the schema to version target, one migration per
// transaction, each also setting user_version, so a crash leaves a
// consistent version to continue from. Processes opening the database at
// the same time serialise on the write lock and skip what another did.
func migrate(ctx context.Context, db *sql.DB, target int, log *slog.Logger) error {
	for {
		done, err := migrate1(ctx, db, target, log)
		if err != nil || done {
			return err
		}
	}
}

func migrate1(ctx context.Context, db *sql.DB, target int, log *slog.Logger) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	v, err := userVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if err := checkVersion(v); err != nil {
		return false, err
	}
	if v >= target {
		return true, nil
	}
	if err := migrations[v](ctx, tx); err != nil {
		return false, fmt.Errorf("migrate database from version %d to %d: %w", v, v+1, err)
	}
	// PRAGMA takes no parameters; v is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migrate database from version %d to %d: %w", v, v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate database from version %d to %d: %w", v, v+1, err)
	}
	log.Info("migrated database", "from", v, "to", v+1)
	return false, nil
}

// migrations[i] brings the schema from version i to i+1. Only append: a
// released entry is already applied on devices in the field.
var migrations = []func(context.Context, *sql.Tx) error{
	execMigration(schemaV1),
	execMigration(schemaV2),
}

func execMigration(query string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query)
		return err
	}
}

// schemaV1 has one row per table. Times are unix milliseconds, 0 for the
// zero time. STRICT makes SQLite reject a value of the wrong type instead
// of storing it, so reading never meets (and never reports) a mistyped
// secret.
const schemaV1 = `
CREATE TABLE device (
	row        INTEGER PRIMARY KEY CHECK (row = 1),
	id         TEXT    NOT NULL,
	name       TEXT    NOT NULL DEFAULT '',
	model      TEXT    NOT NULL DEFAULT '',
	os_version TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE pairing (
	id                        INTEGER PRIMARY KEY CHECK (id = 1),
	rev                       INTEGER NOT NULL DEFAULT 0,
	state                     INTEGER NOT NULL DEFAULT 0,
	state_since               INTEGER NOT NULL DEFAULT 0,
	message                   TEXT    NOT NULL DEFAULT '',
	issuer                    TEXT    NOT NULL DEFAULT '',
	profile                   TEXT    NOT NULL DEFAULT '',
	client_id                 TEXT    NOT NULL DEFAULT '',
	token_endpoint            TEXT    NOT NULL DEFAULT '',
	revocation_endpoint       TEXT    NOT NULL DEFAULT '',
	userinfo_endpoint         TEXT    NOT NULL DEFAULT '',
	bound_device_id           TEXT    NOT NULL DEFAULT '',
	device_code               TEXT    NOT NULL DEFAULT '',
	user_code                 TEXT    NOT NULL DEFAULT '',
	verification_uri          TEXT    NOT NULL DEFAULT '',
	verification_uri_complete TEXT    NOT NULL DEFAULT '',
	interval_ms               INTEGER NOT NULL DEFAULT 0,
	code_issued_at            INTEGER NOT NULL DEFAULT 0,
	code_expires_at           INTEGER NOT NULL DEFAULT 0,
	access_token              TEXT    NOT NULL DEFAULT '',
	refresh_token             TEXT    NOT NULL DEFAULT '',
	token_type                TEXT    NOT NULL DEFAULT '',
	scope                     TEXT    NOT NULL DEFAULT '',
	token_issued_at           INTEGER NOT NULL DEFAULT 0,
	token_expires_at          INTEGER NOT NULL DEFAULT 0,
	paired_at                 INTEGER NOT NULL DEFAULT 0
) STRICT;
`

// schemaV2 adds who the device is paired with and the last health check,
// for the server profiles that report them.
const schemaV2 = `
ALTER TABLE pairing ADD COLUMN account   TEXT    NOT NULL DEFAULT '';
ALTER TABLE pairing ADD COLUMN health    TEXT    NOT NULL DEFAULT '';
ALTER TABLE pairing ADD COLUMN health_at INTEGER NOT NULL DEFAULT 0;
`

// ensureRows makes the device identity and the empty pairing record when
// they are missing. It reads first so that opening an existing database
// writes nothing.
func (s *Store) ensureRows(ctx context.Context, create bool) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM device").Scan(&n); err != nil {
		return fmt.Errorf("read device: %w", err)
	}
	if n > 0 {
		return nil
	}
	if !create {
		return store.ErrEmpty
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	defer tx.Rollback()
	// Another process may have won the race since the read above.
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM device").Scan(&n); err != nil {
		return fmt.Errorf("read device: %w", err)
	}
	if n > 0 {
		return nil
	}
	id := s.newID
	if id == "" {
		var err error
		if id, err = newDeviceID(); err != nil {
			return err
		}
	}
	now := toMillis(s.now())
	if _, err := tx.ExecContext(ctx, "INSERT INTO device (row, id, created_at) VALUES (1, ?, ?)", id, now); err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO pairing (id, state, state_since) VALUES (1, 0, ?)", now); err != nil {
		return fmt.Errorf("create pairing record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	s.log.Info("created device identity", "device_id", id)
	return nil
}

// newDeviceID returns a random (version 4) UUID.
func newDeviceID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make device id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// toMillis and fromMillis convert times to the stored form: unix
// milliseconds, with 0 for the zero time. (The instant 1970-01-01
// 00:00:00.000 UTC therefore reads back as the zero time.)
func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// A stored value outside what toMillis can have written (bit rot that an
// integrity check does not see) is clamped into the range, 1 ms after the
// Unix epoch up to the last millisecond of year 9999, so that every time
// read is one that JSON and people can be shown. Too small a value reads
// as long past (a code or token expired long ago); too large a one as year
// 9999, the future. An IssuedAt in the future gives a token whose age
// cannot be judged, which the pairing package refreshes at once.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(min(max(ms, 1), maxMillis)).UTC()
}

// maxMillis is the last millisecond of year 9999, the latest time that
// encoding/json and RFC 3339 can write.
var maxMillis = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()

// Device implements Store.
func (s *Store) Device(ctx context.Context) (store.Device, error) {
	var d store.Device
	var created int64
	err := s.db.QueryRowContext(ctx,
		"SELECT id, name, model, os_version, created_at FROM device WHERE row = 1").
		Scan(&d.ID, &d.Name, &d.Model, &d.OSVersion, &created)
	if err != nil {
		return store.Device{}, classify(fmt.Errorf("read device: %w", err))
	}
	d.CreatedAt = fromMillis(created)
	return d, nil
}

// SetDeviceInfo implements Store. The WHERE clause makes an unchanged
// value a no-op that writes nothing to the card.
func (s *Store) SetDeviceInfo(ctx context.Context, name, model, osVersion string) error {
	if s.ro {
		return fmt.Errorf("write device info: %w", store.ErrReadOnly)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `UPDATE device SET name = ?1, model = ?2, os_version = ?3
		WHERE row = 1 AND (name != ?1 OR model != ?2 OR os_version != ?3)`,
		name, model, osVersion)
	if err != nil {
		return fmt.Errorf("write device info: %w", err)
	}
	return nil
}

// pairingColumns lists the pairing row in the order of pairingFields.
var pairingColumns = []string{
	"rev", "state", "state_since", "message",
	"issuer", "profile", "client_id", "token_endpoint", "revocation_endpoint", "userinfo_endpoint",
	"bound_device_id",
	"device_code", "user_code", "verification_uri", "verification_uri_complete",
	"interval_ms", "code_issued_at", "code_expires_at",
	"access_token", "refresh_token", "token_type", "scope", "token_issued_at", "token_expires_at",
	"paired_at",
	"account", "health", "health_at",
}

var (
	selectPairing = "SELECT " + strings.Join(pairingColumns, ", ") + " FROM pairing WHERE id = 1"
	updatePairing = "UPDATE pairing SET " + strings.Join(pairingColumns, " = ?, ") + " = ? WHERE id = 1"
)

// pairingRow is the pairing record in its stored form.
type pairingRow struct {
	p store.Pairing
	// Times and the interval in milliseconds.
	stateSince, interval, codeIssued, codeExpires, tokenIssued, tokenExpires, pairedAt, healthAt int64
}

// fields returns pointers to r's fields in the order of pairingColumns,
// for Scan; dereferenced, they are Exec's arguments.
func (r *pairingRow) fields() []any {
	p := &r.p
	return []any{
		&p.Rev, &p.State, &r.stateSince, &p.Message,
		&p.Server.Issuer, &p.Server.Profile, &p.Server.ClientID, &p.Server.TokenEndpoint, &p.Server.RevocationEndpoint, &p.Server.UserinfoEndpoint,
		&p.BoundDeviceID,
		&p.Code.DeviceCode, &p.Code.UserCode, &p.Code.VerificationURI, &p.Code.VerificationURIComplete,
		&r.interval, &r.codeIssued, &r.codeExpires,
		&p.Tokens.AccessToken, &p.Tokens.RefreshToken, &p.Tokens.TokenType, &p.Tokens.Scope, &r.tokenIssued, &r.tokenExpires,
		&r.pairedAt,
		&p.Account, &p.Health, &r.healthAt,
	}
}

func toRow(p store.Pairing) pairingRow {
	return pairingRow{
		p:            p,
		stateSince:   toMillis(p.StateSince),
		interval:     p.Code.Interval.Milliseconds(),
		codeIssued:   toMillis(p.Code.IssuedAt),
		codeExpires:  toMillis(p.Code.ExpiresAt),
		tokenIssued:  toMillis(p.Tokens.IssuedAt),
		tokenExpires: toMillis(p.Tokens.ExpiresAt),
		pairedAt:     toMillis(p.PairedAt),
		healthAt:     toMillis(p.HealthAt),
	}
}

func (r *pairingRow) pairing() store.Pairing {
	p := r.p
	p.StateSince = fromMillis(r.stateSince)
	p.Code.Interval = time.Duration(r.interval) * time.Millisecond
	p.Code.IssuedAt = fromMillis(r.codeIssued)
	p.Code.ExpiresAt = fromMillis(r.codeExpires)
	p.Tokens.IssuedAt = fromMillis(r.tokenIssued)
	p.Tokens.ExpiresAt = fromMillis(r.tokenExpires)
	p.PairedAt = fromMillis(r.pairedAt)
	p.HealthAt = fromMillis(r.healthAt)
	return p
}

// normalize returns p as it reads back from the database: times in UTC
// to the millisecond, the interval to the millisecond.
func normalize(p store.Pairing) store.Pairing {
	r := toRow(p)
	return r.pairing()
}

func readPairing(ctx context.Context, q queryer) (store.Pairing, error) {
	var r pairingRow
	if err := q.QueryRowContext(ctx, selectPairing).Scan(r.fields()...); err != nil {
		return store.Pairing{}, classify(fmt.Errorf("read pairing record: %w", err))
	}
	return r.pairing(), nil
}

// Pairing implements Store.
func (s *Store) Pairing(ctx context.Context) (store.Pairing, error) {
	return readPairing(ctx, s.db)
}

// Rev implements Store.
func (s *Store) Rev(ctx context.Context) (int64, error) {
	var rev int64
	if err := s.db.QueryRowContext(ctx, "SELECT rev FROM pairing WHERE id = 1").Scan(&rev); err != nil {
		return 0, fmt.Errorf("read pairing revision: %w", err)
	}
	return rev, nil
}

// Update implements Store. fn must not call the store.
func (s *Store) Update(ctx context.Context, fn func(*store.Pairing) error) (store.Pairing, error) {
	if s.ro {
		return store.Pairing{}, fmt.Errorf("update pairing record: %w", store.ErrReadOnly)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// BEGIN IMMEDIATE (txlock): the read below already holds the write
	// lock, so no other process can commit between our read and write.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.Pairing{}, fmt.Errorf("update pairing record: %w", err)
	}
	defer tx.Rollback()
	old, err := readPairing(ctx, tx)
	if err != nil {
		return store.Pairing{}, err
	}
	next := old // no pointers inside: a full copy
	if err := fn(&next); err != nil {
		return store.Pairing{}, err
	}
	next = normalize(next)
	next.Rev = old.Rev // the store owns Rev
	// Both sides are in stored form (times in UTC to the millisecond),
	// so == compares every field, including any added later.
	if old == next {
		// Nothing to write; the deferred rollback ends the transaction.
		return old, nil
	}
	next.Rev = old.Rev + 1
	r := toRow(next)
	args := r.fields()
	for i, f := range args {
		args[i] = deref(f)
	}
	if _, err := tx.ExecContext(ctx, updatePairing, args...); err != nil {
		return store.Pairing{}, fmt.Errorf("update pairing record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.Pairing{}, fmt.Errorf("update pairing record: commit: %w", err)
	}
	return next, nil
}

func deref(f any) any {
	switch f := f.(type) {
	case *string:
		return *f
	case *int:
		return *f
	case *int64:
		return *f
	}
	panic(fmt.Sprintf("store: unexpected field type %T", f))
}

// RefreshLock implements Store with a flock on refresh.lock in the state
// directory, which other processes share. A read-only store cannot keep a
// refreshed token, so it refuses with ErrReadOnly.
func (s *Store) RefreshLock(ctx context.Context) (release func(), err error) {
	if s.ro {
		return nil, fmt.Errorf("refresh lock: %w", store.ErrReadOnly)
	}
	return lockWait(ctx, filepath.Join(s.dir, refreshLockName))
}
