// Package sqlite is the store.Store that pairingd runs on: one SQLite
// file, FileName, in a state directory of mode 0700; the file is 0600
// because it holds secrets (the device code and the tokens). It also owns
// the files beside it: the daemon lock, the refresh lock, and the damaged
// databases that Quarantine keeps.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// committed write survives a power cut, which a screen-only device pulled
// from the wall will see. Every write is one transaction that replaces the
// whole pairing row, so a crash at any point leaves either the old record
// or the new one, never a mix of a new state with old tokens. Writers in
// several processes (the daemon and the status, token and unpair commands)
// serialise on SQLite's write lock (BEGIN IMMEDIATE).
//
// Flash wear: SD cards and eMMC wear out, so the store writes only when a
// value really changed. An Update whose function leaves the record equal
// commits nothing, and the daemon does not write while it merely polls.
//
// Damage: Open reports store.ErrCorrupt for SQLite's own verdicts (a
// corrupt page, a file that is not a database, a quick_check finding that
// a second check repeats), never for I/O, permission or lock errors.
package sqlite
