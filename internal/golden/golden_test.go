package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// A fake testing.TB that records failures instead of stopping the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Fatal(...any)          { r.failed = true; panic(r) }
func run(r *recorder, f func()) (failed bool) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failed = r.failed
	}()
	f()
	return r.failed
}

func TestText(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "x.golden"), []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file, got string
		update, fail    bool
	}{
		{"equal", "x.golden", "same\n", false, false},
		{"differs", "x.golden", "other\n", false, true},
		{"missing", "none.golden", "same\n", false, true},
		{"update writes", "new/y.golden", "fresh\n", true, false},
	} {
		*update = tt.update
		r := &recorder{TB: t}
		if got := run(r, func() { Text(r, tt.file, tt.got) }); got != tt.fail {
			t.Errorf("%s: failed = %v, want %v", tt.name, got, tt.fail)
		}
	}
	*update = false
	if b, err := os.ReadFile(filepath.Join("testdata", "new", "y.golden")); err != nil || string(b) != "fresh\n" {
		t.Errorf("-update wrote %q, %v; want the output", b, err)
	}
}
