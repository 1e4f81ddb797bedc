package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// marker is the planted secret of the fuzz corpus.
const marker = "s3cr3t-MARKER"

// fragments are the pieces of marker, four bytes or longer: an error
// that shows the first characters of a secret shows one of them.
var fragments = func() []string {
	var fs []string
	for n := len(marker); n >= 4; n-- {
		for i := 0; i+n <= len(marker); i++ {
			fs = append(fs, marker[i:i+n])
		}
	}
	return fs
}()

// FuzzLoad loads arbitrary config files: Load must never panic, and its
// error must never show any piece of the marker when the marker is only
// in values. The corpus in testdata/fuzz/FuzzLoad plants it as
// client_secret and as auth_params values in many spellings, and holds
// the README's examples.
func FuzzLoad(f *testing.F) {
	// The corpus files hold the README's examples as they were; these
	// keep the current ones in it.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		f.Fatal(err)
	}
	for _, blk := range strings.Split(string(readme), "```toml\n")[1:] {
		text, _, _ := strings.Cut(blk, "```")
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "pairingd.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, nil, nil)
		if err == nil || !hasFragment(string(data)) || mayShowMarker(string(data)) {
			return
		}
		if msg := strings.ReplaceAll(err.Error(), path, "{file}"); hasFragment(msg) {
			t.Errorf("Load(%q) = %v, which shows part of %s", data, err, marker)
		}
	})
}

// hasFragment reports whether s holds a piece of the marker.
func hasFragment(s string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// quotingKeys are the keys whose errors quote the bad value, so that a
// typo in "display = \"vga\"" is easy to spot; none of them is secret.
var quotingKeys = map[string]bool{
	"profile": true, "display": true, "client_auth_method": true, "rotate": true,
	"denied_cooldown": true, "insecure_skip_verify": true, "app": true,
	"log_level": true, "log_format": true, "log_output": true,
}

// keyFragment matches a piece of the marker where it may be (part of) a
// key or a table name, which errors may show. It is loose on purpose: a
// false match only skips the check for that input.
var keyFragment = regexp.MustCompile(`(?m)(?:` + strings.Join(fragments, "|") + `)[^"'\n=.]*["']?[ \t]*[.=]|^[ \t]*\[.*(?:` + strings.Join(fragments, "|") + `)`)

// mayShowMarker reports whether an error for data may rightly show a
// piece of the marker: because it is in a key, or in the value of a key
// whose errors quote their values.
func mayShowMarker(data string) bool {
	var raw map[string]any
	if _, err := toml.Decode(trimBOMs(data), &raw); err != nil {
		// Syntax errors never show a value, but may show a key.
		return keyFragment.MatchString(data)
	}
	for k, v := range raw {
		if hasFragment(k) || quotingKeys[k] && hasFragment(stringOf(v)) || fragmentInKeys(v) {
			return true
		}
	}
	return false
}

// fragmentInKeys reports whether a decoded value holds a table with a
// piece of the marker in a key, at any depth.
func fragmentInKeys(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if hasFragment(k) || fragmentInKeys(e) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range v {
			if fragmentInKeys(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if fragmentInKeys(e) {
				return true
			}
		}
	}
	return false
}

// stringOf is v when it is a string, else "".
func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
