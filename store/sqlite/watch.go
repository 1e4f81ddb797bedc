package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher tells of changes to the database's files by any process,
// through inotify(7) on the state directory: a commit writes the -wal
// file (a checkpoint the database file), so the daemon learns of another
// process's commit at once instead of reading the record's revision every
// few seconds, and wakes for nothing while nothing happens.
type watcher struct {
	f    *os.File
	c    chan struct{}
	once sync.Once
}

// watchMask is what a commit, a checkpoint, a file replaced or removed
// (a restore, a clean-up) does to the directory's entries.
const watchMask = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_ATTRIB

func newWatcher(dir string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, watchMask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	// A non-blocking descriptor in an os.File waits in the runtime's
	// poller, and Close ends a Read in progress.
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), c: make(chan struct{}, 1)}
	go w.run()
	return w, nil
}

// run reads events until the watcher is closed, and signals c (without
// blocking: one pending signal stands for any number of changes) for
// each that concerns the database's files.
func (w *watcher) run() {
	buf := make([]byte, 16*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				// Unknown trouble: say "changed" so the reader looks,
				// then stop; Changes closes and the reader falls back
				// to reading on its own.
				w.signal()
			}
			close(w.c)
			return
		}
		if ours(buf[:n]) {
			w.signal()
		}
	}
}

// ours reports whether any event in buf names one of the database's
// files, or is an overflow (events were lost: look anyway).
func ours(buf []byte) bool {
	for len(buf) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(buf) {
			return true
		}
		name := string(bytes.TrimRight(buf[unix.SizeofInotifyEvent:end], "\x00"))
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 || strings.HasPrefix(name, FileName) {
			return true
		}
		buf = buf[end:]
	}
	return false
}

func (w *watcher) signal() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

func (w *watcher) close() {
	w.once.Do(func() { w.f.Close() })
}
