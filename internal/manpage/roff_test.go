package manpage

import (
	"strings"
	"testing"
)

func TestInline(t *testing.T) {
	for _, tt := range []struct {
		md, want string
	}{
		{"plain words", "plain words"},
		{"`client_id` → `--client-id`", `\fB\%client_id\fR \(-> \fB\%\-\-client\-id\fR`},
		{"**0 paired**, 3", `\fB0 paired\fR, 3`},
		{"**bold `code` bold**", `\fBbold \fB\%code\fB bold\fR`},
		{"*stress* here", `\fIstress\fR here`},
		{"a * b", "a * b"},
		{"``a ` b``", `\fB\%a \%\(ga \%b\fR`},
		{"`--bpp 16|24|32`", `\fB\%\-\-bpp \%16|24|32\fR`},
		{`a \| b \* c`, "a | b * c"},
		{`back\slash`, `back\eslash`},
		{"`C:\\dir`", `\fB\%C:\edir\fR`},
		{"`it's ~/x ^y`", `\fB\%it\(aqs \%\(ti/x \%\(hay\fR`},
		{"a screen-only device", "a screen-only device"},
		{"pass --app or -v", `pass \-\-app or \-v`},
		{"(--auth-param k=v)", `(\-\-auth\-param k=v)`},
		{"a — b – c … ✓ §3", `a \(em b \(en c \[u2026] \[u2713] \(sc3`},
		{"[docs](https://example.com/a-b)", `docs \%\(lahttps://example.com/a\-b\(ra`},
		{"[the package](buildroot/README.md)", "the package"},
		{"![alt text](docs/x.png)", "alt text"},
		{"[not a link] here", "[not a link] here"},
		{"`[auth_params]`", `\fB\%[auth_params]\fR`},
		{"vars (`PAIRINGD_X`), `a`/`b`", `vars \%(\fBPAIRINGD_X\fR), \fB\%a\fR/\fBb\fR`},
	} {
		got, err := Inline(tt.md)
		if err != nil || got != tt.want {
			t.Errorf("Inline(%q) = %q, %v; want %q", tt.md, got, err, tt.want)
		}
	}
}

func TestInlineErrors(t *testing.T) {
	for _, md := range []string{
		"`open code",
		"**bold to the end",
		"** stray",
		"*emphasis **bold* crossed**",
	} {
		if got, err := Inline(md); err == nil {
			t.Errorf("Inline(%q) = %q, no error; want one", md, got)
		}
	}
}

// TestText checks text is broken at spaces within the width, and that no
// line starts with what roff would take for a request.
func TestText(t *testing.T) {
	var w roff
	w.text(strings.Repeat("word ", 15) + ".deb 'quoted' " + strings.Repeat("x", 90))
	got := w.b.String()
	want := "word word word word word word word word word word word word word word word\n" +
		`\&.deb 'quoted'` + "\n" +
		strings.Repeat("x", 90) + "\n"
	if got != want {
		t.Errorf("text:\ngot  %q\nwant %q", got, want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if len(l) > width && strings.Contains(l, " ") {
			t.Errorf("line %q is longer than %d and could have been broken", l, width)
		}
	}
	var v roff
	v.text("'quoted first")
	if got, want := v.b.String(), `\&'quoted first`+"\n"; got != want {
		t.Errorf("text(leading apostrophe) = %q, want %q", got, want)
	}
}

func TestSentence(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"optional", "Optional."},
		{"`auto` (default)", "`auto` (default)."},
		{"done.", "Done."},
		{"0, 1", "0, 1."},
		{"", ""},
	} {
		if got := sentence(tt.in); got != tt.want {
			t.Errorf("sentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestHeadingParagraph checks no .PP follows a heading, which starts a
// paragraph already.
func TestHeadingParagraph(t *testing.T) {
	var w roff
	w.req(".SH NAME")
	w.req(".PP")
	w.line("text")
	w.req(".PP")
	if got, want := w.b.String(), ".SH NAME\ntext\n.PP\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestBlocks checks each kind of block, a table that is not the one a
// page is made of among them.
func TestBlocks(t *testing.T) {
	d, err := Parse(strings.Join([]string{
		"## S",
		"A *paragraph*.",
		"### Sub",
		"1. one",
		"2. two",
		"- dot",
		"```",
		".starts with a dot",
		"",
		"```",
		"| target | what it does | when |",
		"| --- | --- | --- |",
		"| `make man` | the pages | after an edit |",
	}, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var w roff
	w.req(".SH S")
	if err := w.blocks(d.Sections[0].Blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	want := strings.Join([]string{
		".SH S",
		`A \fIparagraph\fR.`,
		`.SS "Sub"`,
		".IP 1. 4",
		"one",
		".IP 2. 4",
		"two",
		`.IP \(bu 2`,
		"dot",
		".PP",
		".RS 4",
		".nf",
		`\&.starts with a dot`,
		`\&`,
		".fi",
		".RE",
		".TP",
		`\fB\%make \%man\fR`,
		"The pages.",
		".IP",
		"When: after an edit.",
		"",
	}, "\n")
	if got := w.b.String(); got != want {
		t.Errorf("blocks:\ngot:\n%s\nwant:\n%s", got, want)
	}
}
