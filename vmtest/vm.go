package vmtest

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pairingd/pairingd/display/displaytest"
)

// Config is what a VM boots.
type Config struct {
	QEMU   string // qemu-system-x86_64 when empty
	Kernel string // a bzImage, or a vmlinux with a PVH entry (not for vesa)
	Initrd string // the initramfs of scripts/vm-test.sh
	// Dir receives the serial log, the sockets and the screendumps; its
	// path must be short (unix socket paths are at most 107 bytes).
	Dir string
	// FB is the init script's framebuffer: "bochs" (the bochs DRM driver
	// with fbdev emulation on QEMU's standard VGA; default) or "vesa" (the
	// kernel's vesafb in VESA mode VGAMode).
	FB      string
	Width   int    // bochs: the mode the VGA's EDID prefers
	Height  int    // bochs
	VGAMode string // vesa: the kernel's vga= (0x311 is 640x480, 16 bpp)
	// App runs pairingd with --app, so that B (Esc) quits it.
	App bool
	// Display is pairingd's --display: fb by default; auto shows that it
	// chooses the framebuffer on a VT it can own.
	Display string
	// Accel is QEMU's accelerator: tcg (default) or kvm.
	Accel string
	// Mem is the guest's memory in MiB (default 384).
	Mem int
}

// VM is a running QEMU with the vm-test initramfs.
type VM struct {
	cfg     Config
	cmd     *exec.Cmd
	qmp     *QMP
	serial  string // path of the console log
	ctlPath string
	ctl     net.Conn
	started time.Time
	shots   int

	done    chan struct{} // closed when QEMU has exited
	waitErr error
	stop    sync.Once
}

// Args is QEMU's command line for cfg, without the program: a q35 PC
// without network, with the standard VGA, the PS/2 and a virtio keyboard,
// the console on the first serial port (a file), the init script's
// commands on the second (a socket) and QMP on a socket.
func (cfg Config) Args() []string {
	accel := cfg.Accel
	if accel == "" {
		accel = "tcg"
	}
	mem := cfg.Mem
	if mem == 0 {
		mem = 384
	}
	appendLine := []string{"console=ttyS0", "quiet", "panic=-1", "vmtest.fb=" + cfg.fb()}
	vga := "VGA"
	switch cfg.fb() {
	case "vesa":
		appendLine = append(appendLine, "vga="+cfg.VGAMode)
	default:
		if cfg.Width > 0 && cfg.Height > 0 {
			vga += fmt.Sprintf(",edid=on,xres=%d,yres=%d", cfg.Width, cfg.Height)
		}
	}
	if cfg.App {
		appendLine = append(appendLine, "vmtest.app=1")
	}
	if cfg.Display != "" {
		appendLine = append(appendLine, "vmtest.display="+cfg.Display)
	}
	return []string{
		"-machine", "q35,accel=" + accel, "-m", fmt.Sprint(mem), "-smp", "1",
		"-nodefaults", "-no-user-config", "-no-reboot", "-nic", "none", "-display", "none",
		"-device", vga, "-device", "virtio-keyboard-pci",
		"-kernel", cfg.Kernel, "-initrd", cfg.Initrd, "-append", strings.Join(appendLine, " "),
		"-serial", "file:" + filepath.Join(cfg.Dir, "serial.log"),
		"-serial", "unix:" + filepath.Join(cfg.Dir, "ctl.sock") + ",server=on,wait=off",
		"-qmp", "unix:" + filepath.Join(cfg.Dir, "qmp.sock") + ",server=on,wait=off",
	}
}

func (cfg Config) fb() string {
	if cfg.FB == "" {
		return "bochs"
	}
	return cfg.FB
}

// Start starts QEMU and connects to its QMP and command sockets.
func Start(cfg Config) (*VM, error) {
	q := cfg.QEMU
	if q == "" {
		q = "qemu-system-x86_64"
	}
	vm := &VM{cfg: cfg, serial: filepath.Join(cfg.Dir, "serial.log"), ctlPath: filepath.Join(cfg.Dir, "ctl.sock"), done: make(chan struct{})}
	for _, f := range []string{"serial.log", "ctl.sock", "qmp.sock", "qemu.log"} {
		os.Remove(filepath.Join(cfg.Dir, f))
	}
	out, err := os.Create(filepath.Join(cfg.Dir, "qemu.log"))
	if err != nil {
		return nil, err
	}
	vm.cmd = exec.Command(q, cfg.Args()...)
	vm.cmd.Stdout, vm.cmd.Stderr = out, out
	vm.started = time.Now()
	if err := vm.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", q, err)
	}
	go func() {
		vm.waitErr = vm.cmd.Wait()
		out.Close()
		close(vm.done)
	}()
	if vm.qmp, err = DialQMP(filepath.Join(cfg.Dir, "qmp.sock"), 30*time.Second); err != nil {
		vm.Stop()
		return nil, fmt.Errorf("%w (qemu: %s)", err, vm.QEMULog())
	}
	return vm, nil
}

// Since is the time since QEMU started.
func (vm *VM) Since() time.Duration { return time.Since(vm.started) }

// QEMULog is what QEMU printed.
func (vm *VM) QEMULog() string {
	b, _ := os.ReadFile(filepath.Join(vm.cfg.Dir, "qemu.log"))
	return strings.TrimSpace(string(b))
}

// Serial is the console log so far.
func (vm *VM) Serial() string {
	b, _ := os.ReadFile(vm.serial)
	return string(b)
}

// ErrExited is returned by waits when QEMU is gone.
var ErrExited = errors.New("qemu exited")

// WaitSerial waits until the console log matches re and returns the
// submatches of the first match at or after byte from, and the offset
// just past it. It gives up after timeout, when QEMU exits, and when the
// init script reports a failed setup step ("VMTEST FAIL").
func (vm *VM) WaitSerial(from int, re *regexp.Regexp, timeout time.Duration) ([]string, int, error) {
	deadline := time.Now().Add(timeout)
	failRE := regexp.MustCompile(`VMTEST FAIL [^\r\n]*`)
	for {
		s := vm.Serial()
		if from > len(s) {
			from = len(s)
		}
		if loc := re.FindStringSubmatchIndex(s[from:]); loc != nil {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = s[from+loc[2*i] : from+loc[2*i+1]]
				}
			}
			return m, from + loc[1], nil
		}
		if f := failRE.FindString(s); f != "" {
			return nil, len(s), fmt.Errorf("the VM's init script failed: %s", f)
		}
		select {
		case <-vm.done:
			return nil, len(s), fmt.Errorf("waiting for %q: %w (%v; qemu: %s)", re, ErrExited, vm.waitErr, vm.QEMULog())
		default:
		}
		if time.Now().After(deadline) {
			return nil, len(s), fmt.Errorf("no %q on the console within %v", re, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Screen takes a screendump.
func (vm *VM) Screen() (image.Image, error) {
	vm.shots++
	f := filepath.Join(vm.cfg.Dir, "screen.ppm")
	if err := vm.qmp.Screendump(f); err != nil {
		return nil, err
	}
	r, err := os.Open(f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadPPM(r)
}

// Shots is the number of screendumps taken.
func (vm *VM) Shots() int { return vm.shots }

// SavePNG writes img to name (in Dir) as a PNG, for a person to look at.
func (vm *VM) SavePNG(name string, img image.Image) error {
	f, err := os.Create(filepath.Join(vm.cfg.Dir, name))
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WaitQR takes screendumps until one decodes as a QR code for which ok
// returns true (nil accepts any), and returns its payload and the screen.
// The error of a timeout says what the last screen held.
func (vm *VM) WaitQR(ok func(payload string) bool, timeout time.Duration) (string, image.Image, error) {
	deadline := time.Now().Add(timeout)
	last := "no screendump"
	for {
		img, err := vm.Screen()
		if err != nil {
			return "", nil, err
		}
		payload, derr := displaytest.DecodeImage(img)
		if derr == nil && (ok == nil || ok(payload)) {
			return payload, img, nil
		}
		if derr != nil {
			last = "no QR code (" + derr.Error() + ")"
		} else {
			last = "QR " + payload
		}
		select {
		case <-vm.done:
			return "", img, fmt.Errorf("%w (%v); the last screen had %s", ErrExited, vm.waitErr, last)
		default:
		}
		if time.Now().After(deadline) {
			return "", img, fmt.Errorf("after %v the screen had %s", timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// SendKey presses and releases a key (a QEMU key code: "ret", "esc").
func (vm *VM) SendKey(qcode string) error { return vm.qmp.SendKey(qcode) }

// Command sends a line to the init script's command loop on the second
// serial port ("approve CODE", "status").
func (vm *VM) Command(line string) error {
	if vm.ctl == nil {
		c, err := net.Dial("unix", vm.ctlPath)
		if err != nil {
			return fmt.Errorf("command socket: %w", err)
		}
		vm.ctl = c
	}
	vm.ctl.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := vm.ctl.Write([]byte(line + "\n"))
	return err
}

// Exited reports whether QEMU has exited.
func (vm *VM) Exited() bool {
	select {
	case <-vm.done:
		return true
	default:
		return false
	}
}

// Stop ends QEMU: quit over QMP, then a kill after 10 s (at once without
// QMP).
func (vm *VM) Stop() {
	vm.stop.Do(func() {
		if vm.qmp != nil {
			vm.qmp.Execute("quit", nil)
			vm.qmp.Close()
		}
		if vm.ctl != nil {
			vm.ctl.Close()
		}
		wait := 10 * time.Second
		if vm.qmp == nil {
			wait = 0
		}
		select {
		case <-vm.done:
		case <-time.After(wait):
			vm.cmd.Process.Kill()
			<-vm.done
		}
	})
}
