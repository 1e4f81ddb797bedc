package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pairingd/pairingd/internal/sanitize"
	"github.com/pairingd/pairingd/store"
)

// quickCheck runs SQLite's quick_check, which reads every page: damage
// found now is better than damage found mid-pairing. quick_check reports a
// page it could not read (an I/O error of the card) as a finding like
// damage, so a finding counts only when a second check repeats it: one
// hiccup of an SD card at boot must not move a good pairing aside.
func quickCheck(ctx context.Context, db *sql.DB) error {
	var first string
	for try := 0; try < 2; try++ {
		var res string
		if err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
			return fmt.Errorf("check database: %w", err)
		}
		if res == "ok" {
			return nil
		}
		if try == 1 && res == first {
			return fmt.Errorf("%w: check database: %s", store.ErrCorrupt, sanitize.Line(res, 200))
		}
		first = res
	}
	return fmt.Errorf("check database: the check found different problems twice (a failing card?): %s", sanitize.Line(first, 200))
}

// damagedSuffix is put, with the time, after the name of a database that
// Quarantine moved aside.
const damagedSuffix = ".damaged-"

// Quarantine moves the damaged database in dir aside, with its -wal and
// -shm files, to FileName plus ".damaged-" and the UTC time (for example
// pairingd.db.damaged-20261202T010203Z), so that Open with Create makes a
// new one. The kept files are never deleted: they are for a person to
// look at. It returns the kept main file's path and the device id read,
// best effort, from a scratch copy of it ("" when none could be read), for
// Options.DeviceID: a server that dedupes re-pairings on the device id
// then sees the same device. Call it with the daemon lock held, after
// Open failed with ErrCorrupt.
func Quarantine(dir string, now time.Time) (kept, deviceID string, err error) {
	path := filepath.Join(dir, FileName)
	base := path + damagedSuffix + now.UTC().Format("20060102T150405Z")
	kept = base
	for n := 2; ; n++ {
		if free(kept) && free(kept+"-wal") && free(kept+"-shm") {
			break
		}
		kept = base + "-" + strconv.Itoa(n)
	}
	// The -wal first: were the main file moved alone, a new database
	// would take over its commits.
	for _, suffix := range []string{"-wal", "-shm", ""} {
		err := os.Rename(path+suffix, kept+suffix)
		if err != nil && !(suffix != "" && errors.Is(err, fs.ErrNotExist)) {
			return "", "", fmt.Errorf("move the damaged database aside: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return "", "", err
	}
	return kept, salvageDeviceID(dir, kept), nil
}

// free reports whether nothing is at path, so a rename there replaces
// nothing.
func free(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// isDeviceID reports whether s has the form newDeviceID makes: lower-case
// hex in groups of 8-4-4-4-12. (A check by hand: regexp would add 200 KB
// to a binary with a 9 MiB budget.)
func isDeviceID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// salvageDeviceID reads the device id from a copy of the kept database and
// its -wal (reading may write: SQLite recovers the WAL), or returns "".
// The copy is made in the state directory, since the file holds secrets.
func salvageDeviceID(dir, kept string) string {
	// A copy left by a salvage that was killed holds secrets: remove it.
	if old, err := filepath.Glob(filepath.Join(dir, ".salvage-*")); err == nil {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".salvage-")
	if err != nil {
		return ""
	}
	defer os.RemoveAll(tmp)
	cp := filepath.Join(tmp, FileName)
	if copyFile(kept, cp) != nil {
		return ""
	}
	if err := copyFile(kept+"-wal", cp+"-wal"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	db, err := openDBParams(cp, "mode=rw&_busy_timeout=1000")
	if err != nil {
		return ""
	}
	defer db.Close()
	var id string
	if err := db.QueryRow("SELECT id FROM device WHERE row = 1").Scan(&id); err != nil || !isDeviceID(id) {
		return ""
	}
	return id
}

// copyFile copies from to a new file to, mode 0600.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
