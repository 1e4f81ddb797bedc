// Package plain is a display.Display that writes the pairing screen as plain
// text, for headless devices, serial consoles and logs (journald, docker
// logs). It writes no escape sequences at all, since logs are read with
// less, grep and web viewers that would show them as garbage, and it
// appends rather than redraws: a new block for a new state or code, one
// line for a new detail.
//
// The user code and the verification URI are always written as text (RFC
// 8628 §3.3.1), and a QR code, when there is one, once per code as
// half-block text with the 4-module quiet zone of ISO/IEC 18004.
package plain
