// Package golden keeps expected test output in files under testdata: a
// test compares what it got with the file, and `go test -update` rewrites
// the files instead, for a change that is meant. Only tests import it.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// File returns the contents of testdata/name, the expected output. With
// -update it first writes got there (making testdata when needed), so the
// comparison that follows passes. For output compared in a way of its own
// (decoded images); Text compares text.
func File(t testing.TB, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (go test -update creates it): %v", err)
	}
	return want
}

// Text fails the test when got differs from testdata/name, showing both;
// with -update it rewrites the file.
func Text(t testing.TB, name, got string) {
	t.Helper()
	if want := string(File(t, name, []byte(got))); got != want {
		t.Errorf("output differs from testdata/%s (go test -update rewrites it if the change is meant)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
