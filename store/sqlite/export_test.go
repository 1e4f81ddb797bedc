package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
)

// LatestVersion is the schema version this binary writes.
var LatestVersion = len(migrations)

// CreateAtVersion makes a database in dir at schema version v by applying
// only the first v migrations, as an older pairingd left it, without the
// device and pairing rows. The caller fills it and closes it.
func CreateAtVersion(ctx context.Context, dir string, v int) (*sql.DB, error) {
	log := slog.New(slog.DiscardHandler)
	if err := prepareDir(dir, true, true, log); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	if err := prepareFile(path, true, true, log); err != nil {
		return nil, err
	}
	db, err := OpenRaw(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, v, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenRaw opens the database file at path as Open does, but does nothing
// to it.
func OpenRaw(path string) (*sql.DB, error) { return openDB(path) }
