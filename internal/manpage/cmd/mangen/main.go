package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pairingd/pairingd/internal/manpage"
)

func main() {
	readme := flag.String("readme", "README.md", "the Markdown to read")
	out := flag.String("out", "docs/man", "directory to write the pages into")
	var m manpage.Meta
	flag.StringVar(&m.Version, "version", "", "version for the pages' title lines (default none)")
	flag.StringVar(&m.Date, "date", "", "date YYYY-MM-DD for the pages' title lines (default none)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mangen: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(*readme, *out, m); err != nil {
		fmt.Fprintf(os.Stderr, "mangen: %v\n", err)
		os.Exit(1)
	}
}

func run(readme, out string, m manpage.Meta) error {
	md, err := os.ReadFile(readme)
	if err != nil {
		return fmt.Errorf("reading the README: %w", err)
	}
	d, err := manpage.Parse(string(md))
	if err != nil {
		return fmt.Errorf("reading %s: %w", readme, err)
	}
	pages, err := manpage.Pages(d, m)
	if err != nil {
		return fmt.Errorf("from %s: %w", readme, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("making the output directory: %w", err)
	}
	for _, p := range pages {
		path := filepath.Join(out, p.Name)
		if err := os.WriteFile(path, []byte(p.Text), 0o644); err != nil {
			return fmt.Errorf("writing the man page: %w", err)
		}
	}
	return nil
}
