package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pairingd/pairingd/internal/devauth"
)

// The disk fills while the daemon refreshes tokens that rotate: the commit
// fails (SQLite's "database or disk is full"), the daemon keeps the rotated
// tokens in memory and retries, and once there is room again it commits
// them, and the next refresh, with the rotated token, is accepted. A real
// tmpfs with a size limit is the state directory.
func TestDiskFullDuringRefresh(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })

	as := startAuthServer(t, devauth.Options{TokenTTL: 2 * time.Second}, nil)
	d := startDaemon(t, dir, as.issuer)
	_, code := d.waitCode(0)
	decide(t, as.issuer, code, "approve")
	waitStatus(t, dir, "paired")
	waitStderr(t, d, regexp.MustCompile(`token refreshed`), 0)

	// Fill the file system to the last byte.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	f.Close()
	// A refresh or two on the full disk (they come every 5 s).
	time.Sleep(8 * time.Second)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// The retry commits, and the refreshes after it present the rotated
	// token.
	time.Sleep(12 * time.Second)
	out := d.stderr.String()
	if strings.Contains(out, "the grant is gone") || strings.Contains(out, "invalid_grant") {
		t.Errorf("the rotated refresh token was lost:\n%s", out)
	}
	if s, _ := statusJSONOf(t, dir); s.State != "paired" {
		t.Errorf("state %s after the disk was full, want paired", s.State)
	}
	// The disk was full for a commit, and refreshes went on after it.
	failed := waitStderr(t, d, regexp.MustCompile(`saving the refreshed tokens`), 0)
	waitStderr(t, d, regexp.MustCompile(`token refreshed`), failed)
}

// waitStderr waits for a stderr line at index from or later matching re,
// and returns its index.
func waitStderr(t *testing.T, d *daemon, re *regexp.Regexp, from int) int {
	t.Helper()
	i, _, _ := waitLine(t, d, d.stderr, from, re, waitTimeout)
	return i
}
