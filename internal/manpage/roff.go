package manpage

import (
	"fmt"
	"strings"
	"unicode"
)

// glyphs are roff's names for the characters the README uses that have
// one; any other non-ASCII character is written \[uXXXX]. Either way the
// pages are ASCII, so they read the same whatever encoding man assumes.
var glyphs = map[rune]string{
	'—': `\(em`,
	'–': `\(en`,
	'→': `\(->`,
	'←': `\(<-`,
	'≥': `\(>=`,
	'≤': `\(<=`,
	'×': `\(mu`,
	'°': `\(de`,
	'§': `\(sc`,
	'µ': `\(mc`,
	'“': `\(lq`,
	'”': `\(rq`,
	'‘': `\(oq`,
	'’': `\(cq`,
	'…': `\[u2026]`,
}

// char writes one character of text. In code (literal) a hyphen is a
// minus, so --json can be copied from the page, and the quote, accent,
// caret and tilde are the ASCII ones, which groff would otherwise make
// typographic; in prose only the hyphens of an option (a word that starts
// with one) are minus signs.
func char(b *strings.Builder, r rune, literal, option bool) {
	switch {
	case r == '\\':
		b.WriteString(`\e`)
	case r == '-' && (literal || option):
		b.WriteString(`\-`)
	case literal && r == '\'':
		b.WriteString(`\(aq`)
	case literal && r == '`':
		b.WriteString(`\(ga`)
	case literal && r == '^':
		b.WriteString(`\(ha`)
	case literal && r == '~':
		b.WriteString(`\(ti`)
	case r == '\t':
		b.WriteByte(' ')
	case r < 0x80:
		b.WriteRune(r)
	case glyphs[r] != "":
		b.WriteString(glyphs[r])
	default:
		fmt.Fprintf(b, `\[u%04X]`, r)
	}
}

// literal is text to be shown as it is, like a code block's line.
func literal(s string) string {
	var b strings.Builder
	for _, r := range s {
		char(&b, r, true, false)
	}
	return b.String()
}

// unhyphenated is code for running text: literal, each word after \%, so
// that groff never hyphenates a path, an option or a key at a line's end
// (/var/lib/pair- ingd); it still breaks the line between words.
func unhyphenated(code string) string {
	words := strings.Split(code, " ")
	for i, w := range words {
		if w != "" {
			words[i] = `\%` + literal(w)
		}
	}
	return strings.Join(words, " ")
}

// fonts writes font changes that nest: **bold with `code`** returns to
// bold after the code, and to roman after the bold.
type fonts []byte

func (f *fonts) open(b *strings.Builder, font byte) {
	*f = append(*f, font)
	b.WriteString(`\f` + string(font))
}

func (f *fonts) close(b *strings.Builder) {
	*f = (*f)[:len(*f)-1]
	font := byte('R')
	if len(*f) > 0 {
		font = (*f)[len(*f)-1]
	}
	b.WriteString(`\f` + string(font))
}

// Inline converts one paragraph's or table cell's Markdown into roff
// text: code spans and **bold** in bold, *emphasis* in italics, links as
// their text (and the address, when it is a web one: a file of the
// repository means nothing on an installed system), backslash escapes as
// the character. Markup that is not closed is an error, so a typo in the
// README does not run bold to the end of the page.
func Inline(md string) (string, error) {
	var b strings.Builder
	var f fonts
	rs := []rune(md)
	option := false // within a word that starts with a hyphen
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == ' ' {
			option = false
		} else if r == '-' && (i == 0 || rs[i-1] == ' ' || rs[i-1] == '(') {
			option = true
		}
		switch {
		case r == '`':
			// A code span ends at the same number of backticks.
			n := run(rs, i, '`')
			end := indexRun(rs, i+n, '`', n)
			if end < 0 {
				return "", fmt.Errorf("code span at %q is not closed", excerpt(rs, i))
			}
			f.open(&b, 'B')
			b.WriteString(unhyphenated(strings.TrimSpace(string(rs[i+n : end]))))
			f.close(&b)
			i = end + n - 1
		case r == '*' && i+1 < len(rs) && rs[i+1] == '*':
			if len(f) > 0 && f[len(f)-1] == 'B' && closes(rs, i) {
				f.close(&b)
			} else if opens(rs, i+1) {
				f.open(&b, 'B')
			} else {
				return "", fmt.Errorf("** at %q opens or closes nothing", excerpt(rs, i))
			}
			i++
		case r == '*':
			if len(f) > 0 && f[len(f)-1] == 'I' && closes(rs, i) {
				f.close(&b)
			} else if opens(rs, i) && strings.ContainsRune(string(rs[i+1:]), '*') {
				f.open(&b, 'I')
			} else {
				char(&b, r, false, option)
			}
		case r == '[' || (r == '!' && i+1 < len(rs) && rs[i+1] == '['):
			text, url, next, ok := link(rs, i)
			if !ok {
				char(&b, r, false, option)
				continue
			}
			t, err := Inline(text)
			if err != nil {
				return "", err
			}
			b.WriteString(t)
			if strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://") {
				// \% keeps groff from hyphenating the address.
				b.WriteString(` \(la\%` + literal(url) + `\(ra`)
			}
			i = next - 1
		case r == '\\' && i+1 < len(rs) && strings.ContainsRune(escapable, rs[i+1]):
			i++
			char(&b, rs[i], false, option)
		default:
			char(&b, r, false, option)
		}
	}
	if len(f) > 0 {
		return "", fmt.Errorf("%q: ** or * is not closed", md)
	}
	return wordStart(b.String()), nil
}

// wordStart moves the \% of code to the start of its word, after the font
// changes that print nothing: groff leaves a word alone when \% starts
// it, but hyphenates it there when the \% stands inside, as after the
// parenthesis of "(`PAIRINGD_CLIENT_ID`)".
func wordStart(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if !strings.Contains(w, `\%`) {
			continue
		}
		w = strings.ReplaceAll(w, `\%`, "")
		n := 0
		for len(w) >= n+3 && w[n:n+2] == `\f` {
			n += 3
		}
		words[i] = w[:n] + `\%` + w[n:]
	}
	return strings.Join(words, " ")
}

// escapable are the characters a backslash escapes in Markdown: the
// ASCII punctuation.
const escapable = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// run counts the runes r from i on.
func run(rs []rune, i int, r rune) int {
	n := 0
	for i+n < len(rs) && rs[i+n] == r {
		n++
	}
	return n
}

// indexRun finds exactly n runes r in a row from i on, or -1.
func indexRun(rs []rune, i int, r rune, n int) int {
	for i < len(rs) {
		if rs[i] != r {
			i++
			continue
		}
		if m := run(rs, i, r); m == n {
			return i
		} else {
			i += m
		}
	}
	return -1
}

// opens reports whether the * at i can open emphasis: text follows it.
func opens(rs []rune, i int) bool {
	return i+1 < len(rs) && !unicode.IsSpace(rs[i+1])
}

// closes reports whether the * at i can close emphasis: text precedes it.
func closes(rs []rune, i int) bool {
	return i > 0 && !unicode.IsSpace(rs[i-1])
}

// link reads [text](url) or ![alt](src) at i and says where it ends.
func link(rs []rune, i int) (text, url string, next int, ok bool) {
	if rs[i] == '!' {
		i++
	}
	s := string(rs[i:])
	closeText := strings.Index(s, "](")
	if closeText < 0 {
		return "", "", 0, false
	}
	closeURL := strings.IndexByte(s[closeText:], ')')
	if closeURL < 0 {
		return "", "", 0, false
	}
	text = s[1:closeText]
	url = s[closeText+2 : closeText+closeURL]
	if strings.ContainsAny(url, " \t") {
		return "", "", 0, false
	}
	return text, url, i + len([]rune(s[:closeText+closeURL+1])), true
}

// excerpt is the Markdown around i, for an error.
func excerpt(rs []rune, i int) string {
	end := min(i+30, len(rs))
	return string(rs[i:end])
}

// roff writes a page: requests on lines of their own, and text filled
// into lines of at most width columns, so that the committed pages read
// well in a diff.
type roff struct {
	b strings.Builder
	// headed says the last line was a heading, which starts a paragraph
	// of its own: a .PP after it is one too many (mandoc warns).
	headed bool
}

const width = 78

// req writes a request, like .SH NAME.
func (w *roff) req(format string, args ...any) {
	r := fmt.Sprintf(format, args...)
	if r == ".PP" && w.headed {
		return
	}
	w.headed = strings.HasPrefix(r, ".SH ") || strings.HasPrefix(r, ".SS ")
	w.b.WriteString(r)
	w.b.WriteByte('\n')
}

// text writes roff text (from Inline or literal), broken at spaces.
// A line of text must not start with a dot or an apostrophe, which would
// make it a request; \& before them is nothing in print.
func (w *roff) text(s string) {
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			w.line(line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		w.line(line)
	}
}

// line writes one line of text as it is, guarding a leading dot or
// apostrophe.
func (w *roff) line(s string) {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	w.headed = false
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

// sentence makes a table cell a sentence: a capital first letter and a
// full stop, as the text of a man page's entry has.
func sentence(md string) string {
	if md == "" {
		return md
	}
	if c := md[0]; 'a' <= c && c <= 'z' {
		md = string(c-'a'+'A') + md[1:]
	}
	if !strings.ContainsAny(md[len(md)-1:], ".!?:") {
		md += "."
	}
	return md
}

// inline writes a paragraph or cell of Markdown.
func (w *roff) inline(md string) error {
	s, err := Inline(md)
	if err != nil {
		return err
	}
	w.text(s)
	return nil
}

// code writes a code block's lines unfilled and indented; an empty line
// is \&, since a blank line in the source is a warning for some readers.
func (w *roff) code(lines []string) {
	w.req(".PP")
	w.req(".RS 4")
	w.req(".nf")
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			w.line(`\&`)
			continue
		}
		w.line(literal(l))
	}
	w.req(".fi")
	w.req(".RE")
}

// blocks writes a section's paragraphs, headings, lists, code and tables.
// A table becomes a list of its rows, each tagged with its first cell and
// its other cells in turn, the header naming them after the first: a man
// page has no good form for columns, and leaving the table out would
// lose what the README says.
func (w *roff) blocks(bs []Block) error {
	for _, b := range bs {
		var err error
		switch b.Kind {
		case Paragraph:
			w.req(".PP")
			err = w.inline(b.Text)
		case Heading:
			var s string
			s, err = Inline(b.Text)
			w.req(".SS %s", quote(s))
		case Code:
			w.code(b.Lines)
		case Table:
			err = w.rows(b)
		case List:
			for n, item := range b.Items {
				if b.Ordered {
					w.req(".IP %d. 4", n+1)
				} else {
					w.req(`.IP \(bu 2`)
				}
				if err = w.inline(item); err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("README line %d: %w", b.Line, err)
		}
	}
	return nil
}

// rows writes a table (see blocks).
func (w *roff) rows(b Block) error {
	for _, row := range b.Rows {
		w.req(".TP")
		if err := w.inline(row[0]); err != nil {
			return err
		}
		for j, cell := range row[1:] {
			if j > 0 {
				w.req(".IP")
				cell = b.Header[j+1] + ": " + cell
			}
			if err := w.inline(sentence(cell)); err != nil {
				return err
			}
		}
	}
	return nil
}

// quote makes s one argument of a request.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\(dq`) + `"`
}
