package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
	"github.com/pairingd/pairingd/localapi"
)

// bbInit is BusyBox init as PID 1 of a new PID and mount namespace,
// chrooted into a temporary root laid out like a Buildroot image's:
// BusyBox applets in /bin and /sbin, /usr/bin/pairingd, the init script
// as /etc/init.d/S80pairingd run by an rcS from ::sysinit:, a pairingd
// user. The namespace shares the host's network, so the daemon reaches
// the test's auth server on loopback.
type bbInit struct {
	t       *testing.T
	root    string
	cmd     *exec.Cmd
	pid     int // the namespace's init, as the host numbers it
	pidNS   string
	console *lineBuf // init's console: its stdout and stderr
}

// needBusyBoxPID1 skips the test where BusyBox init cannot be PID 1 of a
// namespace (not root, no busybox or util-linux), except under CI, which
// runs as root with both installed.
func needBusyBoxPID1(t *testing.T) string {
	t.Helper()
	needBinary(t)
	skip := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("BusyBox init as PID 1 cannot run: %s", why)
		}
		t.Skipf("BusyBox init as PID 1: %s; CI runs this test", why)
	}
	if os.Geteuid() != 0 {
		skip("needs root for the namespaces")
	}
	for _, c := range []string{"unshare", "nsenter", "chroot", "mount", "mknod"} {
		if _, err := exec.LookPath(c); err != nil {
			skip(c + " not found")
		}
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		skip("busybox not installed")
	}
	return bb
}

// libDirs are the host's library directories, bound read-only into the
// root for the dynamically linked busybox and test binary.
var libDirs = []string{"/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32"}

// newBusyBoxRoot lays out the root; files maps more paths to contents (""
// leaves out one the root has by default).
func newBusyBoxRoot(t *testing.T, bb string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "etc/default", "proc", "dev", "tmp", "var/run", "var/log", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(from, to string) {
		if err := os.Link(from, to); err != nil {
			b, err := os.ReadFile(from)
			if err == nil {
				err = os.WriteFile(to, b, 0o755)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	link(bb, filepath.Join(root, "bin/busybox"))
	link(pairingdBin, filepath.Join(root, "usr/bin/pairingd"))
	for _, a := range append([]string{"ps", "grep", "echo"}, busyboxApplets...) {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	// Buildroot has start-stop-daemon in /sbin.
	if err := os.Remove(filepath.Join(root, "bin/start-stop-daemon")); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"init", "syslogd", "start-stop-daemon"} {
		if err := os.Symlink("../bin/busybox", filepath.Join(root, "sbin", a)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range libDirs {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(d)
			if err == nil {
				err = os.Symlink(target, filepath.Join(root, d))
			}
			if err != nil {
				t.Fatal(err)
			}
		case fi.IsDir():
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	script, err := os.ReadFile("../../init/S80pairingd")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{
		"etc/init.d/S80pairingd": string(script),
		// As Buildroot's rcS: every S??* script with start, in order.
		"etc/init.d/rcS": "#!/bin/sh\nfor i in /etc/init.d/S??*; do\n\t[ -x \"$i\" ] && \"$i\" start\ndone\n",
		"etc/inittab":    "::sysinit:/etc/init.d/rcS\n",
		"etc/passwd":     "root:x:0:0:root:/root:/bin/sh\npairingd:x:871:871:Device pairing daemon:/var/lib/pairingd:/bin/false\n",
		"etc/group":      "root:x:0:\nvideo:x:28:pairingd\ninput:x:29:pairingd\npairingd:x:871:\n",
	}
	for k, v := range files {
		all[k] = v
	}
	for name, content := range all {
		if content == "" {
			// A file the image leaves out.
			continue
		}
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(name, "etc/init.d/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// bootBusyBox starts init in the root. Killing it at the end kills every
// process of the namespace, and the namespace's mounts go with it.
func bootBusyBox(t *testing.T, root string) *bbInit {
	t.Helper()
	// In the new namespaces: the namespace's /proc, a tmpfs /dev (where
	// syslogd makes /dev/log), the libraries, then init.
	setup := `set -e
r=$1; shift
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=0755 dev "$r/dev"
mknod -m 0666 "$r/dev/null" c 1 3
mknod -m 0666 "$r/dev/zero" c 1 5
mknod -m 0666 "$r/dev/urandom" c 1 9
for d in "$@"; do mount --bind -o ro "$d" "$r$d"; done
exec chroot "$r" /sbin/init`
	args := []string{"--pid", "--fork", "--mount", "--kill-child", "sh", "-c", setup, "sh", root}
	for _, d := range libDirs {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
			args = append(args, d)
		}
	}
	b := &bbInit{t: t, root: root, console: newLineBuf()}
	b.cmd = exec.Command("unshare", args...)
	b.cmd.Env = []string{"PATH=/sbin:/usr/sbin:/bin:/usr/bin", "HOME=/", "TERM=dumb"}
	b.cmd.Stdout, b.cmd.Stderr = b.console, b.console
	// Killing init kills every holder of the console's pipe; should one
	// escape, Wait still returns.
	b.cmd.WaitDelay = 2 * time.Second
	// Should the test die, unshare dies, and --kill-child kills init.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	t.Cleanup(func() {
		if b.pid != 0 {
			syscall.Kill(b.pid, syscall.SIGKILL)
		}
		b.cmd.Process.Kill()
		b.cmd.Wait()
	})
	// init is unshare's child: the setup shell, then chroot, then init.
	for deadline := time.Now().Add(waitTimeout); ; {
		for _, pid := range hostPids() {
			if ppid(pid) == b.cmd.Process.Pid && comm(pid) == "init" {
				b.pid = pid
			}
		}
		if b.pid != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no init under unshare after %v: %s", waitTimeout, b.console)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ns, err := os.Readlink("/proc/" + strconv.Itoa(b.pid) + "/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	b.pidNS = ns
	return b
}

// run runs a command inside: the namespaces and the root of init.
func (b *bbInit) run(args ...string) (string, int) {
	b.t.Helper()
	cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(b.pid), "-p", "-m", "-r", "-w", "--"}, args...)...)
	cmd.Env = []string{"PATH=/sbin:/usr/sbin:/bin:/usr/bin", "HOME=/"}
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		b.t.Fatalf("nsenter %v: %v", args, err)
	}
	return strings.TrimSpace(string(out)), cmd.ProcessState.ExitCode()
}

// procs returns the command lines of the namespace's processes but init,
// by the host's pid.
func (b *bbInit) procs() map[int]string {
	m := map[int]string{}
	for _, pid := range hostPids() {
		if pid == b.pid {
			continue
		}
		if ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid"); err != nil || ns != b.pidNS {
			continue
		}
		if c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && len(c) > 0 {
			m[pid] = strings.TrimSpace(strings.ReplaceAll(string(c), "\x00", " "))
		}
	}
	return m
}

// file returns a file of the root.
func (b *bbInit) file(name string) string {
	c, _ := os.ReadFile(filepath.Join(b.root, name))
	return string(c)
}

// waitDaemon waits for a daemon, a process running pairingd run, other
// than not, and returns its pid in the namespace.
func (b *bbInit) waitDaemon(not int, within time.Duration) int {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for hostPid, c := range b.procs() {
			if pid := nsPid(hostPid); strings.HasPrefix(c, "/usr/bin/pairingd run ") && pid != not && pid != 0 {
				return pid
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no new daemon within %v (processes %v)\nconsole: %s\npairingd.log:\n%s", within, b.procs(), b.console, b.file("var/log/pairingd.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRootFile waits until the root's file matches every pattern.
func (b *bbInit) waitRootFile(name string, patterns ...string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		c := b.file(name)
		missing := ""
		for _, p := range patterns {
			if !regexp.MustCompile(p).MatchString(c) {
				missing = p
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("/%s does not match %q after %v:\n%s", name, missing, waitTimeout, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hostPids() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stat returns the fields of /proc/pid/stat after the command name.
func stat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

func ppid(pid int) int {
	f := stat(pid)
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// nsPid returns the pid of a host pid in its own PID namespace.
func nsPid(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" {
			p, _ := strconv.Atoi(f[len(f)-1])
			return p
		}
	}
	return 0
}

// uidOf returns the real uid of a host pid.
func uidOf(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
			return f[1]
		}
	}
	return ""
}

// TestBusyBoxInitPID1 boots BusyBox init as PID 1 (a PID and mount
// namespace) whose rcS runs S80pairingd start, as on a Buildroot image.
// Without a syslog daemon: the daemon runs as the pairingd user under its
// supervisor, kill -9 of the daemon brings a new one within about 6 s and
// the log file says why, stop leaves no process, and a stale pidfile
// makes status exit 1. With BusyBox syslogd (S01syslogd), the daemon's
// and the supervisor's lines are in /var/log/messages.
func TestBusyBoxInitPID1(t *testing.T) {
	bb := needBusyBoxPID1(t)
	auth := startAuthServer(t, devauth.Options{}, nil)
	defaults := map[string]string{
		"etc/default/pairingd": `PAIRINGD_ARGS="--issuer ` + auth.issuer + ` --client-id pid1-test --display plain"` + "\n",
	}

	t.Run("no syslogd", func(t *testing.T) {
		b := bootBusyBox(t, newBusyBoxRoot(t, bb, defaults))
		daemon := b.waitDaemon(0, waitTimeout)
		if got := strings.TrimSpace(b.file("var/run/pairingd.daemon.pid")); got != strconv.Itoa(daemon) {
			t.Errorf("/var/run/pairingd.daemon.pid holds %q, want the daemon's pid %d", got, daemon)
		}
		out, code := b.run("/etc/init.d/S80pairingd", "status")
		if code != 0 || !strings.Contains(out, "is running (pid "+strconv.Itoa(daemon)+", supervisor pid ") {
			t.Errorf("status = %q (exit %d), want running with pid %d, exit 0", out, code, daemon)
		}
		// The local API: the script made /run/pairingd for the daemon's
		// user, and the socket answers in the daemon's group.
		sock := filepath.Join(b.root, "run/pairingd/pairingd.sock")
		for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(sock); err == nil {
				break
			}
		}
		if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o660 || fi.Sys().(*syscall.Stat_t).Gid != 871 {
			t.Errorf("the local API's socket: %v, %v; want mode 0660 in group pairingd (871)", fi, err)
		} else {
			c := localapi.NewClient(sock)
			raw, err := c.Status(context.Background())
			c.Close()
			if err != nil || !strings.Contains(string(raw), `"daemon_running":true`) {
				t.Errorf("GET /v1/status under BusyBox init: %s, %v", raw, err)
			}
		}
		var daemons, supervisors []int
		for pid, c := range b.procs() {
			switch {
			case strings.HasPrefix(c, "/usr/bin/pairingd run "):
				daemons = append(daemons, pid)
				if u := uidOf(pid); u != "871" {
					t.Errorf("the daemon runs as uid %s, want the pairingd user's 871", u)
				}
			case strings.HasSuffix(c, "/etc/init.d/S80pairingd supervise"):
				supervisors = append(supervisors, pid)
			}
		}
		if len(daemons) != 1 || len(supervisors) != 1 {
			t.Errorf("processes %v, want one daemon and one supervisor", b.procs())
		}
		if out, code := b.run("kill", "-9", strconv.Itoa(daemon)); code != 0 {
			t.Fatalf("kill -9 %d: %s (exit %d)", daemon, out, code)
		}
		killed := time.Now()
		next := b.waitDaemon(daemon, 8*time.Second)
		if got := strings.TrimSpace(b.file("var/run/pairingd.daemon.pid")); got != strconv.Itoa(next) {
			t.Errorf("/var/run/pairingd.daemon.pid holds %q, want the new daemon's pid %d", got, next)
		}
		if took := time.Since(killed); took > 7*time.Second {
			t.Errorf("the new daemon came %v after the kill, want about 5 s", took)
		}
		t.Logf("kill -9 of the daemon: a new daemon after %v", time.Since(killed).Round(100*time.Millisecond))
		// No syslogd: the daemon's log, its screens and the supervisor's
		// lines, why it restarted the daemon among them, are in the file.
		b.waitRootFile("var/log/pairingd.log", `level=INFO msg="pairingd starting"`, `Code: `,
			`pairingd: started \(pid `+strconv.Itoa(daemon)+`, log to stderr\)`,
			`pairingd: killed by signal 9 after [0-9]+ s; restarting in 5 s`,
			`pairingd: started \(pid `+strconv.Itoa(next)+`, log to stderr\)`)

		if out, code := b.run("/etc/init.d/S80pairingd", "stop"); code != 0 || !strings.HasSuffix(out, "OK") {
			t.Errorf("stop = %q (exit %d), want OK", out, code)
		}
		if testing.Verbose() {
			t.Logf("/var/log/pairingd.log:\n%s", b.file("var/log/pairingd.log"))
		}
		if p := b.procs(); len(p) != 0 {
			t.Errorf("processes left after stop: %v", p)
		}
		if out, code := b.run("/etc/init.d/S80pairingd", "status"); code != 3 {
			t.Errorf("status after stop = %q (exit %d), want exit 3", out, code)
		}
		// A stale pidfile: a supervisor that is gone.
		if out, code := b.run("sh", "-c", "echo "+strconv.Itoa(next)+" >/var/run/pairingd.pid"); code != 0 {
			t.Fatalf("writing the pidfile: %s", out)
		}
		if out, code := b.run("/etc/init.d/S80pairingd", "status"); code != 1 || !strings.Contains(out, "dead") {
			t.Errorf("status with a stale pidfile = %q (exit %d), want dead, exit 1", out, code)
		}
	})

	t.Run("syslogd", func(t *testing.T) {
		files := map[string]string{
			// As Buildroot's S01syslogd: BusyBox syslogd, /var/log/messages.
			"etc/init.d/S01syslogd": "#!/bin/sh\n[ \"$1\" = start ] && start-stop-daemon -S -b -m -p /var/run/syslogd.pid -x /sbin/syslogd -- -n\n" +
				// Wait for its socket, as the daemon checks for it once.
				"i=0; while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n",
		}
		for k, v := range defaults {
			files[k] = v
		}
		b := bootBusyBox(t, newBusyBoxRoot(t, bb, files))
		daemon := b.waitDaemon(0, waitTimeout)
		b.waitRootFile("var/log/messages", `pairingd: started \(pid `+strconv.Itoa(daemon)+`, log to syslog\)`,
			`pairingd\[[0-9]+\]: msg="pairingd starting"`, `pairingd\[[0-9]+\]: msg="got a device code"`)
		// The plain display's screens still go to the log file.
		b.waitRootFile("var/log/pairingd.log", `Code: `)
		if strings.Contains(b.file("var/log/pairingd.log"), `msg="pairingd starting"`) {
			t.Errorf("the daemon logged to pairingd.log with a syslogd:\n%s", b.file("var/log/pairingd.log"))
		}
		if out, code := b.run("/etc/init.d/S80pairingd", "stop"); code != 0 || !strings.HasSuffix(out, "OK") {
			t.Errorf("stop = %q (exit %d), want OK", out, code)
		}
		for pid, c := range b.procs() {
			if !strings.Contains(c, "syslogd") {
				t.Errorf("process %d (%s) left after stop", pid, c)
			}
		}
	})

	t.Run("inittab respawn", func(t *testing.T) {
		// README's line, as a builder copies it.
		readme, err := os.ReadFile("../../README.md")
		if err != nil {
			t.Fatal(err)
		}
		line := regexp.MustCompile(`(?m)^::respawn:.*pairingd.*$`).Find(readme)
		if line == nil {
			t.Fatal("README.md has no ::respawn: line for pairingd")
		}
		root := newBusyBoxRoot(t, bb, map[string]string{
			"etc/init.d/S80pairingd":     "",
			"etc/inittab":                "::sysinit:/etc/init.d/rcS\n" + string(line) + "\n",
			"etc/pairingd/pairingd.toml": "issuer = \"" + auth.issuer + "\"\nclient_id = \"inittab-test\"\ndisplay = \"plain\"\n",
		})
		// The pairingd user's home, as Buildroot makes it.
		state := filepath.Join(root, "var/lib/pairingd")
		if err := os.Mkdir(state, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(state, 871, 871); err != nil {
			t.Fatal(err)
		}
		b := bootBusyBox(t, root)
		daemon := func(not int, within time.Duration) int {
			t.Helper()
			deadline := time.Now().Add(within)
			for {
				for pid, c := range b.procs() {
					if strings.HasPrefix(c, "/usr/bin/pairingd run ") && pid != not && ppid(pid) == b.pid {
						if u := uidOf(pid); u != "871" {
							t.Errorf("the daemon runs as uid %s, want the pairingd user's 871", u)
						}
						return pid
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no new daemon, init's child, within %v (processes %v)\nconsole: %s", within, b.procs(), b.console)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		first := daemon(0, waitTimeout)
		// No syslog daemon: the log is on init's console.
		for deadline := time.Now().Add(waitTimeout); !strings.Contains(b.console.String(), `msg="got a device code"`); {
			if time.Now().After(deadline) {
				t.Fatalf("no log on the console after %v:\n%s", waitTimeout, b.console)
			}
			time.Sleep(50 * time.Millisecond)
		}
		syscall.Kill(first, syscall.SIGKILL)
		killed := time.Now()
		daemon(first, 5*time.Second)
		t.Logf("kill -9 of the daemon: init started a new one after %v", time.Since(killed).Round(100*time.Millisecond))
	})
}
