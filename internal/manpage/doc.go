// Package manpage turns README.md into the man pages pairingd(8) and
// pairingd.toml(5), so that the README stays the one place where the
// commands and the configuration keys are described. Parse splits the
// README into its sections, paragraphs, lists, code blocks and tables;
// Commands and Keys read the "Commands" and "Configuration" tables (the
// tests check them against the program), and Daemon and File write the
// pages in roff, converting the README's inline Markdown.
//
// It is a build tool (make man, make deb): the pairingd binary must not
// link it, and cmd/pairingd's dependency test says so.
package manpage
