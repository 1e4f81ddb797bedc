package input

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/pairingd/pairingd/display"
)

// DefaultDir is where evdev device nodes are.
const DefaultDir = "/dev/input"

// Options configures a Reader; the zero value reads /dev/input with the
// default map, always, and logs nothing.
type Options struct {
	// Dir is the directory of the event* device nodes; DefaultDir when
	// empty.
	Dir string
	// Map is merged over the default map (see Map).
	Map Map
	// Logger gets the devices found and lost, at Info; nil logs nothing.
	Logger *slog.Logger
	// Active, when set, is asked at each key: while it says false (the
	// screen is not ours, say another VT is in front) keys are dropped.
	// It is called from the Reader's goroutines.
	Active func() bool
}

// Reader reads keys from the input devices present, and from those
// plugged in later, until Close. Its methods are safe for concurrent use.
type Reader struct {
	dir    string
	keymap Map // defaults with Options.Map over them
	over   Map // Options.Map, for classify
	log    *slog.Logger
	active func() bool
	keys   chan display.Key
	sys    system
	watch  *watcher
	stopAt func() bool // stops the context.AfterFunc

	mu     sync.Mutex
	devs   map[string]*device // by path
	denied map[string]bool    // paths whose refusal was logged
	closed bool

	wg        sync.WaitGroup
	closeOnce sync.Once
}

// device is an open input device.
type device struct {
	path string
	name string
	kind kind
	f    *os.File
}

// keyBuffer is how many keys wait in Keys for the reader; more are
// dropped.
const keyBuffer = 16

// Open finds the input devices in o.Dir by their capabilities (a gamepad,
// a keyboard, a touch screen) and reads them, without grabbing them: other
// programs still get every event. It watches o.Dir (inotify) for devices
// plugged in later, and a device that is unplugged or fails is dropped
// alone. When Open returns, the devices present are open, so Style is
// already right.
//
// Device nodes are usually root:input 0660: the daemon's user is in the
// input group on systemd images (SupplementaryGroups=input, and
// DeviceAllow=char-input r beside DevicePolicy=closed). A device that
// cannot be opened for want of permission is logged once, at Info, and
// skipped.
//
// Cancelling ctx stops the reading as Close does; Close must still be
// called.
func Open(ctx context.Context, o Options) (*Reader, error) {
	return open(ctx, o, system{open: openDevice, probe: probeDevice})
}

// system is how a Reader opens and probes a device node, which tests
// replace to use files that are no evdev devices.
type system struct {
	open  func(path string) (*os.File, error)
	probe func(*os.File) (caps, error)
}

// openDevice opens a device node for reading.
func openDevice(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// open is Open with the system given.
func open(ctx context.Context, o Options, sys system) (*Reader, error) {
	r := &Reader{
		dir:    o.Dir,
		keymap: merged(o.Map),
		over:   maps.Clone(o.Map),
		log:    o.Logger,
		active: o.Active,
		keys:   make(chan display.Key, keyBuffer),
		sys:    sys,
		devs:   map[string]*device{},
		denied: map[string]bool{},
	}
	if r.dir == "" {
		r.dir = DefaultDir
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	w, err := newWatcher(r.dir)
	if err != nil {
		return nil, err
	}
	r.watch = w
	r.scan() // after the watch is set: a device is either seen here or reported
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		w.run(r.scan, r.try)
	}()
	r.stopAt = context.AfterFunc(ctx, r.stop)
	return r, nil
}

// Keys delivers the keys pressed while Options.Active says so; it is
// closed by Close. Keys that the receiver is too slow for are dropped.
func (r *Reader) Keys() <-chan display.Key {
	return r.keys
}

// Style is how the keys are named after what is plugged in now: gamepad
// when there is a gamepad, else keyboard when there is a keyboard, else
// touch when there is a touch screen, else display.StyleNone.
func (r *Reader) Style() display.KeyStyle {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all kind
	for _, d := range r.devs {
		all |= d.kind
	}
	switch {
	case all&kindGamepad != 0:
		return display.StyleGamepad
	case all&kindKeyboard != 0:
		return display.StyleKeyboard
	case all&kindTouch != 0:
		return display.StyleTouch
	}
	return display.StyleNone
}

// Close stops reading, closes the devices, waits for the Reader's
// goroutines to end and closes Keys.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() {
		r.stopAt()
		r.stop()
		r.wg.Wait()
		close(r.keys)
	})
	return nil
}

// stop closes the watch and the devices, which ends the goroutines reading
// them.
func (r *Reader) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.watch.close()
	for _, d := range r.devs {
		d.f.Close()
	}
}

// scan tries every event* node in the directory.
func (r *Reader) scan() {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.log.Warn("input: listing the devices", "dir", r.dir, "err", err)
		}
		return
	}
	for _, e := range ents {
		if isEventNode(e.Name()) {
			r.try(filepath.Join(r.dir, e.Name()))
		}
	}
}

// isEventNode says whether a name in the directory is an evdev node
// (eventN), not the legacy joystick and mouse nodes or the by-id and
// by-path directories.
func isEventNode(name string) bool {
	return strings.HasPrefix(name, "event")
}

// try opens the device at path unless it is open already, and reads it if
// it is one we use.
func (r *Reader) try(path string) {
	r.mu.Lock()
	skip := r.closed || r.devs[path] != nil
	r.mu.Unlock()
	if skip {
		return
	}
	f, err := r.sys.open(path)
	if err != nil {
		r.openFailed(path, err)
		return
	}
	c, err := r.sys.probe(f)
	if err != nil {
		f.Close()
		r.log.Debug("input: not an input device", "path", path, "err", err)
		return
	}
	k := classify(c, r.over)
	if k == 0 {
		f.Close()
		r.log.Debug("input: ignoring a device with no keys we use", "path", path, "name", c.name)
		return
	}
	d := &device{path: path, name: c.name, kind: k, f: f}
	r.mu.Lock()
	if r.closed || r.devs[path] != nil {
		r.mu.Unlock()
		f.Close()
		return
	}
	r.devs[path] = d
	r.wg.Add(1) // under mu, before stop can run: Close's Wait sees it
	r.mu.Unlock()
	r.log.Info("input: reading a device", "path", path, "name", c.name, "kind", k.String())
	go r.read(d)
}

// openFailed logs a device that cannot be opened: a permission problem
// once per path, at Info, since it lasts; anything else (a node that went
// as it came) at Debug.
func (r *Reader) openFailed(path string, err error) {
	if !errors.Is(err, fs.ErrPermission) {
		r.log.Debug("input: opening a device", "path", path, "err", err)
		return
	}
	r.mu.Lock()
	logged := r.denied[path]
	r.denied[path] = true
	r.mu.Unlock()
	if !logged {
		r.log.Info("input: skipping a device we may not read (is the user in the input group?)", "path", path, "err", err)
	}
}

// read reads a device until it fails or is closed, then drops it.
func (r *Reader) read(d *device) {
	defer r.wg.Done()
	err := readEvents(d.f, eventSize, func(e event) {
		r.deliver(r.keymap.keyFor(d.kind, e.typ, e.code, e.value))
	})
	r.mu.Lock()
	if r.devs[d.path] == d {
		delete(r.devs, d.path)
	}
	closed := r.closed
	r.mu.Unlock()
	d.f.Close()
	if closed {
		return
	}
	if errors.Is(err, syscall.ENODEV) {
		r.log.Info("input: device unplugged", "path", d.path, "name", d.name)
		// The kernel may already have given the node's name to a new
		// device, which the watch reported while this one was still
		// here.
		r.try(d.path)
		return
	}
	r.log.Warn("input: reading a device failed; dropping it", "path", d.path, "name", d.name, "err", err)
}

// deliver sends a key on Keys, unless it is none, the screen is not ours
// or the receiver has keyBuffer keys to read already.
func (r *Reader) deliver(k display.Key) {
	if k == display.KeyNone || (r.active != nil && !r.active()) {
		return
	}
	select {
	case r.keys <- k:
	default:
		r.log.Debug("input: dropping a key nobody reads", "key", k.String())
	}
}
