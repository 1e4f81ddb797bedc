package systemd

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestNotifySendsToSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)

	n := New(nil)
	n.Ready()
	n.Status("Waiting for approval: code ABCD-EFGH")
	n.Stopping()

	buf := make([]byte, 4096)
	for _, want := range []string{"READY=1", "STATUS=Waiting for approval: code ABCD-EFGH", "STOPPING=1"} {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading datagram (want %q): %v", want, err)
		}
		if got := string(buf[:k]); got != want {
			t.Errorf("datagram = %q, want %q", got, want)
		}
	}
}

func TestNoSocketNoSend(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	sent := 0
	n := New(nil)
	real := n.send
	n.send = func(u bool, s string) (bool, error) {
		ok, err := real(u, s)
		if ok {
			sent++
		}
		return ok, err
	}
	n.Ready()
	n.Status("x")
	if sent != 0 {
		t.Errorf("sent %d datagrams without NOTIFY_SOCKET, want 0", sent)
	}
}
