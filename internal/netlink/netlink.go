// Package netlink tells when the device's network changes: a link goes up
// or down, an address or a route comes or goes (rtnetlink(7), the
// RTMGRP_LINK, _IFADDR and _ROUTE multicast groups). The daemon asks the
// server again at once then, instead of waiting out a backoff that began
// while there was no network.
//
// It also says in words what the network lacks (State), for a screen
// that must say more than "no network".
package netlink

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Watcher receives the kernel's network change messages.
type Watcher struct {
	f    *os.File
	c    chan struct{}
	once sync.Once
}

// groups are the changes watched: links, IPv4 and IPv6 addresses and
// routes.
const groups = unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR |
	unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE

// Watch opens a netlink socket on the kernel's network changes. A sandbox
// without AF_NETLINK refuses it: the caller then relies on its backoff.
func Watch() (*Watcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	w := &Watcher{f: os.NewFile(uintptr(fd), "netlink"), c: make(chan struct{}, 1)}
	go w.run()
	return w, nil
}

// Changes receives after each burst of changes (one pending value stands
// for any number); it closes when the Watcher does.
func (w *Watcher) Changes() <-chan struct{} { return w.c }

func (w *Watcher) run() {
	buf := make([]byte, 16<<10)
	for {
		_, err := w.f.Read(buf)
		if err != nil && !errors.Is(err, unix.ENOBUFS) {
			// ENOBUFS: messages were lost, which is a change too.
			close(w.c)
			return
		}
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
}

// Close stops watching.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() { err = w.f.Close() })
	return err
}

// State is what the device's network has, as far as reaching a server
// goes.
type State int

// The states, from nothing to an address that should reach the server.
const (
	// NoInterface: no network interface but loopback is up.
	NoInterface State = iota
	// NoAddress: an interface is up, but none has an address beyond
	// link-local ones (DHCP has not answered).
	NoAddress
	// HasAddress: an address is there; what fails is further on (a
	// route, the server).
	HasAddress
)

// Describe says what the network lacks in a few words, for "Can't reach
// the server (…)"; "" when it has an address (the caller's reason
// stands).
func (s State) Describe() string {
	switch s {
	case NoInterface:
		return "no network interface is up"
	case NoAddress:
		return "the network has no address yet"
	}
	return ""
}

// Current reads the state from the interfaces. Loopback counts when the
// server is on it (development), so host says which server.
func Current(host string) State {
	ifs, err := net.Interfaces()
	if err != nil {
		return HasAddress // nothing better to say
	}
	links := make([]link, 0, len(ifs))
	for _, ifc := range ifs {
		l := link{up: ifc.Flags&net.FlagUp != 0, loopback: ifc.Flags&net.FlagLoopback != 0}
		if l.up {
			l.addrs, _ = ifc.Addrs()
		}
		links = append(links, l)
	}
	return stateOf(links, onLoopback(host))
}

// link is what stateOf needs of an interface.
type link struct {
	up, loopback bool
	addrs        []net.Addr
}

// onLoopback reports whether the server host is this machine.
func onLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback() || host == "localhost"
}

// stateOf is the state of links for a server on loopback or not: only
// the interfaces that can reach it count, and an address counts unless it
// is link-local (DHCP has not answered yet).
func stateOf(links []link, loopbackServer bool) State {
	up := false
	for _, l := range links {
		if !l.up || l.loopback != loopbackServer {
			continue
		}
		up = true
		for _, a := range l.addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLinkLocalUnicast() {
				return HasAddress
			}
		}
	}
	if up {
		return NoAddress
	}
	return NoInterface
}
