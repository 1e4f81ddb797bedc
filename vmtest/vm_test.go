//go:build vmtest

package vmtest

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/display/displaytest"
)

// What the development server's QR code carries: its verification URI
// with the user code.
var qrRE = regexp.MustCompile(`^http://127\.0\.0\.1:8080/device\?user_code=([A-Z0-9]{4}-[A-Z0-9]{4})$`)

const (
	bootTimeout = 3 * time.Minute // QEMU start to the first QR code (TCG, a busy host)
	keyTimeout  = 20 * time.Second
)

// run is one VM's test: the VM and the times of its steps.
type run struct {
	t     *testing.T
	vm    *VM
	dir   string
	steps []string
}

// step records the time since QEMU started for the summary.
func (r *run) step(what string) {
	s := fmt.Sprintf("%-28s %6.1f s", what, r.vm.Since().Seconds())
	r.steps = append(r.steps, s)
	r.t.Log(s)
}

// boot starts a VM for cfg (Kernel, Initrd and Dir come from the
// environment make vm-test sets) and waits for the first QR code, which
// must be the development server's; it returns the user code in it.
func boot(t *testing.T, name string, cfg Config) (*run, string) {
	cfg.Kernel, cfg.Initrd = os.Getenv("VMTEST_KERNEL"), os.Getenv("VMTEST_INITRD")
	if cfg.Kernel == "" || cfg.Initrd == "" {
		t.Fatal("VMTEST_KERNEL and VMTEST_INITRD are not set: run make vm-test")
	}
	// The uncompressed kernel boots in seconds rather than tens of them
	// under TCG, but through the PVH entry, without the real-mode setup
	// that sets a VESA mode.
	if v := os.Getenv("VMTEST_VMLINUX"); v != "" && cfg.FB != "vesa" {
		cfg.Kernel = v
	}
	cfg.Accel = os.Getenv("VMTEST_ACCEL")
	cfg.Dir = filepath.Join(os.Getenv("VMTEST_DIR"), name)
	if os.Getenv("VMTEST_DIR") == "" || len(cfg.Dir) > 90 {
		// The sockets' paths must stay under 108 bytes.
		cfg.Dir = t.TempDir()
		if len(cfg.Dir) > 90 {
			d, err := os.MkdirTemp("", "vmtest")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(d) })
			cfg.Dir = d
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("qemu-system-x86_64 %s", strings.Join(cfg.Args(), " "))
	vm, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t: t, vm: vm, dir: cfg.Dir}
	t.Cleanup(func() {
		vm.Stop()
		if t.Failed() {
			lines := strings.Split(strings.TrimRight(vm.Serial(), "\n"), "\n")
			t.Logf("the VM's console (%s/serial.log), last lines:\n%s", cfg.Dir,
				strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
		t.Logf("%s: %d screendumps; times since QEMU started:\n%s", name, vm.Shots(), strings.Join(r.steps, "\n"))
	})

	m, _, err := vm.WaitSerial(0, regexp.MustCompile(`VMTEST init up: .* uptime ([0-9.]+) s`), bootTimeout)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	r.step("init up (kernel " + m[1] + " s)")
	m, _, err = vm.WaitSerial(0, regexp.MustCompile(`VMTEST fb0: ([^\r\n]*)`), bootTimeout)
	if err != nil {
		t.Fatalf("framebuffer: %v", err)
	}
	t.Logf("fb0: %s", m[1])
	if _, _, err := vm.WaitSerial(0, regexp.MustCompile(`VMTEST pairingd started`), bootTimeout); err != nil {
		t.Fatalf("boot: %v", err)
	}
	r.step("pairingd started")
	if _, _, err := vm.WaitSerial(0, regexp.MustCompile(`msg="pairingd starting"`), bootTimeout); err != nil {
		t.Fatalf("pairingd is not running: %v", err)
	}

	payload, img, err := vm.WaitQR(nil, bootTimeout)
	if err != nil {
		if img != nil {
			vm.SavePNG("no-qr.png", img)
		}
		t.Fatalf("first QR code: %v", err)
	}
	r.step("first QR code decoded")
	vm.SavePNG("qr.png", img)
	qm := qrRE.FindStringSubmatch(payload)
	if qm == nil {
		t.Fatalf("the QR code says %q, want %s", payload, qrRE)
	}
	// The code on screen is the one pairingd logged.
	if _, _, err := vm.WaitSerial(0, regexp.MustCompile(`msg="got a device code" user_code=`+qm[1]), 10*time.Second); err != nil {
		t.Errorf("the QR code's user code %s: %v", qm[1], err)
	}
	t.Logf("QR code: %s", payload)
	checkColors(t, img)
	return r, qm[1]
}

// The user code's yellow on the pairing screen (colCode in
// display/fb/layout.go), and what it becomes with red and blue swapped.
var (
	codeYellow  = color.RGBA{0xff, 0xd4, 0x4f, 0xff}
	swappedCode = color.RGBA{0x4f, 0xd4, 0xff, 0xff}
)

// checkColors checks the channel order the driver reported: black and
// white modules decode whatever it is, but the code's yellow turns light
// blue with red and blue swapped. RGB565 is within 8 of each channel.
func checkColors(t *testing.T, img image.Image) {
	t.Helper()
	near := func(c color.Color, want color.RGBA) bool {
		r, g, b, _ := c.RGBA()
		d := func(a uint32, w uint8) bool { return max(a>>8, uint32(w))-min(a>>8, uint32(w)) <= 8 }
		return d(r, want.R) && d(g, want.G) && d(b, want.B)
	}
	yellow, swapped := 0, 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			switch c := img.At(x, y); {
			case near(c, codeYellow):
				yellow++
			case near(c, swappedCode):
				swapped++
			}
		}
	}
	if yellow < 300 || swapped > yellow/10 {
		t.Errorf("colours: %d pixels of the user code's yellow %v and %d of its red-blue swap %v: the channel order is wrong (or the palette changed: display/fb/layout.go)",
			yellow, codeYellow, swapped, swappedCode)
	}
}

// pressKey sends a key while the init script counts the events of each
// input device for 4 s, and returns a function that tells, once those 4 s
// are over, what it counted ("event1 (QEMU Virtio Keyboard): 4 events;
// ..."): whether the kernel got the key, when pairingd did nothing.
func (r *run) pressKey(qcode string) func() string {
	r.t.Helper()
	from := len(r.vm.Serial())
	if err := r.vm.Command("watchkeys 4"); err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.vm.WaitSerial(from, regexp.MustCompile(`VMTEST watchkeys ready`), 30*time.Second); err != nil {
		r.t.Fatal(err)
	}
	if err := r.vm.SendKey(qcode); err != nil {
		r.t.Fatal(err)
	}
	return func() string {
		r.vm.WaitSerial(from, regexp.MustCompile(`(?s)(VMTEST keys .*){2}`), 10*time.Second)
		var seen []string
		for _, m := range regexp.MustCompile(`VMTEST keys ([^\r\n]*)`).FindAllStringSubmatch(r.vm.Serial()[from:], -1) {
			seen = append(seen, m[1])
		}
		if len(seen) == 0 {
			return "the init script counted no input events"
		}
		return strings.Join(seen, "; ")
	}
}

// inputs is the list of input devices pairingd holds open ("" for none).
func (r *run) inputs() string {
	r.t.Helper()
	from := len(r.vm.Serial())
	if err := r.vm.Command("inputs"); err != nil {
		r.t.Fatal(err)
	}
	m, _, err := r.vm.WaitSerial(from, regexp.MustCompile(`VMTEST inputs: ([^\r\n]*)`), 30*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	if m[1] == "none" {
		return ""
	}
	return m[1]
}

// approve approves code through the init script and waits for the paired
// screen: the console says so, the screen has no QR code any more and
// `pairingd status` exits 0.
func (r *run) approve(code string) {
	r.t.Helper()
	from := len(r.vm.Serial())
	if err := r.vm.Command("approve " + code); err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.vm.WaitSerial(from, regexp.MustCompile(`VMTEST approve `+code+` rc=0`), 30*time.Second); err != nil {
		r.t.Fatalf("approving %s at the development server: %v", code, err)
	}
	if _, _, err := r.vm.WaitSerial(from, regexp.MustCompile(`state awaiting_user -> paired`), time.Minute); err != nil {
		r.t.Fatalf("after approving %s: %v", code, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		img, err := r.vm.Screen()
		if err != nil {
			r.t.Fatal(err)
		}
		if _, derr := displaytest.DecodeImage(img); derr != nil {
			r.vm.SavePNG("paired.png", img)
			break
		}
		if time.Now().After(deadline) {
			r.vm.SavePNG("paired-still-qr.png", img)
			r.t.Fatal("paired, but the screen still shows a QR code 30 s later")
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.step("paired screen")
	from = len(r.vm.Serial())
	if err := r.vm.Command("status"); err != nil {
		r.t.Fatal(err)
	}
	m, _, err := r.vm.WaitSerial(from, regexp.MustCompile(`VMTEST status rc=(\d+): ([^\r\n]*)`), 30*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	if m[1] != "0" {
		r.t.Errorf("pairingd status after approval: exit %s (0 is paired): %s", m[1], m[2])
	}
}

// TestVM boots the bochs DRM framebuffer (800x480, 32 bpp) with the
// virtio keyboard, pairingd run as an app: the QR code, Enter for a new
// code, approval end to end, Esc to quit.
func TestVM(t *testing.T) {
	start := time.Now()
	r, code := boot(t, "bochs", Config{FB: "bochs", Width: 800, Height: 480, App: true})
	if m, _, err := r.vm.WaitSerial(0, regexp.MustCompile(`VMTEST fb0: (\S+) (\d+,\d+) bpp (\d+)`), time.Second); err != nil || m[2] != "800,480" || m[3] != "32" {
		t.Errorf("fb0 is %q, want bochs-drmdrmfb 800,480 bpp 32 (err %v)", m, err)
	}

	t.Run("EnterNewCode", func(t *testing.T) {
		// KeyA (Enter on a keyboard) asks for a new code while one is shown.
		open := r.inputs()
		t.Logf("input devices pairingd holds open: %s", cmp.Or(open, "none"))
		events := r.pressKey("ret")
		payload, img, err := r.vm.WaitQR(func(p string) bool { return !strings.HasSuffix(p, "="+code) }, keyTimeout)
		seen := events()
		t.Logf("input events after Enter: %s", seen)
		if err != nil {
			if img != nil {
				r.vm.SavePNG("enter-unchanged.png", img)
			}
			t.Errorf("QR unchanged after Enter: still %s %v later (%v); input events: %s; pairingd holds open: %s",
				code, keyTimeout, err, seen, cmp.Or(open, "no input device"))
			return
		}
		r.step("new QR code after Enter")
		r.vm.SavePNG("qr-after-enter.png", img)
		m := qrRE.FindStringSubmatch(payload)
		if m == nil {
			t.Fatalf("after Enter the QR code says %q, want %s", payload, qrRE)
		}
		t.Logf("new code %s (was %s)", m[1], code)
		code = m[1]
	})

	t.Run("Approve", func(t *testing.T) {
		r.approve(code)
	})

	t.Run("EscQuits", func(t *testing.T) {
		events := r.pressKey("esc")
		_, _, err := r.vm.WaitSerial(0, regexp.MustCompile(`VMTEST pairingd exited rc=(\d+)`), keyTimeout)
		seen := events()
		t.Logf("input events after Esc: %s", seen)
		switch {
		case err == nil:
			r.step("pairingd quit after Esc")
			m, _, _ := r.vm.WaitSerial(0, regexp.MustCompile(`VMTEST pairingd exited rc=(\d+)`), time.Second)
			if m[1] != "0" {
				t.Errorf("pairingd quit after Esc with exit code %s, want 0", m[1])
			}
		default:
			t.Errorf("pairingd --app still running %v after Esc; input events: %s", keyTimeout, seen)
		}
	})
	r.step("done")
	t.Logf("whole test: %.1f s", time.Since(start).Seconds())
}

// TestVMVesa16 boots the kernel's vesafb at 640x480 in RGB565: the QR
// code on a 16 bpp framebuffer, and approval. pairingd runs with display
// auto, which takes the framebuffer only with the console: here, as root
// on the kernel's VT, it does.
func TestVMVesa16(t *testing.T) {
	start := time.Now()
	r, code := boot(t, "vesa16", Config{FB: "vesa", VGAMode: "0x311", Display: "auto"})
	if m, _, err := r.vm.WaitSerial(0, regexp.MustCompile(`VMTEST fb0: (.*) (\d+,\d+) bpp (\d+)`), time.Second); err != nil || m[2] != "640,480" || m[3] != "16" {
		t.Errorf("fb0 is %q, want VESA VGA 640,480 bpp 16 (err %v)", m, err)
	}
	r.approve(code)
	r.step("done")
	t.Logf("whole test: %.1f s", time.Since(start).Seconds())
}
