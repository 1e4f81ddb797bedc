package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// bidiControls are the characters that reorder text on screen: embeddings,
// overrides, isolates and marks.
const bidiControls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

// FuzzLine checks what Line promises for any input: one line of printable
// valid UTF-8, no bidi controls, at most max runes, and nothing left to
// clean when it runs again.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"WDJB-MJHT", "ABCD\x1b[2J\x1b]0;pwned\x07-EFGH", "AB\u009b31mCD",
		"https://evil.example/\u202egpj.exe", "line one\r\n\tline two  ", "a\xffb", "Gerät gekoppelt ✓",
		"\u2066x\u2069 \u200b\ufeff", "abc defg", strings.Repeat("é ", 200)} {
		f.Add(s, 0)
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1000 // a cut longer than any input says nothing more
		got := Line(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("Line(%q, %d) = %q: invalid UTF-8", s, max, got)
		}
		for _, r := range got {
			if r != ' ' && unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(bidiControls, r) {
				t.Fatalf("Line(%q, %d) = %q holds %U", s, max, got, r)
			}
		}
		if strings.HasPrefix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Line(%q, %d) = %q: white space not collapsed", s, max, got)
		}
		if n := utf8.RuneCountInString(got); max > 0 && n > max {
			t.Fatalf("Line(%q, %d) = %q: %d runes", s, max, got, n)
		}
		if again := Line(got, max); again != got {
			t.Fatalf("Line(Line(%q, %d)) = %q, not %q", s, max, again, got)
		}
	})
}
