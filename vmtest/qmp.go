package vmtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"
)

// QMP is a client of QEMU's machine protocol on a unix socket: one command
// at a time, each answered by "return" or "error"; events in between are
// kept for Events.
type QMP struct {
	mu     sync.Mutex
	conn   net.Conn
	r      *bufio.Reader
	events []string // names of the events seen, in order
}

// DialQMP connects to the QMP socket at path, retrying until timeout
// while QEMU creates it, and leaves capabilities negotiation mode.
func DialQMP(path string, timeout time.Duration) (*QMP, error) {
	deadline := time.Now().Add(timeout)
	var conn net.Conn
	var err error
	for {
		if conn, err = net.Dial("unix", path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("qmp: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	q := &QMP{conn: conn, r: bufio.NewReader(conn)}
	var greeting struct {
		QMP json.RawMessage `json:"QMP"`
	}
	if err := q.read(&greeting, 10*time.Second); err != nil || greeting.QMP == nil {
		conn.Close()
		return nil, fmt.Errorf("qmp: no greeting: %v", err)
	}
	if _, err := q.Execute("qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

// read decodes the next message (a line of JSON) into v.
func (q *QMP) read(v any, timeout time.Duration) error {
	q.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// Execute runs a command with arguments (nil for none) and returns its
// "return" value.
func (q *QMP) Execute(cmd string, args any) (json.RawMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	q.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for {
		var msg struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		// A screendump under TCG takes a moment; a minute means QEMU hangs.
		if err := q.read(&msg, time.Minute); err != nil {
			return nil, fmt.Errorf("qmp %s: %w", cmd, err)
		}
		switch {
		case msg.Event != "":
			q.events = append(q.events, msg.Event)
		case msg.Error != nil:
			return nil, fmt.Errorf("qmp %s: %s: %s", cmd, msg.Error.Class, msg.Error.Desc)
		case msg.Return != nil:
			return msg.Return, nil
		}
	}
}

// Events returns the names of the events seen so far.
func (q *QMP) Events() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.events...)
}

// Screendump writes the VM's screen to file as a PPM.
func (q *QMP) Screendump(file string) error {
	_, err := q.Execute("screendump", map[string]any{"filename": file})
	return err
}

// SendKey presses and releases one key, by its QEMU key code ("ret",
// "esc", "a").
func (q *QMP) SendKey(qcode string) error {
	_, err := q.Execute("send-key", map[string]any{
		"keys": []map[string]string{{"type": "qcode", "data": qcode}},
	})
	return err
}

// Close closes the connection.
func (q *QMP) Close() error { return q.conn.Close() }
