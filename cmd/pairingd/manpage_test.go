package main

import (
	"os"
	"slices"
	"testing"

	"github.com/pairingd/pairingd/internal/manpage"
)

// TestCommandsInREADME checks the README's Commands table, which
// pairingd(8) is made from, lists every command of the usage text and
// only those.
func TestCommandsInREADME(t *testing.T) {
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("reading the README: %v", err)
	}
	d, err := manpage.Parse(string(md))
	if err != nil {
		t.Fatalf("parsing the README: %v", err)
	}
	rows, err := manpage.Commands(d)
	if err != nil {
		t.Fatalf("reading the README's Commands table: %v", err)
	}
	var inREADME, inCLI []string
	for _, r := range rows {
		inREADME = append(inREADME, r.Name)
	}
	for _, c := range commands {
		inCLI = append(inCLI, c.name)
	}
	for _, name := range inCLI {
		if !slices.Contains(inREADME, name) {
			t.Errorf("the README's Commands table has no row for pairingd %s: add one (then make man)", name)
		}
	}
	for _, name := range inREADME {
		if !slices.Contains(inCLI, name) {
			t.Errorf("the README's Commands table has pairingd %s, which is no command of cli.go (commands: %q)", name, inCLI)
		}
	}
}
