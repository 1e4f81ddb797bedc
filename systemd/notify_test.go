package systemd

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
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

func TestWatchdog(t *testing.T) {
	for _, tt := range []struct {
		name    string
		usec    string
		pid     string
		beats   []time.Duration // monotonic times of Beat calls
		wantOn  bool
		wantPin int
	}{
		{"off without WATCHDOG_USEC", "", "", []time.Duration{0, time.Second}, false, 0},
		{"other pid", "2000000", "1", []time.Duration{0}, false, 0},
		{"pings at most every half interval", "2000000", "self", []time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second, 2100 * time.Millisecond}, true, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			pid := tt.pid
			if pid == "self" {
				pid = strconv.Itoa(os.Getpid())
			}
			t.Setenv("WATCHDOG_PID", pid)
			var now time.Duration
			n := New(nil)
			pings := 0
			n.send = func(_ bool, s string) (bool, error) {
				if s == "WATCHDOG=1" {
					pings++
				}
				return true, nil
			}
			w := NewWatchdog(n, func() time.Duration { return now })
			if got := w != nil; got != tt.wantOn {
				t.Fatalf("NewWatchdog enabled = %v, want %v", got, tt.wantOn)
			}
			for _, b := range tt.beats {
				now = b
				w.Beat()
			}
			if pings != tt.wantPin {
				t.Errorf("%d pings, want %d", pings, tt.wantPin)
			}
		})
	}
}
