package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// serviceUID stands for the pairingd service user: nobody.
const serviceUID = 65534

// ownerHelperEnv makes TestOwnerHelper, run as the service user, use the
// state directory it names.
const ownerHelperEnv = "PAIRINGD_STORE_OWNER_HELPER_DIR"

// TestOwnerHelper is the service user's side of TestRootLeavesFilesToOwner:
// it does nothing in a normal test run.
func TestOwnerHelper(t *testing.T) {
	dir := os.Getenv(ownerHelperEnv)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		fmt.Printf("%s: %v\n", what, err)
		os.Exit(1)
	}
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		fail("open", err)
	}
	release, err := s.RefreshLock(ctx)
	if err != nil {
		fail("refresh lock", err)
	}
	release()
	if _, err := s.Update(ctx, func(p *store.Pairing) error { p.Message = "written by the service"; return nil }); err != nil {
		fail("update", err)
	}
	l, err := sqlite.LockDaemon(dir)
	if err != nil {
		fail("daemon lock", err)
	}
	l.Close()
	s.Close()
	fmt.Println("ok")
	os.Exit(0)
}

// When root (an admin's sudo pairingd token, or pairingd run by hand) is
// the first to make a shared file in the service's state directory, the
// service must still be able to open and lock it.
func TestRootLeavesFilesToOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	base := t.TempDir()
	// The service user must reach the directory and run the test binary.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(base, "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, serviceUID, serviceUID); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "store.test")
	copyFile(t, os.Args[0], bin)

	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	release, err := s.RefreshLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release()
	l, err := sqlite.LockDaemon(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	// Root's connection still holds -wal and -shm open, as a daemon or a
	// token command would while the service starts.
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm", "refresh.lock", "pairingd.lock"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != serviceUID || st.Gid != serviceUID {
			t.Errorf("%s owned by %d:%d, want %d:%d", name, st.Uid, st.Gid, serviceUID, serviceUID)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, got)
		}
	}

	cmd := exec.Command(bin, "-test.run=^TestOwnerHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), ownerHelperEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: serviceUID, Gid: serviceUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the service user cannot use the state root touched first: %v\n%s", err, out)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// A lock file that the service user replaced by a link to a system file
// (a symbolic link, or a hard link) is neither followed nor given away
// when root opens it.
func TestRootNeverGivesAwayLinkedFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, tt := range []struct {
		name string
		link func(target, name string) error
	}{
		{"symbolic link", os.Symlink},
		{"hard link", os.Link},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, serviceUID, serviceUID); err != nil {
				t.Fatal(err)
			}
			// Inside dir's file system, so that a hard link works.
			target := filepath.Join(base, "shadow")
			if err := os.WriteFile(target, []byte("root's secrets\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"refresh.lock", "pairingd.lock"} {
				if err := tt.link(target, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			s, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if release, err := s.RefreshLock(ctx); err == nil {
				release()
				t.Errorf("RefreshLock took a lock through a %s", tt.name)
			}
			if l, err := sqlite.LockDaemon(dir); err == nil {
				l.Close()
				t.Errorf("LockDaemon took a lock through a %s", tt.name)
			}
			fi, err := os.Stat(target)
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
				t.Errorf("the linked file now belongs to uid %d", st.Uid)
			}
			if b, _ := os.ReadFile(target); string(b) != "root's secrets\n" {
				t.Errorf("the linked file was changed to %q", b)
			}
		})
	}
}
