// Package fb draws the pairing screen straight on a Linux framebuffer
// (/dev/fb0), for devices without a terminal or X: a Raspberry Pi, a muOS
// handheld, a Buildroot image.
//
// The device is package internal/fbdev's; the rules it follows are the
// kernel's Documentation/fb/api.rst: the stride is line_length, the
// visible area is offset by xoffset and yoffset, and the pixel format comes
// from the bitfields.
//
// # Drawing
//
// Everything is drawn into a back buffer in RAM in the LOGICAL orientation
// (width and height swapped for Rotate 90 and 270), holding native pixel
// values. A flush rotates while it copies, converting device row by device
// row, and compares each row with a copy of the last frame: only the bytes
// that changed are written to framebuffer memory, which is uncached on many
// boards. The countdown ticks redraw only their line and the progress bar,
// which touches a few rows.
//
// # Layout
//
// A landscape screen (width >= height, after rotation) has the QR code on
// the left and the text on the right; a portrait one has the QR code on top.
// The QR code's modules are a whole number of pixels, at least 3, and its
// quiet zone of 4 modules (ISO/IEC 18004) is drawn light, white, with black
// modules, on the dark page. If the screen cannot fit that, the text alone
// is shown with a line saying so. The user code is the largest text
// (RFC 8628 §3.3.1: it is shown even with a QR code), in groups of four
// (display.GroupCode) and as large as fits on one line, then come the URI
// without its scheme, the time left as m:ss with a shrinking bar, the
// detail and the screen's Lines, left-aligned and cut with "…" when too
// long. A screen without a code has its headline large; one that says
// nothing else ("Press A or any key to pair") has it filling the screen.
// The screen's actions are drawn in rows across the bottom, each key's
// name in a key cap and then what it does ("[A] new code"), in fewer rows
// or shortened labels on a narrow screen. When the text does not fit even
// at the smallest scale, the detail and the Lines lose lines first. Text
// is the Inconsolata 8×16 bitmap font scaled by whole numbers chosen from
// the screen size; a rune the font lacks is drawn as '?', and ✓ is drawn
// by hand.
//
// # Console
//
// With Options.Console the VT is switched to KD_GRAPHICS so that fbcon does
// not draw over the screen. VT switches are noticed by polling the active
// VT once a second: while another VT is in front nothing is drawn, and when
// ours comes back the whole frame is written again.
//
// RenderPNG draws a screen on a framebuffer in memory and writes what it
// would show as a PNG; DrawTestPattern checks a real device's colours,
// stride and rotation.
package fb
