package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildTagsFile is the one file that holds the build tags, from the
// package directory (where go test runs).
const buildTagsFile = "../../build.tags"

// buildTagRE is one tag on a line of its own. The readers in the Makefile,
// pairingd.mk and the scripts take the word at the start of each line
// (grep -Eo '^[A-Za-z0-9_.]+'), so every other line must be blank or a
// comment for them to read what this does.
var buildTagRE = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)

// readBuildTags reads build.tags: one tag a line, # comments, blank lines.
func readBuildTags() ([]string, error) {
	b, err := os.ReadFile(buildTagsFile)
	if err != nil {
		return nil, err
	}
	var tags []string
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case buildTagRE.MatchString(line):
			tags = append(tags, line)
		default:
			return nil, fmt.Errorf("%s:%d: %q is neither a comment nor a tag alone on its line", buildTagsFile, i+1, line)
		}
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("%s lists no tags", buildTagsFile)
	}
	return tags, nil
}

// withoutComments is f without its comment lines (those starting with #,
// after blanks), which may name tags to say why.
func withoutComments(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimLeft(l, " \t"), "#") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Every build reads its tags from build.tags, and none spells tags of its
// own, so that they cannot fork again (as pairingd.mk and
// scripts/buildroot-build.sh once built with one tag of the five).
func TestBuildTagsFromOneFile(t *testing.T) {
	tags, err := readBuildTags()
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Glob("../../scripts/*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts/*.sh: %v", err)
	}
	consumers := map[string]*regexp.Regexp{
		// What reads the file, in each consumer that builds.
		"../../Makefile": regexp.MustCompile(`(?m)^TAGS *:= *\$\(shell [^\n]*\bbuild\.tags\b`),
		"../../buildroot/package/pairingd/pairingd.mk": regexp.MustCompile(`(?m)^PAIRINGD_TAGS = \$\(shell [^\n]*\$\(@D\)/build\.tags\b[^\n]*\)$`),
		"../../scripts/buildroot-build.sh":             regexp.MustCompile(`(?m)^tags=\$\([^\n]*\bbuild\.tags\b`),
	}
	for _, f := range append(scripts, "../../Makefile", "../../buildroot/package/pairingd/pairingd.mk", "../../.ci/run") {
		src := withoutComments(t, f)
		if re := consumers[f]; re != nil && !re.MatchString(src) {
			t.Errorf("%s does not read its tags from build.tags (want a line matching %s)", f, re)
		}
		for _, tag := range tags {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(tag) + `\b`).MatchString(src) {
				t.Errorf("%s spells the tag %s: take it from build.tags", f, tag)
			}
		}
	}
	// The Buildroot package adds libsqlite3 for its system SQLite
	// option, and nothing else.
	mk := withoutComments(t, "../../buildroot/package/pairingd/pairingd.mk")
	for _, m := range regexp.MustCompile(`(?m)^PAIRINGD_TAGS.*$`).FindAllString(mk, -1) {
		if !strings.Contains(m, "build.tags") && m != "PAIRINGD_TAGS += libsqlite3" {
			t.Errorf("pairingd.mk: %q: the tags come from build.tags (only the system SQLite option adds libsqlite3)", m)
		}
	}
}

// Buildroot rsyncs the source without PAIRINGD_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS;
// what the package reads or installs from it must not be excluded.
func TestBuildrootSourceKeepsBuildFiles(t *testing.T) {
	mk := withoutComments(t, "../../buildroot/package/pairingd/pairingd.mk")
	var excl []string
	in := false
	for _, l := range strings.Split(mk, "\n") {
		if strings.HasPrefix(l, "PAIRINGD_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS") {
			in = true
		}
		if in {
			f := strings.Fields(strings.TrimSuffix(l, "\\"))
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "--exclude" {
					excl = append(excl, strings.Trim(f[i+1], `'"`))
				}
			}
			in = strings.HasSuffix(l, "\\")
		}
	}
	if len(excl) == 0 {
		t.Fatal("pairingd.mk: no --exclude in PAIRINGD_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS (did it move?)")
	}
	for _, f := range []string{"build.tags", "sqlite-options.h", "systemd/pairingd.service", "systemd/console.conf", "init/S80pairingd", "pairingd.example.toml"} {
		if !strings.Contains(mk, "$(@D)/"+f) {
			t.Errorf("pairingd.mk does not take $(@D)/%s from the source", f)
		}
		if _, err := os.Stat("../../" + f); err != nil {
			t.Errorf("pairingd.mk reads or installs %s: %v", f, err)
		}
		for _, part := range strings.Split(f, "/") {
			for _, pat := range excl {
				if ok, _ := filepath.Match(pat, part); ok {
					t.Errorf("pairingd.mk: --exclude %s leaves %s out of the package's source", pat, f)
				}
			}
		}
	}
}

// Every build compiles SQLite with sqlite-options.h, the features pairingd
// does not use switched off: the Makefile's own and release builds (and so
// the tests and the qemu runs), the Buildroot package and its stand-in.
func TestSQLiteOptionsEverywhere(t *testing.T) {
	for f, re := range map[string]*regexp.Regexp{
		"../../Makefile": regexp.MustCompile(`(?s)SQLITE_CFLAGS := -include \$\(CURDIR\)/sqlite-options\.h.*export CGO_CFLAGS := [^\n]*\$\(SQLITE_CFLAGS\).*RELEASE_CFLAGS := [^\n]*\$\(SQLITE_CFLAGS\)`),
		"../../buildroot/package/pairingd/pairingd.mk": regexp.MustCompile(`(?m)^PAIRINGD_GO_ENV = CGO_CFLAGS="\$\(TARGET_CFLAGS\) -include \$\(@D\)/sqlite-options\.h"`),
		"../../scripts/buildroot-build.sh":             regexp.MustCompile(`CGO_CFLAGS="[^"]*-include \$tree/sqlite-options\.h"`),
	} {
		if !re.MatchString(withoutComments(t, f)) {
			t.Errorf("%s does not build SQLite with sqlite-options.h (want a match for %s)", f, re)
		}
	}
}
