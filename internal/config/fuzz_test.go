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

// FuzzLoad loads arbitrary config files: Load must never panic, and its
// error must never show the marker when the marker is only in values.
// The corpus in testdata/fuzz/FuzzLoad plants it as client_secret and as
// auth_params values in many spellings, and holds the README's examples.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "pairingd.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, nil, nil)
		if err == nil || !strings.Contains(err.Error(), marker) || mayShowMarker(string(data)) {
			return
		}
		t.Errorf("Load(%q) = %v, which shows %s", data, err, marker)
	})
}

// quotingKeys are the keys whose errors quote the bad value, so that a
// typo in "display = \"vga\"" is easy to spot; none of them is secret.
var quotingKeys = map[string]bool{
	"profile": true, "display": true, "client_auth_method": true, "rotate": true,
	"denied_cooldown": true, "insecure_skip_verify": true,
	"log_level": true, "log_format": true, "log_output": true,
}

// keyMarker matches the marker where it may be (part of) a key or a table
// name, which errors may show. It is loose on purpose: a false match only
// skips the check for that input.
var keyMarker = regexp.MustCompile(`(?m)` + marker + `[^"'\n=.]*["']?[ \t]*[.=]|^[ \t]*\[.*` + marker)

// mayShowMarker reports whether an error for data may rightly show the
// marker: because it is (part of) a key, or the value of a key whose
// errors quote their values.
func mayShowMarker(data string) bool {
	var raw map[string]any
	if _, err := toml.Decode(trimBOMs(data), &raw); err != nil {
		// Syntax errors never show a value, but may show a key.
		return keyMarker.MatchString(data)
	}
	for k, v := range raw {
		if strings.Contains(k, marker) || quotingKeys[k] && strings.Contains(stringOf(v), marker) {
			return true
		}
		if markerInKeys(v) {
			return true
		}
	}
	return false
}

// markerInKeys reports whether a decoded value holds a table with the
// marker in a key, at any depth.
func markerInKeys(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, marker) || markerInKeys(e) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range v {
			if markerInKeys(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if markerInKeys(e) {
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
