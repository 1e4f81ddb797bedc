package logs

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// journalStream returns JOURNAL_STREAM's value for f.
func journalStream(t *testing.T, f *os.File) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return strings.Join([]string{uintStr(uint64(st.Dev)), uintStr(st.Ino)}, ":")
}

func uintStr(v uint64) string { return strconv.FormatUint(v, 10) }

func TestOutputs(t *testing.T) {
	for _, tt := range []struct {
		name    string
		format  string
		journal string // "self", "other" or ""
		want    []string
		notWant []string
	}{
		{"text with timestamps", "text", "", []string{"time=", "level=INFO msg=hello n=1", "level=WARN msg=careful"}, []string{"<6>"}},
		{"json", "json", "", []string{`"time":`, `"msg":"hello"`}, []string{"<6>"}},
		{"journal text", "text", "self", []string{"<6>msg=hello n=1\n", "<4>msg=careful\n", "<3>msg=broken\n", "<7>msg=details\n"}, []string{"time=", "level="}},
		{"journal json", "json", "self", []string{`<6>{"msg":"hello","n":1}` + "\n"}, []string{`"time"`}},
		{"journal stream of another file", "text", "other", []string{"time=", "level=INFO msg=hello"}, []string{"<6>"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var env []string
			switch tt.journal {
			case "self":
				env = []string{"JOURNAL_STREAM=" + journalStream(t, f)}
			case "other":
				env = []string{"JOURNAL_STREAM=" + journalStream(t, os.Stdin)}
			}
			l, err := New(f, Options{Level: slog.LevelDebug, Format: tt.format, Environ: env})
			if err != nil {
				t.Fatal(err)
			}
			l.Info("hello", "n", 1)
			l.Warn("careful")
			l.Error("broken")
			l.Debug("details")
			b, _ := os.ReadFile(f.Name())
			got := string(b)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%s", w, got)
				}
			}
		})
	}
}
