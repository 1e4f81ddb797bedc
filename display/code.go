package display

import (
	"strings"
	"unicode/utf8"
)

// GroupCode is a user code as a screen shows it: in groups of four, which
// read and type more easily than a run of letters. A code that has a dash
// or a space already ("WDJB-MJHT", RFC 8628's example) is grouped as its
// server chose and comes back as it is, and so does one shorter than
// eight characters; a longer one gets a space after every fourth
// character ("WDJBMJHT" becomes "WDJB MJHT").
func GroupCode(code string) string {
	if utf8.RuneCountInString(code) < 8 || strings.ContainsAny(code, "- ") {
		return code
	}
	var b strings.Builder
	n := 0
	for _, r := range code {
		if n > 0 && n%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
