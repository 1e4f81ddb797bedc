package manpage

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pairingd/pairingd/internal/config"
)

// Command is one row of the README's "Commands" table.
type Command struct {
	// Name is the command, like status.
	Name string
	// Usage is the first cell's code without its backticks, like
	// "pairingd status [--json]".
	Usage string
	// Text and Exit are the other two cells, inline Markdown.
	Text, Exit string
}

// Key is one row of the README's "Configuration" table, which may
// describe several keys (`framebuffer`, `rotate`) or a table
// (`[auth_params]`).
type Key struct {
	// Names are the keys of the row, tables without their brackets.
	Names []string
	// Table says the row is a TOML table, like [input].
	Table bool
	// Cell is the first cell, inline Markdown; Meaning the second.
	Cell, Meaning string
}

// The sections and tables the pages are made of; Commands and Keys fail
// when the README no longer has them as they were, rather than leave a
// page empty.
const (
	commandsTitle = "Commands"
	configTitle   = "Configuration"
	whatTitle     = "What pairingd does"
)

var (
	commandsHeader = []string{"command", "what it does", "exit codes"}
	keysHeader     = []string{"key", "meaning"}
	// A command's first cell: `pairingd NAME` and what may follow it.
	commandCell = regexp.MustCompile("^`(pairingd ([a-z]+)[^`]*)`$")
	// A key's first cell: code spans of names, or of a [table], between
	// commas and "or".
	codeSpan = regexp.MustCompile("`([^`]*)`")
	keyName  = regexp.MustCompile(`^(\[[a-z][a-z0-9_]*\]|[a-z][a-z0-9_]*)$`)
	between  = regexp.MustCompile(`^(, | or | and |, or )$`)
)

// table finds section title and its first table, whose header must be
// header, and returns the section and the table's index in it.
func table(d Doc, title string, header []string) (Section, int, error) {
	s, ok := d.Section(title)
	if !ok {
		return Section{}, 0, fmt.Errorf("README has no section %q", "## "+title)
	}
	t := s.Table()
	if t < 0 {
		return Section{}, 0, fmt.Errorf("README section %q (line %d) has no table", title, s.Line)
	}
	if got := s.Blocks[t].Header; strings.Join(got, "|") != strings.Join(header, "|") {
		return Section{}, 0, fmt.Errorf("README line %d: the %s table's header is %q, want %q", s.Blocks[t].Line, title, got, header)
	}
	return s, t, nil
}

// Commands reads the rows of the "Commands" table, in order.
func Commands(d Doc) ([]Command, error) {
	s, t, err := table(d, commandsTitle, commandsHeader)
	if err != nil {
		return nil, err
	}
	b := s.Blocks[t]
	var cs []Command
	for i, row := range b.Rows {
		m := commandCell.FindStringSubmatch(row[0])
		if m == nil {
			return nil, fmt.Errorf("README line %d: the command %q is not one code span `pairingd <command> …`", b.Line+2+i, row[0])
		}
		cs = append(cs, Command{Name: m[2], Usage: m[1], Text: row[1], Exit: row[2]})
	}
	return cs, nil
}

// Keys reads the rows of the "Configuration" table, in order.
func Keys(d Doc) ([]Key, error) {
	s, t, err := table(d, configTitle, keysHeader)
	if err != nil {
		return nil, err
	}
	b := s.Blocks[t]
	var ks []Key
	for i, row := range b.Rows {
		line := b.Line + 2 + i
		k := Key{Cell: row[0], Meaning: row[1]}
		spans := codeSpan.FindAllStringSubmatchIndex(row[0], -1)
		prev := 0
		for _, sp := range spans {
			gap := row[0][prev:sp[0]]
			if first := prev == 0; first && gap != "" || !first && !between.MatchString(gap) {
				return nil, fmt.Errorf("README line %d: the key cell %q has %q between its keys, want only `key`s or a `[table]` with \", \" or \" or \"", line, row[0], gap)
			}
			name := row[0][sp[2]:sp[3]]
			if !keyName.MatchString(name) {
				return nil, fmt.Errorf("README line %d: %q is not a key name (lower case, digits and _) nor a [table]", line, name)
			}
			if strings.HasPrefix(name, "[") {
				k.Table = true
				name = strings.Trim(name, "[]")
			}
			k.Names = append(k.Names, name)
			prev = sp[1]
		}
		if len(spans) == 0 || prev != len(row[0]) {
			return nil, fmt.Errorf("README line %d: the key cell %q is not `key`s or a `[table]`", line, row[0])
		}
		if k.Table && len(k.Names) > 1 {
			return nil, fmt.Errorf("README line %d: the table %q shares its row; give a table a row of its own", line, row[0])
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// Meta is what a page's title line says besides its name: the version
// and the date. Both may be empty, as in the committed pages, so that
// they change only when the README does; the .deb's are made with both.
type Meta struct {
	Version string // like 0.3.1
	Date    string // YYYY-MM-DD
}

var version = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+~_-]*$`)

func (m Meta) check() error {
	if m.Version != "" && !version.MatchString(m.Version) {
		return fmt.Errorf("version %q: want letters, digits and . + ~ _ -", m.Version)
	}
	if m.Date != "" {
		if _, err := time.Parse(time.DateOnly, m.Date); err != nil {
			return fmt.Errorf("date %q is not YYYY-MM-DD", m.Date)
		}
	}
	return nil
}

// th is the page's title line.
func (m Meta) th(name string, section int, manual string) string {
	source := "pairingd"
	if m.Version != "" {
		source += " " + m.Version
	}
	return fmt.Sprintf(".TH %s %d %s %s %s", name, section, quote(m.Date), quote(source), quote(manual))
}

// Page is one man page: its file name and its roff.
type Page struct {
	Name string
	Text string
}

// Pages writes pairingd(8) and pairingd.toml(5) from the README.
func Pages(d Doc, m Meta) ([]Page, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("man page title: %w", err)
	}
	daemon, err := daemonPage(d, m)
	if err != nil {
		return nil, fmt.Errorf("writing pairingd.8: %w", err)
	}
	file, err := filePage(d, m)
	if err != nil {
		return nil, fmt.Errorf("writing pairingd.toml.5: %w", err)
	}
	return []Page{{"pairingd.8", daemon}, {"pairingd.toml.5", file}}, nil
}

// generated heads every page: where it comes from, for whoever would
// edit it.
const generated = `.\" Generated from README.md by internal/manpage (make man): edit
.\" README.md and run make man, not this file.`

func daemonPage(d Doc, m Meta) (string, error) {
	cs, err := Commands(d)
	if err != nil {
		return "", err
	}
	s, t, _ := table(d, commandsTitle, commandsHeader)
	what, ok := d.Section(whatTitle)
	if !ok || len(what.Blocks) == 0 || what.Blocks[0].Kind != Paragraph {
		return "", fmt.Errorf("README has no section %q that starts with a paragraph", "## "+whatTitle)
	}

	var w roff
	w.req("%s", generated)
	w.req("%s", m.th("PAIRINGD", 8, "System Manager's Manual"))
	w.req(".SH NAME")
	w.line(`pairingd \- pair a screen\-only device with a user's account (OAuth 2.0 device authorization grant)`)

	w.req(".SH SYNOPSIS")
	w.req(".nf")
	w.line(`\fBpairingd\fR \fIcommand\fR [\fB\-\-config\fR \fIfile\fR] [\fB\-\-state\-dir\fR \fIdir\fR] [\fB\-\-\fR\fIkey\fR\fB=\fR\fIvalue\fR ...]`)
	for _, c := range cs {
		w.line(`\fB` + literal(c.Usage) + `\fR`)
	}
	w.req(".fi")

	w.req(".SH DESCRIPTION")
	// The paragraph introduces a list of steps, left out here: too long
	// for a man page's description.
	if err := w.inline(strings.TrimSuffix(what.Blocks[0].Text, ":") + "."); err != nil {
		return "", fmt.Errorf("README line %d: %w", what.Blocks[0].Line, err)
	}
	w.req(".PP")
	w.text(`\fB\%pairingd run\fR is the daemon: it shows a user code and a QR code on the device's screen (the Linux framebuffer, a terminal, or plain lines in the log), waits for the user to approve on a phone, and keeps the tokens fresh in its state directory. The other commands show the state, hand a valid access token to other programs, and unpair. The configuration comes from ` +
		`\fB\%pairingd.toml\fR(5), the environment and flags.`)

	w.req(".SH COMMANDS")
	for i, c := range cs {
		line := s.Blocks[t].Line + 2 + i
		w.req(".TP")
		w.line(`\fB` + literal(c.Usage) + `\fR`)
		if err := w.inline(sentence(c.Text)); err != nil {
			return "", fmt.Errorf("README line %d: %w", line, err)
		}
		w.req(".IP")
		if err := w.inline(sentence("Exit status: " + c.Exit)); err != nil {
			return "", fmt.Errorf("README line %d: %w", line, err)
		}
	}
	if err := w.blocks(s.Blocks[t+1:]); err != nil {
		return "", err
	}

	w.req(".SH FILES")
	w.req(".TP")
	w.line(`\fB` + literal(config.DefaultFile) + `\fR`)
	w.text(`The configuration, read when it exists; \fB\%\-\-config\fR names another. See \fB\%pairingd.toml\fR(5).`)
	w.req(".TP")
	w.line(`\fB` + literal(config.DefaultStateDir) + `\fR`)
	w.text(`The state directory when neither \fB\%state_dir\fR nor \fB\%STATE_DIRECTORY\fR says another: \fB\%pairingd.db\fR, one SQLite database with the device identity, the pairing and the tokens (the directory mode 0700, the file 0600).`)
	w.req(".TP")
	w.line(`\fB/etc/default/pairingd\fR`)
	w.text(`\fB\%PAIRINGD_ARGS\fR (flags for \fB\%pairingd run\fR) and \fB\%PAIRINGD_USER\fR for the systemd unit and the BusyBox init script; they are not configuration keys.`)

	w.req(".SH ENVIRONMENT")
	w.req(".TP")
	w.line(`\fBPAIRINGD_\fR\fIKEY\fR`)
	w.text(`Each configuration key, in upper case: \fB\%PAIRINGD_CLIENT_ID=my\-device\-client\fR. The environment wins over the file, flags over the environment. A table is key=value pairs joined by &: \fB\%PAIRINGD_AUTH_PARAMS=audience=x&resource=y\fR.`)
	w.req(".TP")
	w.line(`\fBSTATE_DIRECTORY\fR`)
	w.text(`The state directory when \fB\%state_dir\fR is not set (the first, when there are several); systemd sets it from the unit's \fB\%StateDirectory=\fR.`)
	w.req(".TP")
	w.line(`\fBLC_ALL\fR, \fBLC_MESSAGES\fR, \fBLANG\fR`)
	w.text(`The screen's language when \fB\%language\fR is not set.`)

	w.req(".SH EXIT STATUS")
	for _, e := range []struct{ code, text string }{
		{"0", "Done; for \\fB\\%status\\fR, the device is paired."},
		{"1", "An error; the message says what."},
		{"2", "A bad command line or configuration."},
		{"3", "For \\fB\\%status\\fR and \\fB\\%token\\fR: the device is not paired."},
	} {
		w.req(".TP")
		w.line(e.code)
		w.text(e.text)
	}

	w.req(".SH SEE ALSO")
	w.line(`\fBpairingd.toml\fR(5), \fBsystemctl\fR(1), \fBjournalctl\fR(1)`)
	return w.b.String(), nil
}

// Example is the EXAMPLE of pairingd.toml(5): a server, a client, a
// screen turned for a portrait panel and a control mapped. The [input]
// table comes last, as every table must: the keys after a [table] line
// belong to it.
const Example = `issuer = "https://auth.example.com"
client_id = "my-device-client"
scope = "openid offline_access"
display = "fb"
rotate = 90

[input]
BTN_EAST = "A"
`

func filePage(d Doc, m Meta) (string, error) {
	ks, err := Keys(d)
	if err != nil {
		return "", err
	}
	s, t, _ := table(d, configTitle, keysHeader)

	var w roff
	w.req("%s", generated)
	w.req("%s", m.th("PAIRINGD.TOML", 5, "File Formats Manual"))
	w.req(".SH NAME")
	w.line(`pairingd.toml \- configuration of pairingd, the device pairing daemon`)
	w.req(".SH SYNOPSIS")
	w.line(`\fB` + literal(config.DefaultFile) + `\fR`)
	w.req(".SH DESCRIPTION")
	if err := w.blocks(s.Blocks[:t]); err != nil {
		return "", err
	}

	entries := func(table bool) error {
		for i, k := range ks {
			if k.Table != table {
				continue
			}
			w.req(".TP")
			if err := w.inline(k.Cell); err != nil {
				return fmt.Errorf("README line %d: %w", s.Blocks[t].Line+2+i, err)
			}
			if err := w.inline(sentence(k.Meaning)); err != nil {
				return fmt.Errorf("README line %d: %w", s.Blocks[t].Line+2+i, err)
			}
		}
		return nil
	}
	w.req(".SH KEYS")
	if err := entries(false); err != nil {
		return "", err
	}
	if err := w.blocks(s.Blocks[t+1:]); err != nil {
		return "", err
	}
	w.req(".SH TABLES")
	w.text(`Tables come after the keys, at the end of the file: every key after a \fB[\fR\fItable\fR\fB]\fR line belongs to that table.`)
	if err := entries(true); err != nil {
		return "", err
	}

	w.req(".SH EXAMPLE")
	w.code(strings.Split(strings.TrimSuffix(Example, "\n"), "\n"))
	w.req(".PP")
	w.text(`The .deb installs a commented example of every key as \fB` + unhyphenated(config.DefaultFile) + `\fR.`)

	w.req(".SH SEE ALSO")
	w.line(`\fBpairingd\fR(8)`)
	return w.b.String(), nil
}
