package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pairingd/pairingd/store"
	"golang.org/x/sys/unix"
)

const (
	daemonLockName  = "pairingd.lock"
	refreshLockName = "refresh.lock"
)

// lockPollInterval is how often a waiting RefreshLock retries; flock has no
// timed or cancellable wait.
const lockPollInterval = 50 * time.Millisecond

// DaemonLock is held by the one daemon that runs on a state directory.
type DaemonLock struct {
	f *os.File
}

// lockedError reports the daemon that holds a state directory.
type lockedError struct {
	dir string
	pid int // 0 if unknown
}

func (e *lockedError) Error() string {
	if e.pid == 0 {
		return fmt.Sprintf("another pairingd is running with state directory %s", e.dir)
	}
	return fmt.Sprintf("another pairingd (pid %d) is running with state directory %s", e.pid, e.dir)
}

func (e *lockedError) Unwrap() error { return store.ErrLocked }

// LockDaemon takes the daemon lock on dir, which must exist, without
// waiting, and records our pid in it. If another process holds it, the
// error wraps ErrLocked and names that process's pid. The lock is a flock,
// so the kernel drops it when the holder dies; a stale file is harmless.
func LockDaemon(dir string) (*DaemonLock, error) {
	path := filepath.Join(dir, daemonLockName)
	f, writable, err := openShared(path)
	if err != nil {
		return nil, fmt.Errorf("daemon lock: %w", err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &lockedError{dir: dir, pid: pid}
		}
		return nil, fmt.Errorf("daemon lock %s: %w", path, err)
	}
	if !writable {
		// The lock holds without the pid; DaemonPID then reports 0.
		return &DaemonLock{f: f}, nil
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("daemon lock: %w", err)
	}
	if _, err := f.WriteAt(pid, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("daemon lock: %w", err)
	}
	return &DaemonLock{f: f}, nil
}

// Close releases the lock.
func (l *DaemonLock) Close() error {
	// Closing the descriptor drops the flock. The pid stays in the file;
	// readers trust it only while the lock is held.
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("daemon lock: %w", err)
	}
	return nil
}

// DaemonPID reports whether a daemon holds the lock on dir now, and its
// pid (0 if it has not written it yet). It takes no lock that it keeps.
func DaemonPID(dir string) (pid int, running bool) {
	f, err := os.Open(filepath.Join(dir, daemonLockName))
	if err != nil {
		return 0, false // never locked here (or unreadable to us)
	}
	defer f.Close()
	// A shared lock conflicts only with the daemon's exclusive one, so
	// two status commands do not see each other as daemons.
	if err := flock(f, unix.LOCK_SH|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return readPID(f), true
		}
		return 0, false
	}
	flock(f, unix.LOCK_UN)
	return 0, false
}

// readPID reads the pid that LockDaemon wrote, or 0.
func readPID(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// flock is unix.Flock, retried when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// lockWait takes an exclusive flock on path, waiting while another
// descriptor (in this or another process) holds it, until ctx is done.
// The release func is safe to call more than once.
func lockWait(ctx context.Context, path string) (release func(), err error) {
	f, _, err := openShared(path)
	if err != nil {
		return nil, fmt.Errorf("refresh lock: %w", err)
	}
	var tick *time.Ticker
	for {
		if err := ctx.Err(); err != nil {
			f.Close()
			return nil, fmt.Errorf("wait for refresh lock: %w", err)
		}
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("refresh lock %s: %w", path, err)
		}
		if tick == nil {
			tick = time.NewTicker(lockPollInterval)
			defer tick.Stop()
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	var once sync.Once
	return func() { once.Do(func() { f.Close() }) }, nil
}

// openShared opens a lock file that the daemon and the CLI share, creating
// it with mode 0600 when missing. flock needs no write access, so a file
// this process may only read still locks (writable is then false). A file
// that root makes in another user's state directory is given to that user,
// so that the service still opens it after `sudo pairingd token`.
//
// A symbolic link is never followed (O_NOFOLLOW): the state directory
// belongs to the service user, who could otherwise point a lock file at a
// system file for root to open, truncate and give away.
func openShared(path string) (f *os.File, writable bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) {
		if ro, rerr := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0); rerr == nil {
			return ro, false, nil
		}
	}
	if errors.Is(err, unix.ELOOP) {
		return nil, false, fmt.Errorf("%s is a symbolic link; a lock file must be a plain file", path)
	}
	if err != nil {
		return nil, false, err
	}
	if err := giveToDirOwner(f, filepath.Dir(path)); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, true, nil
}

// giveToDirOwner chowns f, when root owns it and we are root, to the owner
// of dir when that is another user: files shared by the daemon (which runs
// as its own user) and the CLI (which an admin may run with sudo) must stay
// usable by both, whoever made them. The mode stays 0600.
func giveToDirOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var fst, dst unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &fst); err != nil {
		return fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if err := unix.Stat(dir, &dst); err != nil {
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	if fst.Uid != 0 || dst.Uid == 0 {
		return nil
	}
	if fst.Mode&unix.S_IFMT != unix.S_IFREG || fst.Nlink != 1 {
		// A hard link to a file elsewhere (where protected_hardlinks is
		// off) must not be given away.
		return fmt.Errorf("%s is not a plain file of its own (mode %o, %d links)", f.Name(), fst.Mode, fst.Nlink)
	}
	if err := unix.Fchown(int(f.Fd()), int(dst.Uid), int(dst.Gid)); errors.Is(err, unix.EPERM) {
		// Root without CAP_CHOWN (a sandboxed unit): the file stays
		// root's, as before, rather than the command failing.
		return nil
	} else if err != nil {
		return fmt.Errorf("give %s to the state directory's owner: %w", f.Name(), err)
	}
	return nil
}
