package netlink

import (
	"net"
	"testing"
)

func TestStateOf(t *testing.T) {
	addr := func(cidr string) net.Addr {
		ip, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	lo := link{up: true, loopback: true, addrs: []net.Addr{addr("127.0.0.1/8"), addr("::1/128")}}
	tests := []struct {
		name     string
		links    []link
		loopback bool // the server is on loopback
		want     State
		words    string
	}{
		{"nothing but loopback", []link{lo}, false, NoInterface, "no network interface is up"},
		{"Wi-Fi down", []link{lo, {up: false, addrs: []net.Addr{addr("192.168.1.20/24")}}}, false, NoInterface, "no network interface is up"},
		{"Wi-Fi up, no DHCP answer", []link{lo, {up: true}}, false, NoAddress, "the network has no address yet"},
		{"only link-local addresses", []link{lo, {up: true, addrs: []net.Addr{addr("fe80::1/64"), addr("169.254.3.4/16")}}}, false, NoAddress, "the network has no address yet"},
		{"an IPv4 address", []link{lo, {up: true, addrs: []net.Addr{addr("fe80::1/64"), addr("192.168.1.20/24")}}}, false, HasAddress, ""},
		{"a global IPv6 address", []link{{up: true, addrs: []net.Addr{addr("2001:db8::5/64")}}}, false, HasAddress, ""},
		{"server on loopback, loopback up", []link{lo}, true, HasAddress, ""},
		{"server on loopback, loopback down", []link{{up: false, loopback: true}, {up: true, addrs: []net.Addr{addr("192.168.1.20/24")}}}, true, NoInterface, "no network interface is up"},
	}
	for _, tt := range tests {
		got := stateOf(tt.links, tt.loopback)
		if got != tt.want {
			t.Errorf("%s: state %v, want %v", tt.name, got, tt.want)
		}
		if words := got.Describe(); words != tt.words {
			t.Errorf("%s: Describe() = %q, want %q", tt.name, words, tt.words)
		}
	}
}

func TestOnLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "localhost": true, "127.0.0.53": true,
		"auth.example.com": false, "192.168.1.2": false, "": false,
	} {
		if got := onLoopback(host); got != want {
			t.Errorf("onLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
