// Package term is a simple display.Display for an ANSI terminal, for
// "make demo" and for a device whose screen is a terminal. It clears the
// screen and draws the pairing screen centred: the headline, the QR code,
// the user code in bold, the URI and a countdown it keeps current itself.
// (A full-screen tcell display with resize handling comes later; this one
// needs nothing but ANSI escapes.)
//
// The QR code is drawn in explicit colours, bold white on black, with the
// glyphs drawing the light modules (display.HalfBlocks), so it reads dark
// on light, quiet zone included, whatever the terminal theme. Bold makes
// the white bright on the Linux console, whose backgrounds are the 8 dim
// colours; this is libqrencode's ANSIUTF8 style.
//
// The user code and the URI are always shown as text (RFC 8628 §3.3.1),
// also when the terminal is too small for the QR code.
package term
