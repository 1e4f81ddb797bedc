// Package term is the full-screen terminal display.Display, built on tcell:
// for "make demo" and for a device whose screen is a terminal or the Linux
// console. It takes the whole terminal (the alternate screen, raw mode),
// draws the pairing screen centred, redraws it when the terminal is
// resized, keeps the countdown current by itself, shows what the keys do
// (the screen's actions, "Enter: new code · I: details · Esc: quit") and
// passes the keys pressed on by their role (display.Key).
//
// # What is shown
//
// RFC 8628 §3.3.1 says the device shows the user code and the
// verification URI, and may also show verification_uri_complete as a QR
// code for a device with a camera to read. So the user code ("Code:
// WDJB-MJHT", in bold) and the URI ("Go to: …") are always drawn as text,
// also when the QR code is drawn and when the terminal is too small for
// it; then the screen says so and how many cells it needs.
//
// # The QR code
//
// The QR code is drawn with its quiet zone of 4 light modules on every side
// (ISO/IEC 18004 requires 4 for a regular QR code; a dark terminal
// background does not make one, so it is drawn), in colours set explicitly
// rather than left to the terminal's theme: light modules white, dark ones
// black, so that it reads dark on light as scanners expect on dark themes,
// light themes and 8-colour terminals alike.
//
// Normally each cell holds one module across and two down, in the half
// blocks ▀ ▄ █ and space, which come out about square in a cell of 1:2.
// The glyphs' ink is the light modules, white foreground, and the rest is
// the black background, which is qr.HalfBlocks' convention: a cell's
// top module is the colour of ▀, its bottom one that of ▄. Text captured
// without colours (tmux capture-pane -p) therefore decodes with
// displaytest.DecodeHalfBlocks.
//
// The Linux console (TERM=linux) and terminals whose character set is not
// UTF-8 usually have no ▀ and ▄ glyphs (the console's default fonts lack
// them), so there each module is two cells of space, coloured by their
// background: twice as large, and drawn only when it fits, else the text.
//
// # Keys
//
// Enter, space and r are display.KeyA; Esc and q KeyB; u KeyX; i and ?
// KeyY; any other key KeyOther. They go to Options.OnKey, and the caller
// decides what each does on the screen it showed. tcell puts the terminal
// in raw mode, so Ctrl-C arrives as a key, not as SIGINT: it goes to
// Options.OnInterrupt, which must stop the program. Both run on the
// display's event goroutine and must not block or call Close.
//
// # Untrusted text
//
// Everything on the screen but the QR code came from a server. It is
// sanitized again here (internal/sanitize.Line) before it is drawn, so that
// no control character or escape sequence reaches the terminal; tcell
// writes only the cells.
//
// # At rest
//
// While a code is shown the countdown changes once a second, and a tick
// costs only what changed: the rows whose text changed are painted and
// compared, the last layout is reused when the countdown keeps its width,
// and when the change is a few plain ASCII cells (the seconds), they are
// written to the terminal directly, cursor position and characters from
// the terminal's terminfo entry, about 15 bytes, instead of through
// tcell's Show, which examines every cell of the screen. The cells are in
// tcell's buffer as well, so a later full redraw agrees with the screen.
package term
