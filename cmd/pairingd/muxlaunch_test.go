package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The muOS launcher, muos/mux_launch.sh, run as muOS runs it
// ("<dir>/mux_launch.sh <dir>") under BusyBox's sh with nothing but
// BusyBox's applets on PATH, against a fake func.sh and a stub pairingd
// that records its arguments and the PAIRINGD_* variables it was given.

// fakeFuncCurrent is func.sh as muOS has it since Jacaranda: GET_VAR reads
// /opt/muos/device/config (device) and /opt/muos/config (config, global),
// here under $FAKE_OPT, and SETUP_APP sets the app up.
const fakeFuncCurrent = `
GET_VAR() {
	case "$1" in
	global | config) b="$FAKE_OPT/config" ;;
	device) b="$FAKE_OPT/device/config" ;;
	*) return 0 ;;
	esac
	cat "$b/$2" 2>/dev/null
}
SET_VAR() { echo "SET_VAR $*" >>"$FAKE_CALLS"; }
SETUP_APP() { echo "SETUP_APP $*" >>"$FAKE_CALLS"; cd /; }
SET_DEFAULT_GOVERNOR() { echo SET_DEFAULT_GOVERNOR >>"$FAKE_CALLS"; }
`

// fakeFuncOld is func.sh before 2025: GET_VAR reads /run/muos/NS/KEY, here
// $MUOS_RUN_DIR, and there is no SETUP_APP.
const fakeFuncOld = `
GET_VAR() {
	[ -f "$MUOS_RUN_DIR/$1/$2" ] && cat "$MUOS_RUN_DIR/$1/$2" || echo ""
}
SET_VAR() { echo "SET_VAR $*" >>"$FAKE_CALLS"; }
SETUP_SDL_ENVIRONMENT() { echo "SETUP_SDL_ENVIRONMENT $(cat "$MUOS_TMP_DIR/con_go" 2>/dev/null)" >>"$FAKE_CALLS"; }
`

// stubPairingd records what the launcher ran it with, and exits 3.
const stubPairingd = `
d=$(dirname "$0")
printf '%s\n' "$@" >"$d/args"
{
	echo "PWD=$(pwd)"
	echo "HOME=$HOME"
	env | grep '^PAIRINGD_' | sort
} >"$d/env"
exit 3
`

// launch is one run of the launcher.
type launch struct {
	args     []string          // pairingd's arguments after "run"
	env      map[string]string // PAIRINGD_* variables pairingd saw, PWD and HOME
	calls    []string          // the fake func.sh's helpers that were called
	status   int               // the launcher's exit status
	appDir   string
	tmp, run string // MUOS_TMP_DIR and MUOS_RUN_DIR
}

// launcher holds the files of one run: a fake root with the app's folder,
// muOS's variables and its hand-over files.
type launcher struct {
	t        *testing.T
	bb       string
	root     string
	funcSh   string            // the fake func.sh, "" for none
	files    map[string]string // path under root -> content
	extraEnv []string
}

func newLauncher(t *testing.T, funcSh string) *launcher {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("busybox is needed (.ci/run installs it): %v", err)
		}
		t.Skip("busybox not installed; CI runs this test")
	}
	return &launcher{t: t, bb: bb, root: t.TempDir(), funcSh: funcSh, files: map[string]string{}}
}

// set writes muOS variables: "opt/device/config/screen/rotate" = "1".
func (l *launcher) set(kv ...string) *launcher {
	for i := 0; i+1 < len(kv); i += 2 {
		l.files[kv[i]] = kv[i+1]
	}
	return l
}

func (l *launcher) write(rel, content string, mode os.FileMode) string {
	l.t.Helper()
	p := filepath.Join(l.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		l.t.Fatal(err)
	}
	return p
}

func (l *launcher) launch(pairingd string) launch {
	t := l.t
	t.Helper()
	bin := filepath.Join(l.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Only BusyBox on PATH, as on the handheld.
	if out, err := exec.Command(l.bb, "--install", "-s", bin).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, out)
	}
	app := filepath.Join(l.root, "mnt/mmc/MUOS/application/Pairing")
	src, err := os.ReadFile("../../muos/mux_launch.sh")
	if err != nil {
		t.Fatal(err)
	}
	l.write("mnt/mmc/MUOS/application/Pairing/mux_launch.sh", string(src), 0o755)
	l.write("mnt/mmc/MUOS/application/Pairing/pairingd.toml.example", "# example\n", 0o644)
	if pairingd == "" {
		l.write("mnt/mmc/MUOS/application/Pairing/pairingd", "#!"+l.bb+" sh\n"+stubPairingd, 0o755)
	} else if err := os.Symlink(pairingd, filepath.Join(app, "pairingd")); err != nil {
		t.Fatal(err)
	}
	funcPath := filepath.Join(l.root, "absent/func.sh")
	if l.funcSh != "" {
		funcPath = l.write("opt/muos/script/var/func.sh", l.funcSh, 0o644)
	}
	for rel, v := range l.files {
		l.write(rel, v, 0o644)
	}
	run, tmp := filepath.Join(l.root, "run/muos"), filepath.Join(l.root, "tmp")
	for _, d := range []string{run, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	calls := filepath.Join(l.root, "calls")
	cmd := exec.Command(l.bb, "sh", filepath.Join(app, "mux_launch.sh"), app)
	cmd.Dir = l.root
	cmd.Env = append([]string{
		"PATH=" + bin,
		"HOME=/nonexistent-home",
		"MUOS_FUNC=" + funcPath,
		"MUOS_RUN_DIR=" + run,
		"MUOS_TMP_DIR=" + tmp,
		"FAKE_OPT=" + filepath.Join(l.root, "opt/muos"),
		"FAKE_CALLS=" + calls,
	}, l.extraEnv...)
	out, err := cmd.CombinedOutput()
	res := launch{appDir: app, tmp: tmp, run: run, env: map[string]string{}}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("mux_launch.sh: %v\n%s", err, out)
		}
		res.status = ee.ExitCode()
	}
	if len(out) > 0 {
		t.Errorf("mux_launch.sh wrote to its output (muX shows none of it; it belongs in pairingd.log):\n%s", out)
	}
	if pairingd != "" {
		return res
	}
	b, err := os.ReadFile(filepath.Join(app, "args"))
	if err != nil {
		t.Fatalf("pairingd did not run: %v\n%s", err, out)
	}
	args := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(args) == 0 || args[0] != "run" {
		t.Fatalf("pairingd ran with %q, want run first", args)
	}
	res.args = args[1:]
	b, err = os.ReadFile(filepath.Join(app, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			res.env[k] = v
		}
	}
	if b, err := os.ReadFile(calls); err == nil {
		res.calls = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	return res
}

// check compares the parts of a run every test looks at: the rotation,
// --app, the input map and the language (none: "").
func (r launch) check(t *testing.T, rotate, inputMap, language string) {
	t.Helper()
	want := []string{"--config", r.appDir + "/pairingd.toml", "--state-dir", r.appDir + "/state",
		"--display", "fb", "--rotate", rotate, "--app"}
	if !slices.Equal(r.args, want) {
		t.Errorf("pairingd run %q\n want run %q", r.args, want)
	}
	if got := r.env["PAIRINGD_INPUT"]; got != inputMap {
		t.Errorf("PAIRINGD_INPUT = %q, want %q", got, inputMap)
	}
	if got := r.env["PAIRINGD_LANGUAGE"]; got != language {
		t.Errorf("PAIRINGD_LANGUAGE = %q, want %q", got, language)
	}
	// A FAT card holds no socket: the local API is in /run.
	if got := r.env["PAIRINGD_SOCKET"]; got != "/run/pairingd/pairingd.sock" {
		t.Errorf("PAIRINGD_SOCKET = %q, want /run/pairingd/pairingd.sock", got)
	}
	if r.env["PWD"] != r.appDir {
		t.Errorf("pairingd ran in %s, want the app's folder %s", r.env["PWD"], r.appDir)
	}
	if r.status != 3 {
		t.Errorf("the launcher exited %d, want pairingd's 3", r.status)
	}
	if _, err := os.Stat(filepath.Join(r.appDir, "state")); err != nil {
		t.Errorf("no state folder: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(r.appDir, "pairingd.toml")); err != nil || string(b) != "# example\n" {
		t.Errorf("pairingd.toml = %q (%v), want it made from the example", b, err)
	}
	log, err := os.ReadFile(filepath.Join(r.appDir, "pairingd.log"))
	if want := "mux_launch.sh: --rotate " + rotate + ", PAIRINGD_INPUT=" + inputMap + ", PAIRINGD_LANGUAGE=" + language + "\n"; err != nil || !strings.HasPrefix(string(log), want) {
		t.Errorf("pairingd.log = %q (%v), want it to start with %q", log, err, want)
	}
}

// rg28xx is an RG28XX's device configuration as current muOS keeps it
// (/opt/muos/device/config), the codes from its config.ini.
func rg28xx(l *launcher) *launcher {
	d := "opt/muos/device/config/"
	return l.set(
		d+"board/name", "rg28xx-h",
		d+"board/home", "/root",
		d+"screen/rotate", "1",
		d+"input/code/button/a", "304", d+"input/type/button/a", "1",
		d+"input/code/button/b", "305", d+"input/type/button/b", "1",
		d+"input/code/button/x", "307", d+"input/type/button/x", "1",
		d+"input/code/button/y", "306", d+"input/type/button/y", "1",
		d+"input/code/button/menu_short", "354", d+"input/type/button/menu_short", "1",
		d+"input/code/button/menu_long", "312", d+"input/type/button/menu_long", "1",
		"opt/muos/config/settings/general/language", "German",
	)
}

func TestMuxLaunchCurrentMuOS(t *testing.T) {
	l := rg28xx(newLauncher(t, fakeFuncCurrent))
	r := l.launch("")
	r.check(t, "90", "304=A&305=B&307=X&306=Y&354=MENU", "de")
	want := []string{"SETUP_APP pairingd ", "SET_DEFAULT_GOVERNOR"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("func.sh calls %q, want %q (SETUP_APP sets the app up, as muOS's own apps do)", r.calls, want)
	}
	if _, err := os.Stat(filepath.Join(r.tmp, "act_go")); err == nil {
		t.Errorf("act_go written on a muOS whose frontend returns to the menu itself")
	}
}

func TestMuxLaunchBefore2025(t *testing.T) {
	l := newLauncher(t, fakeFuncOld)
	governor := filepath.Join(l.root, "sys/scaling_governor")
	l.set(
		"sys/scaling_governor", "ondemand",
		"run/muos/device/cpu/governor", governor,
		"run/muos/device/board/name", "rgcubexx-h",
		"run/muos/device/board/home", "/root",
		"run/muos/device/screen/rotate", "2",
		// 2024's layout: input/button/*, no types.
		"run/muos/device/input/button/a", "304",
		"run/muos/device/input/button/b", "305",
		"run/muos/device/input/button/x", "307",
		"run/muos/device/input/button/y", "306",
		"run/muos/device/input/button/menu_short", "0",
		"run/muos/device/input/button/menu_long", "316",
		"run/muos/global/settings/general/language", "English",
		"tmp/gov_go", "performance",
		"tmp/con_go", "system",
	)
	r := l.launch("")
	r.check(t, "180", "304=A&305=B&307=X&306=Y&316=MENU", "en")
	if b, err := os.ReadFile(filepath.Join(r.tmp, "act_go")); err != nil || string(b) != "app\n" {
		t.Errorf("act_go = %q (%v), want app: back to the Applications menu", b, err)
	}
	if b, _ := os.ReadFile(governor); string(b) != "performance" {
		t.Errorf("scaling_governor = %q, want the app's governor performance from gov_go", b)
	}
	want := []string{"SETUP_SDL_ENVIRONMENT system", "SET_VAR system foreground_process pairingd", "SET_VAR system foreground_process "}
	if !slices.Equal(r.calls, want) {
		t.Errorf("func.sh calls %q, want %q", r.calls, want)
	}
	if r.env["HOME"] != "/root" {
		t.Errorf("HOME = %q, want the board's /root", r.env["HOME"])
	}
	for _, f := range []string{"gov_go", "con_go"} {
		if _, err := os.Stat(filepath.Join(r.tmp, f)); err == nil {
			t.Errorf("%s left behind after the app", f)
		}
	}
}

// The rotation: from GET_VAR device screen/rotate, else the pre-2025 file,
// none on HDMI, and always a quarter turn on an RG28XX's panel.
func TestMuxLaunchRotation(t *testing.T) {
	d := "opt/muos/device/config/"
	for _, tt := range []struct {
		name   string
		funcSh string
		vars   []string
		want   string
	}{
		{"current location", fakeFuncCurrent, []string{d + "screen/rotate", "3"}, "270"},
		{"degrees", fakeFuncCurrent, []string{d + "screen/rotate", "180"}, "180"},
		{"none", fakeFuncCurrent, []string{d + "screen/rotate", "0", d + "board/name", "rg35xx-plus"}, "0"},
		{"empty GET_VAR, pre-2025 file", fakeFuncCurrent, []string{"run/muos/device/screen/rotate", "1"}, "90"},
		{"current over pre-2025", fakeFuncCurrent, []string{d + "screen/rotate", "2", "run/muos/device/screen/rotate", "1"}, "180"},
		{"no func.sh, pre-2025 file", "", []string{"run/muos/device/screen/rotate", "1"}, "90"},
		{"no func.sh, nothing", "", nil, "0"},
		{"RG28XX with rotate 0", fakeFuncCurrent, []string{d + "board/name", "rg28xx-h", d + "screen/rotate", "0"}, "90"},
		{"RG28XX before 2025 with rotate 0", fakeFuncOld, []string{"run/muos/device/board/name", "rg28xx-h", "run/muos/device/screen/rotate", "0"}, "90"},
		{"RG28XX on HDMI", fakeFuncCurrent, []string{d + "board/name", "rg28xx-h", d + "screen/rotate", "1", "run/muos/hdmi_mode", ""}, "0"},
		{"console mode", fakeFuncCurrent, []string{d + "screen/rotate", "2", "opt/muos/config/boot/device_mode", "1"}, "0"},
		{"nonsense", fakeFuncCurrent, []string{d + "screen/rotate", "45"}, "0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLauncher(t, tt.funcSh).set(tt.vars...)
			r := l.launch("")
			r.check(t, tt.want, "", "")
		})
	}
}

// The input map: only the buttons the device names, with key codes; the
// modern control scheme swaps A/B and X/Y; MENU falls back to menu_long.
func TestMuxLaunchInputMap(t *testing.T) {
	d := "opt/muos/device/config/input/"
	for _, tt := range []struct {
		name string
		vars []string
		want string
	}{
		{"none", nil, ""},
		{"some", []string{d + "code/button/a", "305", d + "code/button/b", "304", d + "code/button/menu_long", "316"}, "305=A&304=B&316=MENU"},
		{"zero and junk are skipped", []string{d + "code/button/a", "0", d + "code/button/b", "30x", d + "code/button/x", "307"}, "307=X"},
		{"not a key", []string{d + "code/button/a", "17", d + "type/button/a", "3", d + "code/button/b", "305", d + "type/button/b", "1"}, "305=B"},
		{"modern swaps", []string{d + "code/button/a", "304", d + "code/button/b", "305", d + "code/button/x", "307", d + "code/button/y", "306",
			"run/muos/controller", "modern"}, "305=A&304=B&306=X&307=Y"},
		{"retro keeps", []string{d + "code/button/a", "304", d + "code/button/b", "305", "run/muos/controller", "retro"}, "304=A&305=B"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLauncher(t, fakeFuncCurrent).set(tt.vars...)
			r := l.launch("")
			r.check(t, "0", tt.want, "")
		})
	}
}

// TestMuxLaunchFlagsExist runs the launcher with the real binary and
// PAIRINGD_ARGS=--help: pairingd parses every flag the launcher passes
// before the help, so a flag it does not know fails here.
func TestMuxLaunchFlagsExist(t *testing.T) {
	needBinary(t)
	l := newLauncher(t, "")
	l.extraEnv = []string{"PAIRINGD_ARGS=--help"}
	r := l.launch(pairingdBin)
	log, _ := os.ReadFile(filepath.Join(r.appDir, "pairingd.log"))
	if r.status != 0 || !strings.Contains(string(log), "Usage: pairingd run") {
		t.Errorf("pairingd run with the launcher's flags and --help exited %d, want 0 and its usage:\n%s", r.status, log)
	}
}

// A socket set in the app's pairingd.toml is left to it: the launcher
// sets none over it.
func TestMuxLaunchSocketFromConfig(t *testing.T) {
	l := newLauncher(t, fakeFuncCurrent).set("mnt/mmc/MUOS/application/Pairing/pairingd.toml", "socket = \"/tmp/mine.sock\"\n")
	r := l.launch("")
	if got, ok := r.env["PAIRINGD_SOCKET"]; ok {
		t.Errorf("PAIRINGD_SOCKET = %q with socket set in pairingd.toml, want it unset", got)
	}
}
