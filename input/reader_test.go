package input

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pairingd/pairingd/display"
	"github.com/pairingd/pairingd/internal/logtest"
)

// fakeSys stands in for evdev: device nodes are FIFOs, and their
// capabilities are looked up by name instead of asked by ioctl.
type fakeSys struct {
	mu     sync.Mutex
	caps   map[string]caps          // by base name
	denied map[string]syscall.Errno // base names whose open fails, and how
	opens  map[string]int           // opens tried, by base name
}

func newFakeSys() *fakeSys {
	return &fakeSys{caps: map[string]caps{}, denied: map[string]syscall.Errno{}, opens: map[string]int{}}
}

// openCount is how many times the node name was opened or refused.
func (s *fakeSys) openCount(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens[name]
}

func (s *fakeSys) system() system {
	return system{
		open: func(path string) (*os.File, error) {
			s.mu.Lock()
			denied := s.denied[filepath.Base(path)]
			s.opens[filepath.Base(path)]++
			s.mu.Unlock()
			if denied != 0 {
				return nil, &fs.PathError{Op: "open", Path: path, Err: denied}
			}
			return openDevice(path)
		},
		probe: func(f *os.File) (caps, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			c, ok := s.caps[filepath.Base(f.Name())]
			if !ok || c.keys == nil {
				return caps{}, syscall.ENOTTY
			}
			return c, nil
		},
	}
}

// deny makes opening name fail with errno, or succeed when it is 0.
func (s *fakeSys) deny(name string, errno syscall.Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[name] = errno
}

// fakeDev is a device node: a FIFO whose writing end the test holds.
type fakeDev struct {
	t    *testing.T
	path string
	w    *os.File
}

// plug makes a device node name in dir with capabilities c. The FIFO is
// made elsewhere and moved in with its writer open, as a reader that
// opens it at once must not find it without a writer (end of file).
func (s *fakeSys) plug(t *testing.T, dir, name string, c caps) *fakeDev {
	t.Helper()
	s.mu.Lock()
	s.caps[name] = c
	s.mu.Unlock()
	staged := filepath.Join(t.TempDir(), name)
	if err := unix.Mkfifo(staged, 0o600); err != nil {
		t.Fatalf("making a FIFO: %v", err)
	}
	w, err := os.OpenFile(staged, os.O_RDWR, 0) // never blocks, unlike O_WRONLY
	if err != nil {
		t.Fatalf("opening the FIFO: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	path := filepath.Join(dir, name)
	if err := os.Rename(staged, path); err != nil {
		t.Fatalf("moving the FIFO in: %v", err)
	}
	return &fakeDev{t: t, path: path, w: w}
}

// send writes events, each followed by a SYN_REPORT.
func (d *fakeDev) send(es ...event) {
	d.t.Helper()
	var b []byte
	for _, e := range es {
		b = append(b, encodeEvents(eventSize, e, event{evSyn, synReport, 0})...)
	}
	if _, err := d.w.Write(b); err != nil {
		d.t.Fatalf("writing events to %s: %v", d.path, err)
	}
}

// press presses and releases a key.
func (d *fakeDev) press(code uint16) {
	d.t.Helper()
	d.send(event{evKey, code, 1}, event{evKey, code, 0})
}

// unplug ends the device's stream, which the reader sees as the end of
// the device, and removes the node.
func (d *fakeDev) unplug() {
	d.t.Helper()
	d.w.Close()
	if err := os.Remove(d.path); err != nil {
		d.t.Fatal(err)
	}
}

// Capabilities of the devices in the tests.
func padCaps() caps {
	return capsOf("Test Pad", []int{btnSouth, btnEast, btnNorth, btnWest, btnStart, btnMode}, []int{absX, 1}, nil)
}
func keyboardCaps() caps { return capsOf("Test Keyboard", keyboardKeys(), nil, nil) }
func touchCaps() caps {
	return capsOf("Test Touch", []int{btnTouch}, []int{absX, 1, absMTPositionX, 0x36, absMTTrackingID}, nil)
}
func powerCaps() caps { return capsOf("Power Button", []int{keyPower}, nil, nil) }

// openFake opens a Reader of dir with the fake system, closed at the end
// of the test.
func openFake(t *testing.T, s *fakeSys, o Options) *Reader {
	t.Helper()
	r, err := open(context.Background(), o, s.system())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStyle waits for the Reader's Style to become want.
func waitStyle(t *testing.T, r *Reader, want display.KeyStyle) {
	t.Helper()
	var got display.KeyStyle
	eventually(t, "style "+styleName(want), func() bool { got = r.Style(); return got == want })
}

func styleName(s display.KeyStyle) string {
	return [...]string{"none", "gamepad", "keyboard", "touch"}[s]
}

// wantKey receives the next key, which must be want.
func wantKey(t *testing.T, r *Reader, want display.Key) {
	t.Helper()
	select {
	case got := <-r.Keys():
		if got != want {
			t.Errorf("key = %v, want %v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no key, want %v", want)
	}
}

// devCount is how many devices the Reader reads.
func devCount(r *Reader) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.devs)
}

func TestReaderDiscovery(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	pad := s.plug(t, dir, "event0", padCaps())
	s.plug(t, dir, "event1", powerCaps())
	kbd := s.plug(t, dir, "event2", keyboardCaps())
	s.plug(t, dir, "event3", caps{}) // the probe fails: not an input device
	if err := os.WriteFile(filepath.Join(dir, "js0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "by-id"), 0o700); err != nil {
		t.Fatal(err)
	}

	r := openFake(t, s, Options{Dir: dir})
	// Open has read the directory before it returns.
	if got := r.Style(); got != display.StyleGamepad {
		t.Errorf("Style after Open = %s, want gamepad", styleName(got))
	}
	if got := devCount(r); got != 2 {
		t.Errorf("devices read = %d, want 2 (the pad and the keyboard)", got)
	}
	pad.press(btnSouth)
	wantKey(t, r, display.KeyA)
	kbd.press(keyEsc)
	wantKey(t, r, display.KeyB)
	pad.press(btnMode)
	wantKey(t, r, display.KeyMenu)
	kbd.press(keyA)
	wantKey(t, r, display.KeyOther)
}

func TestReaderHotplug(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	r := openFake(t, s, Options{Dir: dir})
	if got := r.Style(); got != display.StyleNone {
		t.Errorf("Style with no devices = %s, want none", styleName(got))
	}

	touch := s.plug(t, dir, "event4", touchCaps())
	waitStyle(t, r, display.StyleTouch)
	touch.send(event{evKey, btnTouch, 1}, event{evKey, btnTouch, 0})
	wantKey(t, r, display.KeyA)

	kbd := s.plug(t, dir, "event5", keyboardCaps())
	waitStyle(t, r, display.StyleKeyboard)
	kbd.press(keyU)
	wantKey(t, r, display.KeyX)

	pad := s.plug(t, dir, "event6", padCaps())
	waitStyle(t, r, display.StyleGamepad)
	pad.press(btnWest)
	wantKey(t, r, display.KeyY)

	// Unplugging the pad leaves the keyboard working.
	pad.unplug()
	waitStyle(t, r, display.StyleKeyboard)
	kbd.press(keyEnter)
	wantKey(t, r, display.KeyA)

	kbd.unplug()
	waitStyle(t, r, display.StyleTouch)
	touch.unplug()
	waitStyle(t, r, display.StyleNone)

	// A new device on a name used before.
	pad = s.plug(t, dir, "event6", padCaps())
	waitStyle(t, r, display.StyleGamepad)
	pad.press(btnEast)
	wantKey(t, r, display.KeyB)
}

func TestReaderDirAppears(t *testing.T) {
	// devtmpfs makes /dev/input with its first device and removes it with
	// its last.
	dir := filepath.Join(t.TempDir(), "input")
	s := newFakeSys()
	r := openFake(t, s, Options{Dir: dir})
	for round := range 2 {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		pad := s.plug(t, dir, "event0", padCaps())
		waitStyle(t, r, display.StyleGamepad)
		pad.press(btnNorth)
		wantKey(t, r, display.KeyX)
		pad.unplug()
		waitStyle(t, r, display.StyleNone)
		if err := os.Remove(dir); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

func TestOpenNoParent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no", "input")
	_, err := open(context.Background(), Options{Dir: dir}, newFakeSys().system())
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("open(%s) error = %v, want one naming the directory", dir, err)
	}
}

func TestReaderMap(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	pad := s.plug(t, dir, "event0", padCaps())
	r := openFake(t, s, Options{Dir: dir, Map: Map{btnEast: display.KeyA, btnSouth: display.KeyB, btnStart: display.KeyNone}})
	pad.press(btnStart) // nothing
	pad.press(btnEast)
	wantKey(t, r, display.KeyA)
	pad.press(btnSouth)
	wantKey(t, r, display.KeyB)
}

func TestReaderActive(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	pad := s.plug(t, dir, "event0", padCaps())
	var active atomic.Bool
	var asked atomic.Int32
	r := openFake(t, s, Options{Dir: dir, Active: func() bool { asked.Add(1); return active.Load() }})
	pad.press(btnNorth) // another VT in front: dropped
	pad.press(btnWest)
	eventually(t, "Active asked about two keys", func() bool { return asked.Load() == 2 })
	active.Store(true)
	pad.press(btnSouth)
	wantKey(t, r, display.KeyA)
	select {
	case k := <-r.Keys():
		t.Errorf("a key after the one pressed while active: %v", k)
	default:
	}
}

func TestReaderSlowReceiver(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	pad := s.plug(t, dir, "event0", padCaps())
	var logs logtest.Buffer
	r := openFake(t, s, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for range keyBuffer + 4 {
		pad.press(btnSouth)
	}
	eventually(t, "4 keys dropped", func() bool { return strings.Count(logs.String(), "dropping a key nobody reads") == 4 })
	for range keyBuffer {
		wantKey(t, r, display.KeyA)
	}
	pad.press(btnEast) // reading goes on
	wantKey(t, r, display.KeyB)
}

func TestReaderPermission(t *testing.T) {
	// EACCES from the node's mode, EPERM from systemd's device cgroup.
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EPERM} {
		t.Run(errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			s := newFakeSys()
			s.deny("event0", errno)
			pad := s.plug(t, dir, "event0", padCaps())
			var logs logtest.Buffer
			r := openFake(t, s, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			const msg = "skipping a device we may not read"
			if got := strings.Count(logs.String(), msg); got != 1 {
				t.Errorf("%q logged %d times after Open, want 1:\n%s", msg, got, logs.String())
			}
			// udev changes the node's permissions (IN_ATTRIB): tried
			// again, refused again, not logged again.
			if err := os.Chmod(pad.path, 0o640); err != nil {
				t.Fatal(err)
			}
			eventually(t, "a second open", func() bool { return s.openCount("event0") >= 2 })
			if got := strings.Count(logs.String(), msg); got != 1 {
				t.Errorf("%q logged %d times after a chmod, want 1:\n%s", msg, got, logs.String())
			}
			if got := r.Style(); got != display.StyleNone {
				t.Errorf("Style with the only device refused = %s, want none", styleName(got))
			}
			// Now the user may: the next change opens it.
			s.deny("event0", 0)
			if err := os.Chmod(pad.path, 0o660); err != nil {
				t.Fatal(err)
			}
			waitStyle(t, r, display.StyleGamepad)
			if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), errno.Error()) {
				t.Errorf("the log lacks an Info line with the error:\n%s", logs.String())
			}
		})
	}
}

func TestReaderClose(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	s.plug(t, dir, "event0", padCaps())
	r, err := open(context.Background(), Options{Dir: dir}, s.system())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, ok := <-r.Keys(); ok {
		t.Error("Keys is open after Close")
	}
	if got := devCount(r); got != 0 {
		t.Errorf("devices after Close = %d, want 0", got)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Nothing is opened after Close.
	s.plug(t, dir, "event1", padCaps())
	time.Sleep(20 * time.Millisecond)
	if got := devCount(r); got != 0 {
		t.Errorf("devices after Close and a plug = %d, want 0", got)
	}
}

func TestReaderContext(t *testing.T) {
	dir := t.TempDir()
	s := newFakeSys()
	s.plug(t, dir, "event0", padCaps())
	ctx, cancel := context.WithCancel(context.Background())
	r, err := open(ctx, Options{Dir: dir}, s.system())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cancel()
	eventually(t, "the device closed", func() bool { return devCount(r) == 0 })
	if got := r.Style(); got != display.StyleNone {
		t.Errorf("Style after cancel = %s, want none", styleName(got))
	}
}
