// Package store holds what pairingd keeps about itself: the device identity
// (a random id made once, plus name, model and OS version) and the pairing
// record (the state, the server, the in-flight device code and the
// tokens), and the Store interface that keeps them.
//
// It has no implementation and links no database, so the pairing loop and
// its tests depend on the types alone. store/sqlite keeps them in SQLite;
// store/storetest has an in-memory fake and the conformance suite that
// both pass.
//
// Nothing secret (the device code, the tokens) is ever logged or put in an
// error message by an implementation.
package store
