// Package sanitize makes strings from a server safe to put on a screen or in
// a log line. A hostile or broken server controls user codes, URLs and error
// descriptions; on a terminal an escape sequence in one of them could move
// the cursor, change the title or worse, and a bidi override could make a
// URL read differently from what it is.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s as one line of printable text of at most max runes:
// invalid UTF-8, control characters (C0, DEL, C1, which include ESC and
// CSI) and Unicode format characters (bidi overrides, zero-width joiners)
// are dropped, and any run of white space becomes one space. A cut string
// ends in "…". max <= 0 means no limit.
func Line(s string, max int) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		case !unicode.IsPrint(r) && !unicode.IsGraphic(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return cut(b.String(), max)
}

// cut shortens s to max runes, the last being "…".
func cut(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	rs := []rune(s)
	if max == 1 {
		return "…"
	}
	return string(rs[:max-1]) + "…"
}
