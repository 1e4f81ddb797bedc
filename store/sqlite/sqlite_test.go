package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
	"github.com/pairingd/pairingd/store/storetest"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openSQLite(t *testing.T, dir string, o sqlite.Options) *sqlite.Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	s, err := sqlite.Open(context.Background(), dir, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) store.Store {
		s, err := sqlite.Open(context.Background(), dir, sqlite.Options{Create: true, Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("Open(%s): %v", dir, err)
		}
		return s
	})
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestPermissionsOnCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "pairingd")
	s := openSQLite(t, dir, sqlite.Options{Create: true})
	if _, err := s.Update(context.Background(), func(p *store.Pairing) error { p.Message = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Path(), filepath.Join(dir, sqlite.FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		path string
		want fs.FileMode
	}{
		{dir, 0o700},
		{s.Path(), 0o600},
		{s.Path() + "-wal", 0o600},
		{s.Path() + "-shm", 0o600},
	} {
		if got := perm(t, tt.path); got != tt.want {
			t.Errorf("mode of %s = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestPermissionsTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first := openSQLite(t, dir, sqlite.Options{Create: true})
	// A write while first stays open keeps -wal and -shm on disk.
	if _, err := first.Update(context.Background(), func(p *store.Pairing) error { p.Message = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	loose := map[string]fs.FileMode{
		dir:                   0o755,
		first.Path():          0o644,
		first.Path() + "-wal": 0o644,
		first.Path() + "-shm": 0o640,
	}
	for path, mode := range loose {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	openSQLite(t, dir, sqlite.Options{Create: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for path, old := range loose {
		want := old &^ 0o077
		if got := perm(t, path); got != want {
			t.Errorf("mode of %s = %v, want %v", path, got, want)
		}
		if line := fmt.Sprintf("path=%s old_mode=%v", path, old); !strings.Contains(logs.String(), line) {
			t.Errorf("log lacks a warning with %q; log:\n%s", line, logs.String())
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != len(loose) {
		t.Errorf("got %d warnings, want %d; log:\n%s", n, len(loose), logs.String())
	}
}

func TestOpenWithoutCreate(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	for _, tt := range []struct {
		name string
		dir  string
	}{
		{"empty directory", empty},
		{"missing directory", filepath.Join(empty, "missing")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(ctx, tt.dir, sqlite.Options{Logger: testLogger(t)})
			if !errors.Is(err, store.ErrNotExist) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("Open without Create = %v, want ErrNotExist", err)
			}
			if entries, _ := os.ReadDir(empty); len(entries) != 0 {
				t.Errorf("Open without Create left %v behind, want nothing", entries)
			}
		})
	}

	t.Run("empty database file", func(t *testing.T) {
		// What a daemon that died right after creating the file leaves.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := sqlite.Open(ctx, dir, sqlite.Options{Logger: testLogger(t)}); !errors.Is(err, store.ErrEmpty) {
			if err == nil {
				s.Close()
			}
			t.Fatalf("Open without Create = %v, want ErrEmpty", err)
		}
	})

	t.Run("existing database", func(t *testing.T) {
		dir := t.TempDir()
		want := openSQLite(t, dir, sqlite.Options{Create: true})
		got := openSQLite(t, dir, sqlite.Options{})
		d1, err1 := want.Device(ctx)
		d2, err2 := got.Device(ctx)
		if err1 != nil || err2 != nil || d1.ID != d2.ID {
			t.Errorf("Device() = %v, %v without Create; want %v as with Create", d2.ID, err2, d1.ID)
		}
	})
}

// seeds[v] fills a database at schema version v with the rows an older
// pairingd would have written, and returns the device and record that the
// current store must read from it after upgrading. A nil device means the
// database held none, and Open makes a fresh one. When a migration is
// added, add the seed for the version before it here.
var seeds = []func(t *testing.T, db *sql.DB) (*store.Device, store.Pairing){
	0: func(t *testing.T, db *sql.DB) (*store.Device, store.Pairing) {
		return nil, store.Pairing{}
	},
	1: seedV1,
	2: func(t *testing.T, db *sql.DB) (*store.Device, store.Pairing) {
		dev, _ := seedV1(t, db)
		mustExec(t, db, `UPDATE pairing SET account = 'pete', health = 'ok', health_at = 1750000100000 WHERE id = 1`)
		p := storetest.Sample()
		p.Rev = 41
		return dev, p
	},
}

// seedV1 is the version 1 database, written as version 1 wrote it.
func seedV1(t *testing.T, db *sql.DB) (*store.Device, store.Pairing) {
	// The stored form written out by hand: this also pins the encoding
	// (unix milliseconds, interval in milliseconds).
	mustExec(t, db, `INSERT INTO device (row, id, name, model, os_version, created_at)
		VALUES (1, '0b6c3c5e-8c1d-4c2a-9f3e-5a6b7c8d9e0f', 'kiosk', 'Raspberry Pi 4', 'Buildroot 2025.02', 1740000000000)`)
	mustExec(t, db, `INSERT INTO pairing (id, rev, state, state_since, message,
			issuer, profile, client_id, token_endpoint, revocation_endpoint, userinfo_endpoint,
			bound_device_id,
			device_code, user_code, verification_uri, verification_uri_complete, interval_ms, code_issued_at, code_expires_at,
			access_token, refresh_token, token_type, scope, token_issued_at, token_expires_at,
			paired_at)
		VALUES (1, 41, 3, 1750000000123, 'authorized by user',
			'https://issuer.example', 'generic', 'pairingd-client', 'https://issuer.example/oauth/token', 'https://issuer.example/oauth/revoke', 'https://issuer.example/userinfo',
			'server-device-42',
			'secret-device-code-Q7x9', 'WDJB-MJHT', 'https://issuer.example/device', 'https://issuer.example/device?user_code=WDJB-MJHT', 5250, 1749999000001, 1749999900999,
			'secret-access-token-Zk3p', 'secret-refresh-token-Lm8q', 'Bearer', 'openid offline_access', 1750000000456, 1750003600456,
			1750000000789)`)
	p := storetest.Sample()
	p.Rev = 41
	// Version 1 had no account or health columns.
	p.Account, p.Health, p.HealthAt = "", "", time.Time{}
	return &store.Device{
		ID:        "0b6c3c5e-8c1d-4c2a-9f3e-5a6b7c8d9e0f",
		Name:      "kiosk",
		Model:     "Raspberry Pi 4",
		OSVersion: "Buildroot 2025.02",
		CreatedAt: time.UnixMilli(1740000000000),
	}, p
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrations builds a database at every version up to the latest,
// fills it as that version would, and checks that Open upgrades it with
// the data intact. The latest version is included, so its seed is tested
// before the next migration needs it.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	if got, want := len(seeds), sqlite.LatestVersion+1; got != want {
		t.Fatalf("len(seeds) = %d, want %d: add a seed for each schema version 0..%d", got, want, sqlite.LatestVersion)
	}
	for v := range sqlite.LatestVersion + 1 {
		t.Run(fmt.Sprintf("from version %d", v), func(t *testing.T) {
			dir := t.TempDir()
			db, err := sqlite.CreateAtVersion(ctx, dir, v)
			if err != nil {
				t.Fatalf("CreateAtVersion(%d): %v", v, err)
			}
			wantDev, wantP := seeds[v](t, db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if got := schemaVersion(t, filepath.Join(dir, sqlite.FileName)); got != v {
				t.Fatalf("built database at version %d, want %d", got, v)
			}

			s := openSQLite(t, dir, sqlite.Options{Create: true})
			if got, want := schemaVersion(t, s.Path()), sqlite.LatestVersion; got != want {
				t.Errorf("after Open, schema version = %d, want %d", got, want)
			}
			dev, err := s.Device(ctx)
			if err != nil {
				t.Fatalf("Device: %v", err)
			}
			p, err := s.Pairing(ctx)
			if err != nil {
				t.Fatalf("Pairing: %v", err)
			}
			if wantDev == nil {
				if dev.ID == "" {
					t.Errorf("no device id made on upgrade from version %d", v)
				}
				wantP.StateSince, wantP.Rev = p.StateSince, p.Rev
			} else if dev.ID != wantDev.ID || dev.Name != wantDev.Name || dev.Model != wantDev.Model ||
				dev.OSVersion != wantDev.OSVersion || !dev.CreatedAt.Equal(wantDev.CreatedAt) {
				t.Errorf("Device() = %+v, want %+v", dev, *wantDev)
			}
			if d := storetest.Diff(p, wantP); d != "" {
				t.Errorf("Pairing() after upgrade from version %d differs:\n%s", v, d)
			}
		})
	}
}

func TestNewerVersionRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSQLite(t, dir, sqlite.Options{Create: true})
	path := s.Path()
	s.Close()
	db, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	newer := sqlite.LatestVersion + 1
	mustExec(t, db, fmt.Sprintf("PRAGMA user_version = %d", newer))
	db.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{true, false} {
		s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: create, Logger: testLogger(t)})
		if err == nil {
			s.Close()
			t.Fatalf("Open(Create: %v) of a version %d database succeeded, want an error", create, newer)
		}
		want := fmt.Sprintf("database version %d is newer than this pairingd supports (%d); upgrade pairingd", newer, sqlite.LatestVersion)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(Create: %v) = %q, want it to contain %q", create, err, want)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("refused database was modified")
	}
	if got := schemaVersion(t, path); got != newer {
		t.Errorf("schema version = %d after refusal, want %d untouched", got, newer)
	}
}

// TestNoWriteWithoutChange checks what the SD card sees: an Update or
// SetDeviceInfo that changes nothing, and reads, leave the WAL untouched.
func TestNoWriteWithoutChange(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, t.TempDir(), sqlite.Options{Create: true})
	if _, err := s.Update(ctx, func(p *store.Pairing) error { *p = storetest.Sample(); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDeviceInfo(ctx, "n", "m", "o"); err != nil {
		t.Fatal(err)
	}
	wal := func() string {
		fi, err := os.Stat(s.Path() + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("size %d, modified %v", fi.Size(), fi.ModTime().UnixNano())
	}
	before := wal()
	for range 3 {
		if _, err := s.Update(ctx, func(p *store.Pairing) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, func(p *store.Pairing) error { *p = storetest.Sample(); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDeviceInfo(ctx, "n", "m", "o"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rev(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pairing(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if after := wal(); after != before {
		t.Errorf("WAL changed without a change to the data: %s, was %s", after, before)
	}
	// The control: a real change does write.
	if err := s.SetDeviceInfo(ctx, "n2", "m", "o"); err != nil {
		t.Fatal(err)
	}
	if after := wal(); after == before {
		t.Errorf("WAL unchanged after a real write (%s): this test cannot see writes", after)
	}
}

func TestLockDaemon(t *testing.T) {
	dir := t.TempDir()
	if pid, running := sqlite.DaemonPID(dir); running {
		t.Errorf("DaemonPID before any lock = %d, true; want not running", pid)
	}
	l, err := sqlite.LockDaemon(dir)
	if err != nil {
		t.Fatalf("LockDaemon: %v", err)
	}
	if got, want := perm(t, filepath.Join(dir, "pairingd.lock")), fs.FileMode(0o600); got != want {
		t.Errorf("lock file mode = %v, want %v", got, want)
	}
	if pid, running := sqlite.DaemonPID(dir); !running || pid != os.Getpid() {
		t.Errorf("DaemonPID while locked = %d, %v; want %d, true", pid, running, os.Getpid())
	}
	second, err := sqlite.LockDaemon(dir)
	if !errors.Is(err, store.ErrLocked) {
		if err == nil {
			second.Close()
		}
		t.Fatalf("second LockDaemon = %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("another pairingd (pid %d) is running with state directory %s", os.Getpid(), dir)
	if err.Error() != want {
		t.Errorf("second LockDaemon error = %q, want %q", err, want)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if pid, running := sqlite.DaemonPID(dir); running {
		t.Errorf("DaemonPID after Close = %d, true; want not running", pid)
	}
	l, err = sqlite.LockDaemon(dir)
	if err != nil {
		t.Fatalf("LockDaemon after Close: %v", err)
	}
	l.Close()
	if _, err := sqlite.LockDaemon(filepath.Join(dir, "missing")); err == nil || errors.Is(err, store.ErrLocked) {
		t.Errorf("LockDaemon on a missing directory = %v, want a non-ErrLocked error", err)
	}
}

// TestLockDaemonOtherProcess holds the lock in a child process, which
// then dies without unlocking: the kernel must drop the lock.
func TestLockDaemonOtherProcess(t *testing.T) {
	dir := t.TempDir()
	child := startHelper(t, "lock", dir)
	_, err := sqlite.LockDaemon(dir)
	if want := fmt.Sprintf("(pid %d)", child.Process.Pid); !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Fatalf("LockDaemon while a child holds it = %v, want ErrLocked naming %s", err, want)
	}
	if pid, running := sqlite.DaemonPID(dir); !running || pid != child.Process.Pid {
		t.Errorf("DaemonPID = %d, %v; want %d, true", pid, running, child.Process.Pid)
	}
	killHelper(t, child)
	l, err := sqlite.LockDaemon(dir)
	if err != nil {
		t.Fatalf("LockDaemon after the holder died: %v", err)
	}
	l.Close()
}

// TestSecretsNotInErrorsOrLogs stores secrets, forces every kind of
// failure, and checks that no error message and no log line shows them.
func TestSecretsNotInErrorsOrLogs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := openSQLite(t, dir, sqlite.Options{Create: true, Logger: log})
	sample := storetest.Sample()
	committed, err := s.Update(ctx, func(p *store.Pairing) error { *p = sample; return nil })
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	collect := func(err error) {
		if err == nil {
			t.Errorf("forced failure %d did not fail", len(errs))
		}
		errs = append(errs, err)
	}

	// A failing write (a trigger stands in for a full disk or an I/O
	// error), with new secrets in flight: nothing is written.
	db, err := sqlite.OpenRaw(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `CREATE TRIGGER fail BEFORE UPDATE ON pairing BEGIN SELECT RAISE(ABORT, 'forced failure'); END`)
	_, err = s.Update(ctx, func(p *store.Pairing) error {
		p.Tokens.AccessToken = "secret-rotated-access"
		p.Tokens.RefreshToken = "secret-rotated-refresh"
		return nil
	})
	collect(err)
	if d := storetest.Diff(mustPairing(t, s), committed); d != "" {
		t.Errorf("a failed write changed the record:\n%s", d)
	}
	mustExec(t, db, `DROP TRIGGER fail`)
	db.Close()

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Update(cctx, func(p *store.Pairing) error { return nil })
	collect(err)
	s.Close()
	_, err = s.Pairing(ctx)
	collect(err)
	_, err = s.Update(ctx, func(p *store.Pairing) error { p.Tokens.AccessToken = "secret-x"; return nil })
	collect(err)
	collect(s.SetDeviceInfo(ctx, "a", "b", "c"))

	if err := os.Chmod(s.Path(), 0o644); err != nil { // a warning is logged on reopen
		t.Fatal(err)
	}
	s = openSQLite(t, dir, sqlite.Options{Create: true, Logger: log})
	if _, err := s.Pairing(ctx); err != nil {
		t.Fatal(err)
	}

	secrets := []string{
		sample.Code.DeviceCode, sample.Tokens.AccessToken, sample.Tokens.RefreshToken,
		"secret-rotated-access", "secret-rotated-refresh", "secret-x",
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		t.Logf("forced error: %v", err)
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows a secret", err)
			}
		}
	}
	for _, secret := range secrets {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows secret %q:\n%s", secret, logs.String())
		}
	}
	if logs.Len() == 0 {
		t.Errorf("nothing logged: the log check checks nothing")
	}
}

func mustPairing(t *testing.T, s store.Store) store.Pairing {
	t.Helper()
	p, err := s.Pairing(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The crash tests run the store in a child process (this test binary,
// run again) and SIGKILL it. That is a process crash, not a power cut:
// the page cache survives, so it checks SQLite's transactions and our use
// of them, not the fsyncs.
const helperEnv = "PAIRINGD_STORE_HELPER"

// TestHelperProcess is the child: it does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	dir := os.Getenv(helperEnv + "_DIR")
	ctx := context.Background()
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	switch mode {
	case "lock":
		if _, err := sqlite.LockDaemon(dir); err != nil {
			fail(err)
		}
		fmt.Println("ready")
	case "block-update":
		s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true})
		if err != nil {
			fail(err)
		}
		_, err = s.Update(ctx, func(p *store.Pairing) error {
			*p = consistent(p.State + 1)
			fmt.Println("ready") // holding the write lock, mid-transaction
			select {}
		})
		fail(err)
	case "write-loop":
		s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true})
		if err != nil {
			fail(err)
		}
		for i := 0; ; i++ {
			if _, err := s.Update(ctx, func(p *store.Pairing) error { *p = consistent(p.State + 1); return nil }); err != nil {
				fail(err)
			}
			if i == 0 {
				fmt.Println("ready")
			}
		}
	}
	io.Copy(io.Discard, os.Stdin) // wait to be killed
	os.Exit(0)
}

// consistent returns record number n, whose every field derives from n,
// so that a mix of two records shows.
func consistent(n int) store.Pairing {
	p := storetest.Sample()
	at := time.UnixMilli(1_750_000_000_000 + int64(n))
	s := "-" + strconv.Itoa(n)
	p.State = n
	p.StateSince, p.PairedAt = at, at
	p.Message += s
	p.Server.Issuer += s
	p.Server.UserinfoEndpoint += s
	p.BoundDeviceID += s
	p.Code.DeviceCode += s
	p.Code.VerificationURIComplete += s
	p.Code.Interval = time.Duration(n) * time.Millisecond
	p.Code.IssuedAt, p.Code.ExpiresAt = at, at
	p.Tokens.AccessToken += s
	p.Tokens.RefreshToken += s
	p.Tokens.Scope += s
	p.Tokens.IssuedAt, p.Tokens.ExpiresAt = at, at
	return p
}

func startHelper(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperEnv+"_DIR="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if l != "ready" {
			t.Fatalf("helper %s: %q, want ready", mode, l)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("helper %s did not get ready", mode)
	}
	return cmd
}

func killHelper(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()
}

func checkConsistent(t *testing.T, p store.Pairing) {
	t.Helper()
	want := consistent(p.State)
	want.Rev = p.Rev
	if d := storetest.Diff(p, want); d != "" {
		t.Errorf("record after a crash is a mix of writes (state %d):\n%s", p.State, d)
	}
}

func TestCrashMidTransaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openSQLite(t, dir, sqlite.Options{Create: true})
	before, err := s.Update(ctx, func(p *store.Pairing) error { *p = consistent(1); return nil })
	if err != nil {
		t.Fatal(err)
	}
	killHelper(t, startHelper(t, "block-update", dir))
	// The dead child's write lock must not wedge the database.
	got, err := s.Update(ctx, func(p *store.Pairing) error { *p = consistent(p.State + 1); return nil })
	if err != nil {
		t.Fatalf("Update after the writer died: %v", err)
	}
	if got.State != before.State+1 || got.Rev != before.Rev+1 {
		t.Errorf("Update after the crash = state %d rev %d, want state %d rev %d: the crashed write leaked",
			got.State, got.Rev, before.State+1, before.Rev+1)
	}
	checkConsistent(t, mustPairing(t, openSQLite(t, dir, sqlite.Options{})))
}

func TestCrashWhileWriting(t *testing.T) {
	dir := t.TempDir()
	openSQLite(t, dir, sqlite.Options{Create: true}).Close()
	last := 0
	for round := range 3 {
		child := startHelper(t, "write-loop", dir)
		<-time.After(time.Duration(rand.IntN(30_000)) * time.Microsecond) // kill at a random point
		killHelper(t, child)
		s := openSQLite(t, dir, sqlite.Options{})
		p := mustPairing(t, s)
		checkConsistent(t, p)
		if p.State <= last || p.Rev != int64(p.State) {
			t.Errorf("round %d: state %d, rev %d after state %d; want progress and rev = state", round, p.State, p.Rev, last)
		}
		t.Logf("round %d: killed after %d writes", round, p.State-last)
		last = p.State
		s.Close()
	}
}

func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		// A real change each time: one committed, fsynced transaction.
		if _, err := s.Update(ctx, func(p *store.Pairing) error { p.State++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateUnchanged(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if _, err := s.Update(ctx, func(p *store.Pairing) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPairingRead(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Update(ctx, func(p *store.Pairing) error { *p = storetest.Sample(); return nil }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Pairing(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRev(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if _, err := s.Rev(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOptionsNow(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	s := openSQLite(t, t.TempDir(), sqlite.Options{Create: true, Now: func() time.Time { return at }})
	d, err := s.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPairing(t, s)
	if !d.CreatedAt.Equal(at) || !p.StateSince.Equal(at) {
		t.Errorf("CreatedAt %v, StateSince %v; want both %v from Options.Now", d.CreatedAt, p.StateSince, at)
	}
}

// Built as every pairingd build is (CGO_CFLAGS with sqlite-options.h: make
// test, make dist, the qemu runs), SQLite has neither full-text search nor
// R*Tree, which pairingd does not use.
func TestSQLiteWithoutUnusedFeatures(t *testing.T) {
	if !strings.Contains(os.Getenv("CGO_CFLAGS"), "sqlite-options.h") {
		t.Skip("CGO_CFLAGS does not name sqlite-options.h: run through make (make test)")
	}
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA compile_options")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var opts []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, o)
	}
	for _, o := range opts {
		if strings.HasPrefix(o, "ENABLE_FTS3") || o == "ENABLE_RTREE" {
			t.Errorf("SQLite is compiled with %s (all: %s)", o, strings.Join(opts, " "))
		}
	}
	if _, err := db.Exec("CREATE VIRTUAL TABLE f USING fts3(x)"); err == nil {
		t.Errorf("an FTS3 table was made: full-text search is compiled in")
	}
}
