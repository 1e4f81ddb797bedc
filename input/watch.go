package input

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// watcher reports device nodes that appear in a directory, by inotify: a
// node created (IN_CREATE) or moved in, and one whose permissions changed
// (IN_ATTRIB: udev makes a node root:input 0660 after the kernel created
// it root-only, so the first open may be refused). It also watches the
// parent directory, since devtmpfs removes /dev/input with its last device
// and makes it again for the next one.
//
// inotify rather than a rescan every few seconds: a device is used the
// moment it appears, and an idle daemon is never woken.
type watcher struct {
	f        *os.File
	fd       int
	dir      string
	dirWD    int // -1 while the directory is not watched
	parentWD int
}

// Watch masks: what a node appearing looks like in the directory, and the
// directory appearing in its parent.
const (
	dirMask    = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ATTRIB
	parentMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ONLYDIR
)

// newWatcher watches dir, and its parent for dir to appear; dir may be
// missing, its parent may not.
func newWatcher(dir string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching %s for devices (inotify_init1): %w", dir, err)
	}
	w := &watcher{fd: fd, dir: dir, dirWD: -1}
	w.parentWD, err = unix.InotifyAddWatch(fd, filepath.Dir(dir), parentMask)
	if err != nil {
		w.parentWD = -1
	}
	if werr := w.watchDir(); werr != nil && w.parentWD < 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("watching %s for devices: %w (and its parent: %w)", dir, werr, err)
	}
	// Non-blocking, so that the runtime poller reads it and Close ends a
	// pending read.
	w.f = os.NewFile(uintptr(fd), "inotify:"+dir)
	return w, nil
}

// watchDir adds the directory's watch.
func (w *watcher) watchDir() error {
	wd, err := unix.InotifyAddWatch(w.fd, w.dir, dirMask)
	if err != nil {
		return err
	}
	w.dirWD = wd
	return nil
}

// run reads the watch until it is closed, calling try with the path of a
// node that appeared or changed, and scan when a look at the whole
// directory is needed: it appeared, or the kernel's queue overflowed.
func (w *watcher) run(scan func(), try func(path string)) {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	base := filepath.Base(w.dir)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return // closed
		}
		for b := buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
			wd := int(int32(binary.NativeEndian.Uint32(b)))
			mask := binary.NativeEndian.Uint32(b[4:])
			size := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(b[12:]))
			if size > len(b) {
				break
			}
			name := b[unix.SizeofInotifyEvent:size]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[size:]
			switch {
			case mask&unix.IN_Q_OVERFLOW != 0:
				scan()
			case wd == w.dirWD && mask&unix.IN_IGNORED != 0:
				w.dirWD = -1 // the directory went
			case wd == w.dirWD && isEventNode(string(name)):
				try(filepath.Join(w.dir, string(name)))
			case wd == w.parentWD && string(name) == base && mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
				if w.watchDir() == nil {
					scan()
				}
			}
		}
	}
}

// close ends run.
func (w *watcher) close() {
	w.f.Close()
}
