// Package oauthtest is the fake server side of package oauth: scripted
// HTTP answers and an http.RoundTripper that serves them by method and
// path, for the tests of oauth and of the packages that drive a Client.
// Nothing here opens a socket; the Client's transport is replaced.
package oauthtest
