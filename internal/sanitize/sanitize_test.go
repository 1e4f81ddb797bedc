package sanitize

import "testing"

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "WDJB-MJHT", 0, "WDJB-MJHT"},
		{"escape sequence", "ABCD\x1b[2J\x1b]0;pwned\x07-EFGH", 0, "ABCD[2J]0;pwned-EFGH"},
		{"C1 CSI", "AB\u009b31mCD", 0, "AB31mCD"},
		{"bidi override", "https://evil.example/\u202egpj.exe", 0, "https://evil.example/gpj.exe"},
		{"newlines collapse", "line one\r\n\tline two  ", 0, "line one line two"},
		{"leading space dropped", "  x", 0, "x"},
		{"invalid utf8", "a\xffb", 0, "ab"},
		{"cut", "abcdefghij", 5, "abcd…"},
		{"exact fits", "abcde", 5, "abcde"},
		{"unicode kept", "Gerät gekoppelt ✓", 0, "Gerät gekoppelt ✓"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in, tt.max); got != tt.want {
				t.Errorf("Line(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}
