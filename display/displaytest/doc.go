// Package displaytest has test helpers for code that uses package display:
// Fake, a Display that records what it was shown, and DecodeHalfBlocks,
// which scans half-block QR text (qr.HalfBlocks, or what a terminal
// shows) back into its payload, so tests check that a code scans rather than
// how it looks.
//
// It imports a QR decoder, so only tests should import it.
package displaytest
