package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// In a network namespace of its own with loopback down, the daemon says
// that no network interface is up; when loopback comes up (the server
// already listening) a code is on screen within 2 s, whatever backoff
// was running: the kernel's netlink message wakes it.
func TestNetworkAppears(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed (.ci/run installs util-linux and iproute2): %v", tool, err)
			}
			t.Skip(tool + " not installed")
		}
	}
	dir := t.TempDir()
	server := filepath.Join(dir, "devauthserver")
	build := exec.Command("go", "build", "-trimpath", "-tags="+buildTags, "-o", server, "../devauthserver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build devauthserver: %v\n%s", err, out)
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	// The server listens on the wildcard address, which needs no
	// interface; the namespace has only loopback, so nothing outside
	// reaches it.
	script := `set -e
d=` + q(dir) + `
ip link set lo down
` + q(server) + ` --listen 0.0.0.0:8080 --issuer http://127.0.0.1:8080 --interval 1s >"$d/server.log" 2>&1 &
server=$!
` + q(pairingdBin) + ` run --state-dir "$d/state" --display plain --issuer http://127.0.0.1:8080 --client-id netns-test >"$d/out" 2>"$d/err" &
daemon=$!
# Both stop with the script, however it ends: a server left behind would
# outlive the test in its namespace.
trap 'kill $daemon $server 2>/dev/null; wait' EXIT
i=0
until grep -q 'no network interface is up' "$d/out"; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "no 'no network' screen"; exit 1; }
	sleep 0.05
done
# Let a backoff build: two failed tries.
sleep 12
ip link set lo up
date +%s%N >"$d/up"
i=0
until grep -q '^Code: ' "$d/out"; do
	i=$((i + 1)); [ $i -lt 400 ] || break
	sleep 0.01
done
date +%s%N >"$d/code"
`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	if err != nil {
		t.Fatalf("the namespace script: %v\n%s\nstdout:\n%s\nlog:\n%s", err, out, read("out"), read("err"))
	}
	up, _ := strconv.ParseInt(strings.TrimSpace(read("up")), 10, 64)
	code, _ := strconv.ParseInt(strings.TrimSpace(read("code")), 10, 64)
	took := time.Duration(code - up)
	t.Logf("a code %v after loopback came up", took.Round(time.Millisecond))
	if !strings.Contains(read("out"), "Code: ") {
		t.Fatalf("no code after loopback came up:\nstdout:\n%s\nlog:\n%s", read("out"), read("err"))
	}
	if took > 2*time.Second {
		t.Errorf("a code %v after loopback came up, want within 2 s\nlog:\n%s", took, read("err"))
	}
	if !strings.Contains(read("err"), "the network changed; retrying now") {
		t.Errorf("the log does not say the network change woke the retry:\n%s", read("err"))
	}
}
