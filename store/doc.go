// Package store keeps pairingd's state: the device identity (a random id
// made once, plus name, model and OS version) and the pairing record (the
// state, the server, the in-flight device code and the tokens).
//
// The SQLite implementation keeps both in one file, FileName, in a state
// directory of mode 0700; the file is 0600 because it holds secrets (the
// device code and the tokens). Nothing secret is ever logged or put in an
// error message.
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
// A second package, store/storetest, has an in-memory fake and the
// conformance suite that both implementations pass.
package store
