package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs one command in-process and returns its exit code and stderr.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), args, env{stdout: &stdout, stderr: &stderr})
	return code, stderr.String()
}

// A bad config or flag is exit 2 and leaves nothing behind: no state
// directory, no PNG.
func TestUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not-a-ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	server := []string{"--issuer", "http://127.0.0.1:1", "--client-id", "cli-test", "--display", "plain"}
	for _, tt := range []struct {
		name    string
		args    []string
		created string // must not exist afterwards
		want    []string
	}{
		{"missing ca_file", append([]string{"run", "--state-dir", filepath.Join(dir, "s1"), "--ca-file", filepath.Join(dir, "missing.pem")}, server...),
			filepath.Join(dir, "s1"), []string{"ca_file", "missing.pem"}},
		{"ca_file without certificates", append([]string{"run", "--state-dir", filepath.Join(dir, "s2"), "--ca-file", notPEM}, server...),
			filepath.Join(dir, "s2"), []string{"ca_file", "not-a-ca.pem"}},
		{"render --bpp 7", []string{"render", "--png", filepath.Join(dir, "a.png"), "--bpp", "7"},
			filepath.Join(dir, "a.png"), []string{"--bpp 7"}},
		{"render --bpp 8", []string{"render", "--png", filepath.Join(dir, "b.png"), "--bpp", "8"},
			filepath.Join(dir, "b.png"), []string{"--bpp 8"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("pairingd %q: exit %d, want %d; stderr: %s", tt.args, code, exitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if _, err := os.Stat(tt.created); !os.IsNotExist(err) {
				t.Errorf("%s exists after a usage error (stat: %v)", tt.created, err)
			}
		})
	}
}
