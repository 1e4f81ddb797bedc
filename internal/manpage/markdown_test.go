package manpage

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	md := strings.Join([]string{
		"# title",
		"before any section: left out",
		"",
		"## One",
		"",
		"A paragraph",
		"on two lines.",
		"```sh",
		"# a comment in code, not a heading",
		"",
		"## nor this",
		"```",
		"### Sub",
		"1. first",
		"   goes on",
		"2. second",
		"- dash",
		"| a | b |",
		"| --- | :-: |",
		"| `x \\| y` | two |",
		"after the table",
		"## Two",
	}, "\n")
	got, err := Parse(md)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Doc{Sections: []Section{
		{Title: "One", Line: 4, Blocks: []Block{
			{Kind: Paragraph, Line: 6, Text: "A paragraph on two lines."},
			{Kind: Code, Line: 8, Lines: []string{"# a comment in code, not a heading", "", "## nor this"}},
			{Kind: Heading, Line: 13, Text: "Sub"},
			{Kind: List, Line: 14, Ordered: true, Items: []string{"first goes on", "second"}},
			{Kind: List, Line: 17, Items: []string{"dash"}},
			{Kind: Table, Line: 18, Header: []string{"a", "b"}, Rows: [][]string{{"`x | y`", "two"}}},
			{Kind: Paragraph, Line: 21, Text: "after the table"},
		}},
		{Title: "Two", Line: 22},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\ngot  %+v\nwant %+v", got, want)
	}
	if s, ok := got.Section("One"); !ok || s.Table() != 5 {
		t.Errorf("Section(One).Table() = %d, %v; want 5, true", s.Table(), ok)
	}
	if _, ok := got.Section("Three"); ok {
		t.Errorf("Section(Three) found; want none")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, md, want string
	}{
		{"cell missing", "## S\n| a | b |\n| --- | --- |\n| only |", "line 4: table row has 1 cells, want 2"},
		{"unescaped pipe", "## S\n| a | b |\n| --- | --- |\n| `x|y` | z |", "line 4: table row has 3 cells, want 2"},
		{"no separator", "## S\n| a | b |\n| c | d |", "line 2: table has no | --- | row"},
		{"open fence", "## S\n```\ncode", "line 2: code block is not closed"},
	} {
		_, err := Parse(tt.md)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
