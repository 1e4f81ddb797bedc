package manpage

import (
	"fmt"
	"regexp"
	"strings"
)

// Doc is a Markdown document split into its level-2 sections ("## ").
// Only the Markdown the README uses is understood: paragraphs, "###"
// headings, fenced code blocks, numbered and dashed lists, and tables.
type Doc struct {
	Sections []Section
}

// Section is the part of a document from one "## " heading to the next.
type Section struct {
	Title  string
	Line   int // of the heading, from 1
	Blocks []Block
}

// Kind says what a Block is.
type Kind int

// The kinds of Block.
const (
	Paragraph Kind = iota
	Heading        // a "###" heading inside a section
	Code           // a fenced code block
	List           // a numbered or dashed list
	Table          // a table: a header row, the --- row and the rows
)

// Block is one paragraph, heading, code block, list or table.
type Block struct {
	Kind Kind
	Line int // where it starts, from 1
	// Text is a paragraph's or heading's inline Markdown, its lines
	// joined with spaces.
	Text string
	// Lines are a code block's lines, as they are.
	Lines []string
	// Items are a list's items, each one's lines joined with spaces;
	// Ordered says whether it is numbered.
	Items   []string
	Ordered bool
	// Header and Rows are a table's cells, inline Markdown with the
	// escaped pipes (\|) made plain; every row has len(Header) cells.
	Header []string
	Rows   [][]string
}

// Section returns the section titled title.
func (d Doc) Section(title string) (Section, bool) {
	for _, s := range d.Sections {
		if s.Title == title {
			return s, true
		}
	}
	return Section{}, false
}

// Table returns the index of the section's first table, or -1.
func (s Section) Table() int {
	for i, b := range s.Blocks {
		if b.Kind == Table {
			return i
		}
	}
	return -1
}

var (
	listItem  = regexp.MustCompile(`^(\d+\.|-) +`)
	separator = regexp.MustCompile(`^\|( *:?-+:? *\|)+$`)
)

// Parse splits Markdown into sections. What comes before the first "## "
// heading is left out: it is no section. Tables whose rows do not all
// have the header's number of cells are errors, naming the line, since a
// missing or extra cell would put text under the wrong heading.
func Parse(md string) (Doc, error) {
	var d Doc
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var sec *Section
	add := func(b Block) {
		if sec != nil {
			sec.Blocks = append(sec.Blocks, b)
		}
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		n := i + 1 // the line number people see
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case strings.HasPrefix(line, "```"):
			b := Block{Kind: Code, Line: n}
			i++
			for i < len(lines) && !strings.HasPrefix(lines[i], "```") {
				b.Lines = append(b.Lines, lines[i])
				i++
			}
			if i == len(lines) {
				return Doc{}, fmt.Errorf("line %d: code block is not closed with ```", n)
			}
			i++
			add(b)
		case strings.HasPrefix(line, "## "):
			d.Sections = append(d.Sections, Section{Title: strings.TrimSpace(line[3:]), Line: n})
			sec = &d.Sections[len(d.Sections)-1]
			i++
		case strings.HasPrefix(line, "# "):
			// The document's title, or a level-1 heading: it ends the
			// section before it.
			sec = nil
			i++
		case strings.HasPrefix(line, "#"):
			add(Block{Kind: Heading, Line: n, Text: strings.TrimSpace(strings.TrimLeft(line, "#"))})
			i++
		case strings.HasPrefix(line, "|"):
			var rows []string
			for i < len(lines) && strings.HasPrefix(lines[i], "|") {
				rows = append(rows, strings.TrimSpace(lines[i]))
				i++
			}
			b, err := parseTable(rows, n)
			if err != nil {
				return Doc{}, err
			}
			add(b)
		case listItem.MatchString(line):
			b := Block{Kind: List, Line: n, Ordered: line[0] != '-'}
			for i < len(lines) {
				l := lines[i]
				if m := listItem.FindString(l); m != "" && (m[0] != '-') == b.Ordered {
					b.Items = append(b.Items, strings.TrimSpace(l[len(m):]))
				} else if m == "" && strings.HasPrefix(l, " ") && strings.TrimSpace(l) != "" {
					// An item's next line is indented.
					b.Items[len(b.Items)-1] += " " + strings.TrimSpace(l)
				} else {
					break
				}
				i++
			}
			add(b)
		default:
			var text []string
			for i < len(lines) && !endsParagraph(lines[i]) {
				text = append(text, strings.TrimSpace(lines[i]))
				i++
			}
			add(Block{Kind: Paragraph, Line: n, Text: strings.Join(text, " ")})
		}
	}
	return d, nil
}

// endsParagraph reports whether line ends the paragraph before it.
func endsParagraph(line string) bool {
	return strings.TrimSpace(line) == "" || strings.HasPrefix(line, "```") ||
		strings.HasPrefix(line, "#") || strings.HasPrefix(line, "|") || listItem.MatchString(line)
}

// parseTable reads a table's rows, the first of them on line n.
func parseTable(rows []string, n int) (Block, error) {
	if len(rows) < 2 || !separator.MatchString(rows[1]) {
		return Block{}, fmt.Errorf("line %d: table has no | --- | row under its header", n)
	}
	b := Block{Kind: Table, Line: n, Header: cells(rows[0])}
	for j, r := range rows[2:] {
		c := cells(r)
		if len(c) != len(b.Header) {
			return Block{}, fmt.Errorf("line %d: table row has %d cells, want %d like its header (a | in a cell is written \\|)", n+2+j, len(c), len(b.Header))
		}
		b.Rows = append(b.Rows, c)
	}
	return b, nil
}

// cells splits a table row at its pipes, except escaped ones (\|), which
// GitHub's Markdown turns into plain pipes even inside code spans.
func cells(row string) []string {
	row = strings.TrimPrefix(strings.TrimSuffix(row, "|"), "|")
	var out []string
	var cell strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cell.WriteByte('|')
			i++
		case row[i] == '|':
			out = append(out, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[i])
		}
	}
	return append(out, strings.TrimSpace(cell.String()))
}
