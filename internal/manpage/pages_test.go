package manpage

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/internal/golden"
)

// The repository's README and committed pages, from this package.
const (
	readme = "../../README.md"
	manDir = "../../docs/man"
)

func readREADME(t *testing.T) Doc {
	t.Helper()
	md, err := os.ReadFile(readme)
	if err != nil {
		t.Fatalf("reading the README: %v", err)
	}
	d, err := Parse(string(md))
	if err != nil {
		t.Fatalf("parsing %s: %v", readme, err)
	}
	return d
}

// TestPagesCommitted checks the committed pages are what the README makes
// (as make man writes them: no version, no date), so an edit of the
// README's commands or keys cannot leave the man pages behind.
func TestPagesCommitted(t *testing.T) {
	pages, err := Pages(readREADME(t), Meta{})
	if err != nil {
		t.Fatalf("Pages(README): %v", err)
	}
	for _, p := range pages {
		// golden keeps its files under testdata; the pages live in
		// docs/man, where the .deb and man -l find them.
		want := string(golden.File(t, filepath.Join("..", manDir, p.Name), []byte(p.Text)))
		if p.Text != want {
			t.Errorf("docs/man/%s is not what README.md makes: run make man (or go test ./internal/manpage -update) and commit it\n%s", p.Name, firstDiff(p.Text, want))
		}
	}
}

// firstDiff shows the first line where got and want part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return "line " + strconv.Itoa(i+1) + ":\n  README makes: " + gl + "\n  committed:    " + wl
		}
	}
	return "(no line differs)"
}

// TestFirstDiff checks the hint names the stale line.
func TestFirstDiff(t *testing.T) {
	for _, tt := range []struct{ got, want, diff string }{
		{"a\nb\n", "a\nc\n", "line 2:\n  README makes: b\n  committed:    c"},
		{"a\nb\nc", "a\nb", "line 3:\n  README makes: c\n  committed:    "},
		{"a", "a", "(no line differs)"},
	} {
		if got := firstDiff(tt.got, tt.want); got != tt.diff {
			t.Errorf("firstDiff(%q, %q) = %q, want %q", tt.got, tt.want, got, tt.diff)
		}
	}
}

// TestKeysAgree checks the README's key table, and so pairingd.toml(5),
// lists every key the config package knows and only those, each once,
// the tables as [tables].
func TestKeysAgree(t *testing.T) {
	rows, err := Keys(readREADME(t))
	if err != nil {
		t.Fatalf("Keys(README): %v", err)
	}
	known := config.Keys()
	tables := map[string]bool{"auth_params": true, "input": true}
	rowOf := map[string]int{}
	for i, r := range rows {
		for _, name := range r.Names {
			if j, ok := rowOf[name]; ok {
				t.Errorf("README key table: %s is in rows %d and %d; want one", name, j+1, i+1)
			}
			rowOf[name] = i
			if !slices.Contains(known, name) {
				t.Errorf("README key table, row %d: %q is no key of internal/config (Keys() = %q)", i+1, name, known)
			}
			if r.Table != tables[name] {
				t.Errorf("README key table, row %d: %s written as a table: %v, want %v", i+1, name, r.Table, tables[name])
			}
		}
	}
	for _, name := range known {
		if _, ok := rowOf[name]; !ok {
			t.Errorf("README key table has no row for key %s, which internal/config knows: add one (then make man)", name)
		}
	}

	// And so the page: every key is an entry of its own.
	pages, err := Pages(readREADME(t), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	file := pages[1].Text
	for _, name := range known {
		bold := `\fB` + unhyphenated(name) + `\fR`
		if tables[name] {
			bold = `\fB` + unhyphenated("["+name+"]") + `\fR`
		}
		if !strings.Contains(file, bold) {
			t.Errorf("%s does not show key %s (%s)", pages[1].Name, name, bold)
		}
	}
}

func TestKeysErrors(t *testing.T) {
	for _, tt := range []struct{ cell, want string }{
		{"issuer", "is not `key`s or a `[table]`"},
		{"`issuer` and more", "is not `key`s"},
		{"the `issuer`", `has "the " between its keys`},
		{"`Issuer`", "is not a key name"},
		{"`[a]`, `[b]`", "shares its row"},
	} {
		md := "## Configuration\n| key | meaning |\n| --- | --- |\n| " + tt.cell + " | text |\n"
		d, err := Parse(md)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Keys(d); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Keys(%q) error = %v, want one containing %q", tt.cell, err, tt.want)
		}
	}
	d, _ := Parse("## Configuration\n| name | meaning |\n| --- | --- |\n")
	if _, err := Keys(d); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("Keys with the header renamed: error %v, want one about the header", err)
	}
	if _, err := Keys(Doc{}); err == nil || !strings.Contains(err.Error(), `"## Configuration"`) {
		t.Errorf("Keys without the section: error %v, want one naming it", err)
	}
}

func TestCommands(t *testing.T) {
	md := "## Commands\n| command | what it does | exit codes |\n| --- | --- | --- |\n" +
		"| `pairingd status [--json]` | the state | **0 paired**, 3 |\n"
	d, err := Parse(md)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Commands(d)
	want := []Command{{Name: "status", Usage: "pairingd status [--json]", Text: "the state", Exit: "**0 paired**, 3"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Commands = %+v, %v; want %+v", got, err, want)
	}
	d, _ = Parse(strings.Replace(md, "`pairingd status [--json]`", "status", 1))
	if _, err := Commands(d); err == nil || !strings.Contains(err.Error(), "line 4: the command") {
		t.Errorf("Commands with a bare name: error %v, want one naming line 4", err)
	}
}

// TestMeta checks the title line carries a version and a date when
// given, and refuses ones that would break it.
func TestMeta(t *testing.T) {
	d := readREADME(t)
	pages, err := Pages(d, Meta{Version: "0.3.1+4.gabc123", Date: "2026-12-01"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if !strings.Contains(p.Text, `"2026-12-01" "pairingd 0.3.1+4.gabc123"`) {
			t.Errorf("%s with a version and date: title %q", p.Name, strings.SplitN(p.Text, "\n", 4)[2])
		}
	}
	for _, m := range []Meta{{Version: `1" .bad`}, {Date: "1 Dec 2026"}, {Date: "2026-13-01"}} {
		if _, err := Pages(d, m); err == nil {
			t.Errorf("Pages(%+v): no error, want one", m)
		}
	}
}

// TestExample checks the page's EXAMPLE is a configuration pairingd
// loads.
func TestExample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pairingd.toml")
	if err := os.WriteFile(path, []byte(Example), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, nil, nil)
	if err != nil {
		t.Fatalf("config.Load(the EXAMPLE of pairingd.toml(5)): %v\n%s", err, Example)
	}
	if c.Issuer == "" || c.ClientID == "" || c.Input["BTN_EAST"] != "A" {
		t.Errorf("the EXAMPLE loads as issuer %q, client_id %q, input %v; want both set and BTN_EAST=A", c.Issuer, c.ClientID, c.Input)
	}
}

// manWarnings formats page as lintian's groff-message check does
// (lintian's Check/Documentation/Manual.pm: an empty environment but
// PATH, C.UTF-8, man --warnings -E UTF-8 -l -Tutf8 -Z) and returns what
// man said on stderr, less the lines lintian ignores too.
func manWarnings(t *testing.T, page string, width int) []string {
	t.Helper()
	cmd := exec.Command("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C.UTF-8", "MANROFFSEQ=", "MANWIDTH=" + strconv.Itoa(width)}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("man -l %s: %v\n%s", page, err, stderr.Bytes())
	}
	if stdout.Len() == 0 {
		t.Fatalf("man -l %s printed nothing", page)
	}
	var out []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "Reformatting") {
			out = append(out, l)
		}
	}
	return out
}

// needTools skips the test without the tools, except in CI, which has
// them (lintian needs man-db and groff).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (.ci/run installs lintian, which needs it)", tool)
			}
			t.Skipf("%s is not installed: skipping (CI runs it)", tool)
		}
	}
}

// TestManWellFormed checks groff has nothing to say about the committed
// pages, at the width lintian uses (120) and at a terminal's (80), and
// that lexgrog finds their whatis line, as lintian's bad-whatis-entry
// check does.
func TestManWellFormed(t *testing.T) {
	needTools(t, "man", "groff", "lexgrog")
	for _, name := range []string{"pairingd.8", "pairingd.toml.5"} {
		page := filepath.Join(manDir, name)
		for _, width := range []int{80, 120} {
			if w := manWarnings(t, page, width); len(w) > 0 {
				t.Errorf("man -l %s at %d columns warns (lintian's groff-message):\n%s", page, width, strings.Join(w, "\n"))
			}
		}
		cmd := exec.Command("lexgrog", page)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C.UTF-8"}
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), `: "`+strings.TrimSuffix(name, filepath.Ext(name))+` - `) {
			t.Errorf("lexgrog %s = %q, %v; want its whatis line (lintian's bad-whatis-entry)", page, out, err)
		}
	}
}

// TestManWarningsSeen checks the check above can fail: a page with an
// unknown macro and an unknown escape makes man warn.
func TestManWarningsSeen(t *testing.T) {
	needTools(t, "man", "groff")
	page := filepath.Join(t.TempDir(), "bad.8")
	bad := ".TH BAD 8\n.SH NAME\nbad \\- a bad page\n.XY unknown macro\n\\[nosuchglyph]\n"
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := manWarnings(t, page, 80); len(w) < 2 {
		t.Errorf("man -l on a page with an unknown macro and glyph warned %q; want a warning for each", w)
	}
}
