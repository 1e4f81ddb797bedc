package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages that pkg depends on when built with the release
// tags (buildTags), tests left out.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-test=false", "-tags="+buildTags, pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	m := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		m[p] = true
	}
	return m
}

// hasDep reports the first package of deps that is bad or below it.
func hasDep(deps map[string]bool, bad string) (string, bool) {
	for p := range deps {
		if p == bad || strings.HasPrefix(p, bad+"/") {
			return p, true
		}
	}
	return "", false
}

// The binary carries nothing it does not need, and the layers below it stay
// apart.
func TestDepsOfBinary(t *testing.T) {
	t.Parallel()
	bin := deps(t, ".")
	if !bin["github.com/pairingd/pairingd/pairing"] {
		t.Fatalf("go list -deps lists no github.com/pairingd/pairingd/pairing")
	}
	for _, ban := range []struct{ pkg, why string }{
		{"github.com/pairingd/pairingd/internal/devauth", "the development server must not ship: anyone who reaches it approves any device"},
		{"github.com/pairingd/pairingd/internal/logtest", "a test helper"},
		{"github.com/pairingd/pairingd/internal/manpage", "the man page generator is a build tool (make man, make deb)"},
		{"github.com/makiuchi-d/gozxing", "the QR decoder is for tests; the binary only encodes"},
		{"testing", "test code in the binary"},
		{"net/http/pprof", "a debug endpoint that would serve the process's memory"},
		{"regexp", "200 KB of a 9 MiB budget; the code has no pattern that needs it"},
	} {
		if p, ok := hasDep(bin, ban.pkg); ok {
			t.Errorf("the pairingd binary depends on %s: %s", p, ban.why)
		}
	}
	for _, layer := range []struct{ pkg, ban, why string }{
		{"github.com/pairingd/pairingd/pairing", "github.com/mattn/go-sqlite3", "the loop uses the store interface, not cgo SQLite"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/pairingd/pairingd/store", "the wire layer knows no store"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/pairingd/pairingd/display", "the wire layer knows no screen"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/pairingd/pairingd/pairing/oauth/oauthtest", "the fake server is for tests"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/mattn/go-sqlite3", "the wire layer links no cgo"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/gdamore/tcell/v2", "the wire layer knows no terminal"},
		{"github.com/pairingd/pairingd/pairing/oauth", "github.com/skip2/go-qrcode", "the wire layer draws nothing"},
		{"github.com/pairingd/pairingd/store", "github.com/mattn/go-sqlite3", "store is the types and the interface"},
		{"github.com/pairingd/pairingd/localapi", "github.com/pairingd/pairingd/store", "the local API's server and client know no store: a Backend answers"},
		{"github.com/pairingd/pairingd/localapi", "github.com/pairingd/pairingd/pairing", "the local API knows no protocol"},
		{"github.com/pairingd/pairingd/localapi", "github.com/pairingd/pairingd/display", "the local API knows no screen"},
		{"github.com/pairingd/pairingd/store", "github.com/pairingd/pairingd/pairing", "the store knows no protocol"},
		{"github.com/pairingd/pairingd/pairing", "github.com/skip2/go-qrcode", "the loop says what to show; only the displays draw QR codes (display/qr)"},
		{"github.com/pairingd/pairingd/display", "github.com/skip2/go-qrcode", "the screen model and the interface; QR encoding is display/qr's"},
		{"github.com/pairingd/pairingd/display", "github.com/pairingd/pairingd/pairing", "the screen model knows no daemon states; pairing decides what each shows"},
	} {
		if p, ok := hasDep(deps(t, layer.pkg), layer.ban); ok {
			t.Errorf("%s depends on %s: %s", layer.pkg, p, layer.why)
		}
	}

	r := pairingd(t, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "pairingd ") {
		t.Errorf("pairingd version: exit %d, stdout %q, want 0 and a line starting with \"pairingd \"", r.code, r.stdout)
	}
}
