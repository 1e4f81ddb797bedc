// Package display defines what the pairing screen shows (Screen: a
// headline, its tone, the code, the detail, the actions available), the
// interface that draws it (Display), and the countdown helpers the displays
// share. The screen model knows no daemon states: package pairing decides
// what each state shows. QR encoding is package display/qr's.
//
// Every display follows the same rules:
//
//   - RFC 8628 §3.3.1: the user code MUST be shown even when a QR code of
//     verification_uri_complete is, because not every user can scan, and the
//     user compares the code with what the browser shows. The verification
//     URI SHOULD be shown as text too, for users who type it.
//   - ISO/IEC 18004: a QR code needs a light quiet zone of 4 modules on every
//     side. On a dark screen that zone has to be drawn; the background does
//     not count.
//   - Dark modules on a light background. Many scanners fail on inverted
//     codes, so a display that can set colours sets both explicitly rather
//     than trusting the terminal theme.
//
// Strings in a Screen arrive sanitised (internal/sanitize), yet displays
// print them verbatim and never interpret them as markup or escapes.
package display
