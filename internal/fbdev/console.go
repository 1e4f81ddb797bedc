package fbdev

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Console ioctls and modes from linux/kd.h and linux/vt.h.
const (
	// KDSETMODE sets a VT's mode, KD_TEXT or KD_GRAPHICS.
	KDSETMODE = 0x4B3A
	// KDGETMODE reads a VT's mode.
	KDGETMODE = 0x4B3B
	// KD_TEXT is the mode in which fbcon draws the console.
	KD_TEXT = 0
	// KD_GRAPHICS is the mode in which fbcon leaves the framebuffer alone.
	KD_GRAPHICS = 1
	// VT_GETSTATE reads the active VT (struct vt_stat).
	VT_GETSTATE = 0x5603
)

// ttyMajor is the major device number of the VTs /dev/tty1…/dev/tty63.
const ttyMajor = 4

// vtIoctls is what a Console asks of its VT, behind an interface so that
// tests can fake it.
type vtIoctls interface {
	// setMode is KDSETMODE.
	setMode(mode int) error
	// getMode is KDGETMODE.
	getMode() (int, error)
	// activeVT is VT_GETSTATE's v_active.
	activeVT() (int, error)
	// close closes the VT.
	close() error
}

// Console is a virtual terminal switched to KD_GRAPHICS, so that fbcon
// neither draws console text nor blinks its cursor over the framebuffer.
//
// VT switching is handled by polling, not with VT_SETMODE's VT_PROCESS
// signals: a VT_PROCESS owner that misses a release signal (because it is
// busy, stopped, or its SIGUSR1 handler belongs to someone else) blocks
// every VT switch on the machine, while a poll of VT_GETSTATE once a second
// (Active) costs one ioctl and lets the display stop drawing while another
// VT is shown and redraw when ours comes back. The kernel switches VTs by
// itself (VT_AUTO); when the user comes back to ours, fbcon does not
// repaint a KD_GRAPHICS VT, so for up to a second they see what the other
// VT left, then the display redraws.
type Console struct {
	path string
	vt   int // our VT's number, 0 when unknown
	io   vtIoctls

	mu       sync.Mutex
	restored bool
}

// AcquireConsole opens the VT tty (or, when tty is "", /dev/tty0, the
// foreground VT, then /dev/tty, the controlling terminal) and switches it
// to KD_GRAPHICS. The kernel allows that to the VT's controlling process
// or to CAP_SYS_TTY_CONFIG; without either, or without a VT at all (over
// ssh, in a container), it returns an error that callers log and ignore:
// drawing works without it, fbcon may just draw over the picture.
//
// When the VT itself is missing (no /dev/tty0, or a kernel without VTs) and
// the controlling terminal is no VT either, the error wraps ErrNoVT: then
// there is no console text to draw over the picture at all.
func AcquireConsole(tty string) (*Console, error) {
	paths := []string{"/dev/tty0", "/dev/tty"}
	if tty != "" {
		paths = []string{tty}
	}
	var errs []error
	for _, p := range paths {
		c, err := acquirePath(p)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if missingVT(errs[0]) {
		errs = append(errs, ErrNoVT)
	}
	return nil, errors.Join(errs...)
}

// ErrNoVT says the machine has no virtual terminal to acquire.
var ErrNoVT = errors.New("no virtual terminal")

// missingVT reports whether opening a VT failed because there is none:
// no device node, or a kernel built without VTs (ENODEV, ENXIO).
func missingVT(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}

// acquirePath acquires the VT at path.
func acquirePath(path string) (*Console, error) {
	// Write access is enough for ioctls, and /dev/ttyN is often crw--w----
	// root:tty. O_NOCTTY: a daemon must not make the VT its controlling
	// terminal by opening it.
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening console %s: %w", path, err)
	}
	io := fdIoctls(fd)
	vt := vtNumber(fd)
	if vt == 0 {
		// /dev/tty0 is the VT that was in the foreground when it was
		// opened.
		if n, err := io.activeVT(); err == nil && strings.HasSuffix(path, "tty0") {
			vt = n
		}
	}
	c, err := acquire(io, path, vt)
	if err != nil {
		io.close()
		return nil, err
	}
	return c, nil
}

// vtNumber returns the number of the VT fd is, 0 if it is not one or the
// kernel cannot say (TIOCGDEV is Linux 2.6.39+).
func vtNumber(fd int) int {
	dev, err := unix.IoctlGetUint32(fd, unix.TIOCGDEV)
	if err != nil {
		return 0
	}
	if unix.Major(uint64(dev)) != ttyMajor {
		return 0
	}
	n := int(unix.Minor(uint64(dev)))
	if n < 1 || n > 63 {
		return 0
	}
	return n
}

// acquire switches the VT behind io to KD_GRAPHICS.
func acquire(io vtIoctls, path string, vt int) (*Console, error) {
	if _, err := io.getMode(); err != nil {
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return nil, fmt.Errorf("reading the mode of %s (KDGETMODE): %w: not a virtual console", path, err)
		}
		return nil, fmt.Errorf("reading the mode of %s (KDGETMODE): %w", path, err)
	}
	if err := io.setMode(KD_GRAPHICS); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("switching %s to graphics mode (KDSETMODE): %w: "+
				"the VT must be the controlling tty (systemd: TTYPath= with StandardInput=tty) or the process needs CAP_SYS_TTY_CONFIG", path, err)
		}
		return nil, fmt.Errorf("switching %s to graphics mode (KDSETMODE): %w", path, err)
	}
	return &Console{path: path, vt: vt, io: io}, nil
}

// Path returns the tty that was acquired.
func (c *Console) Path() string { return c.path }

// VT returns the number of the acquired VT (1 for /dev/tty1), or 0 when
// it is not known; then Active always reports true.
func (c *Console) VT() int { return c.vt }

// Active reports whether our VT is the one on the screen (VT_GETSTATE).
// A display draws only while it is, and redraws everything when it
// becomes so again. After Restore it reports true.
func (c *Console) Active() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restored || c.vt == 0 {
		return true, nil
	}
	n, err := c.io.activeVT()
	if err != nil {
		return true, fmt.Errorf("reading the active VT of %s (VT_GETSTATE): %w", c.path, err)
	}
	return n == c.vt, nil
}

// Restore switches the VT back to KD_TEXT, so that fbcon draws the console
// again, and closes it. It does so once; later calls return nil. Callers
// must call it on every exit path (defer, and on SIGTERM), since a VT left
// in KD_GRAPHICS shows no console until something resets it.
func (c *Console) Restore() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restored {
		return nil
	}
	c.restored = true
	err := c.io.setMode(KD_TEXT)
	if err != nil {
		err = fmt.Errorf("switching %s back to text mode (KDSETMODE): %w", c.path, err)
	}
	if cerr := c.io.close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing console %s: %w", c.path, cerr)
	}
	return err
}

// fdIoctls is vtIoctls on a file descriptor.
type fdIoctls int

func (fd fdIoctls) setMode(mode int) error {
	return unix.IoctlSetInt(int(fd), KDSETMODE, mode)
}

func (fd fdIoctls) getMode() (int, error) {
	var mode int32
	if err := ioctlPtr(int(fd), KDGETMODE, unsafe.Pointer(&mode)); err != nil {
		return 0, err
	}
	return int(mode), nil
}

func (fd fdIoctls) activeVT() (int, error) {
	var st struct{ active, signal, state uint16 } // struct vt_stat
	if err := ioctlPtr(int(fd), VT_GETSTATE, unsafe.Pointer(&st)); err != nil {
		return 0, err
	}
	return int(st.active), nil
}

func (fd fdIoctls) close() error {
	return unix.Close(int(fd))
}
