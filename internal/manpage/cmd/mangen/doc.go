// Command mangen writes the man pages pairingd.8 and pairingd.toml.5 from
// README.md (make man; scripts/deb.sh for the .deb):
//
//	mangen [-readme README.md] [-out docs/man] [-version V] [-date YYYY-MM-DD]
//
// Without -version and -date the title lines carry neither, which is how
// the pages are committed: they then change only with the README, not
// with every commit. It does not read SOURCE_DATE_EPOCH itself, since the
// Makefile exports that to every target, make man included; the .deb's
// build turns it into -date.
package main
