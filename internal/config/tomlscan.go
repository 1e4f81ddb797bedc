package config

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// valueSpan is where one key's value lies in a config file's text, so that
// a TOML syntax error can be told apart as being in a value (which may be
// a secret and must not be shown) or in a key or table name (which may).
type valueSpan struct {
	// start and end are byte offsets, end excluded. A top-level value runs
	// from just after its "=" to the end of the line the value ends on,
	// since the parser's complaint about text after a value quotes that
	// text too.
	start, end int
	// key is the dotted key with its table, as written ("auth_params.audience").
	key string
	// name is the key's last part, as written.
	name string
	// quoted says the value starts with a quote, so the fix is in its
	// quoting rather than in adding quotes.
	quoted bool
}

// tomlScan finds the values in TOML text. It is not a parser: it follows
// the text only as far as needed to know where each value begins and
// ends, and it never fails. Text it cannot make sense of after an "="
// counts as value: an unterminated string or array runs to the end of the
// text, so that guessing wrong hides too much rather than too little.
type tomlScan struct {
	src    string
	pos    int
	values []valueSpan
	// keys are the keys of inline tables, up to and including their "=",
	// which lie inside the value span of the table.
	keys [][2]int
	// depth is how deep in arrays and inline tables s.pos is.
	depth int
	// tooDeep is the offset where nesting first went past maxNesting, -1
	// when it never did; scanning stops there.
	tooDeep int
}

// maxNesting bounds the parts of a dotted key or table name and the
// nesting of arrays and inline tables. pairingd needs two
// (auth_params.audience); the parser takes minutes over a 64 KiB key of
// thousands of parts.
const maxNesting = 16

// nest reports whether levels, at s.pos, is within maxNesting; when not,
// it records where and stops the scan.
func (s *tomlScan) nest(levels int) bool {
	if levels <= maxNesting {
		return true
	}
	if s.tooDeep < 0 {
		s.tooDeep = s.pos
	}
	s.pos = len(s.src)
	return false
}

// scanTOML finds the values in src.
func scanTOML(src string) *tomlScan {
	s := &tomlScan{src: src, tooDeep: -1}
	table := ""
	for s.pos < len(src) {
		switch src[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		case '#':
			s.skipLine()
		case '[':
			table = s.header()
			s.skipLine()
		default:
			parts, ok := s.key()
			if !ok {
				s.skipLine()
				continue
			}
			s.pos++ // the "="
			i := s.addValue(join(table, parts...), parts[len(parts)-1])
			s.value(s.values[i].key)
			s.skipLine()
			s.values[i].end = s.pos
		}
	}
	return s
}

// valueAt returns the innermost value span that holds byte offset off,
// and false when off is in a key, a table name, a comment or blank space.
func (s *tomlScan) valueAt(off int) (valueSpan, bool) {
	for _, k := range s.keys {
		if off >= k[0] && off < k[1] {
			return valueSpan{}, false
		}
	}
	var best valueSpan
	found := false
	for _, v := range s.values {
		if off >= v.start && off < v.end && (!found || v.end-v.start < best.end-best.start) {
			best, found = v, true
		}
	}
	return best, found
}

// addValue starts a value span at s.pos and returns its index; the caller
// sets its end.
func (s *tomlScan) addValue(key, name string) int {
	v := valueSpan{start: s.pos, end: len(s.src), key: key, name: name}
	rest := strings.TrimLeft(s.src[s.pos:], " \t")
	v.quoted = strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, "'")
	s.values = append(s.values, v)
	return len(s.values) - 1
}

func join(table string, parts ...string) string {
	k := strings.Join(parts, ".")
	if table == "" {
		return k
	}
	return table + "." + k
}

// value skips one value. key names it, for the values of inline tables
// inside it.
func (s *tomlScan) value(key string) {
	s.blanks()
	rest := s.src[s.pos:]
	switch {
	case rest == "":
	case strings.HasPrefix(rest, `"""`):
		s.multiline(`"""`, true)
	case strings.HasPrefix(rest, `'''`):
		s.multiline(`'''`, false)
	case rest[0] == '"':
		s.str('"', true)
	case rest[0] == '\'':
		s.str('\'', false)
	case rest[0] == '[':
		s.array(key)
	case rest[0] == '{':
		s.inlineTable(key)
	default:
		// A number, boolean or date; or a mistake such as an unquoted
		// string.
		for s.pos < len(s.src) && strings.IndexByte(" \t\r\n,]}#", s.src[s.pos]) < 0 {
			s.pos++
		}
	}
}

// str skips a one-line string that starts at s.pos with quote q; an
// unterminated one ends before the newline.
func (s *tomlScan) str(q byte, escapes bool) {
	s.pos++
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; {
		case c == '\n':
			return
		case c == q:
			s.pos++
			return
		case c == '\\' && escapes:
			s.pos += 2
		default:
			s.pos++
		}
	}
	s.pos = min(s.pos, len(s.src))
}

// multiline skips a multi-line string that starts at s.pos with delim.
func (s *tomlScan) multiline(delim string, escapes bool) {
	s.pos += len(delim)
	for s.pos < len(s.src) {
		if escapes && s.src[s.pos] == '\\' {
			s.pos += 2
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			s.pos += len(delim)
			// Up to two quotes just before the closing ones belong to
			// the string, which is the same as taking them after.
			for n := 0; n < 2 && s.pos < len(s.src) && s.src[s.pos] == delim[0]; n++ {
				s.pos++
			}
			return
		}
		s.pos++
	}
	s.pos = min(s.pos, len(s.src))
}

// array skips an array that starts at s.pos; it may span lines.
func (s *tomlScan) array(key string) {
	if s.depth++; !s.nest(s.depth) {
		return
	}
	defer func() { s.depth-- }()
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\r', '\n', ',':
			s.pos++
		case '#':
			s.skipLine()
		case ']':
			s.pos++
			return
		default:
			p := s.pos
			s.value(key)
			if s.pos == p {
				s.pos++
			}
		}
	}
}

// inlineTable skips an inline table that starts at s.pos, recording the
// keys and values in it.
func (s *tomlScan) inlineTable(key string) {
	if s.depth++; !s.nest(s.depth) {
		return
	}
	defer func() { s.depth-- }()
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\r', '\n', ',':
			s.pos++
		case '#':
			s.skipLine()
		case '}':
			s.pos++
			return
		default:
			p := s.pos
			parts, ok := s.key()
			if !ok {
				if s.pos == p {
					s.pos++
				}
				continue
			}
			s.keys = append(s.keys, [2]int{p, s.pos + 1})
			s.pos++ // the "="
			i := s.addValue(join(key, parts...), parts[len(parts)-1])
			s.value(s.values[i].key)
			s.values[i].end = s.pos
		}
	}
}

// key reads a key, dotted or not, up to its "=", where it leaves s.pos;
// it returns the key's parts as written. ok is false when what follows is
// not a key and an "=" on the same line.
func (s *tomlScan) key() (parts []string, ok bool) {
	for {
		p, ok := s.keyPart()
		if !ok {
			return nil, false
		}
		parts = append(parts, p)
		if !s.nest(len(parts)) {
			return nil, false
		}
		s.blanks()
		if s.pos >= len(s.src) {
			return nil, false
		}
		switch s.src[s.pos] {
		case '.':
			s.pos++
		case '=':
			return parts, true
		default:
			return nil, false
		}
	}
}

// keyPart reads one part of a key or table name, bare or quoted.
func (s *tomlScan) keyPart() (string, bool) {
	s.blanks()
	start := s.pos
	if s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '"':
			s.str('"', true)
		case '\'':
			s.str('\'', false)
		default:
			for s.pos < len(s.src) && strings.IndexByte(" \t\r\n=.#\"'[]{},", s.src[s.pos]) < 0 {
				s.pos++
			}
		}
	}
	return s.src[start:s.pos], s.pos > start
}

// header reads a [table] or [[array of tables]] name.
func (s *tomlScan) header() string {
	s.pos++
	if s.pos < len(s.src) && s.src[s.pos] == '[' {
		s.pos++
	}
	var parts []string
	for {
		p, ok := s.keyPart()
		if !ok {
			break
		}
		parts = append(parts, p)
		if !s.nest(len(parts)) {
			break
		}
		s.blanks()
		if s.pos >= len(s.src) || s.src[s.pos] != '.' {
			break
		}
		s.pos++
	}
	return strings.Join(parts, ".")
}

func (s *tomlScan) blanks() {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// skipLine moves past the end of the line.
func (s *tomlScan) skipLine() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i + 1
		return
	}
	s.pos = len(s.src)
}

// printable returns a key as written, quoted as a Go string when it holds
// anything that would not print plainly in a log line.
func printable(k string) string {
	if !utf8.ValidString(k) || strings.ContainsFunc(k, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(k)
	}
	return k
}
