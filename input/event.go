package input

import (
	"bufio"
	"encoding/binary"
	"io"
	"unsafe"
)

// kernelEvent is the kernel's struct input_event: the time as two
// __kernel_ulong_t (seconds and microseconds; a C long, uintptr's size on
// Linux, whatever the size of the userland's time_t), then type, code and
// value. 24 bytes on 64-bit systems, 16 on 32-bit ones (armv6, armv7).
type kernelEvent struct {
	_ uintptr // time.tv_sec
	_ uintptr // time.tv_usec
	_ uint16  // type
	_ uint16  // code
	_ int32   // value
}

// eventSize is the size of an event read from an evdev device on this
// platform.
const eventSize = int(unsafe.Sizeof(kernelEvent{}))

// event is what we use of an input_event.
type event struct {
	typ, code uint16
	value     int32
}

// decodeEvent reads one input_event of len(b) bytes (16 or 24): type,
// code and value are its last 8 bytes, in the machine's byte order.
func decodeEvent(b []byte) event {
	t := b[len(b)-8:]
	return event{
		typ:   binary.NativeEndian.Uint16(t),
		code:  binary.NativeEndian.Uint16(t[2:]),
		value: int32(binary.NativeEndian.Uint32(t[4:])),
	}
}

// readEvents decodes a stream of size-byte input_events from r and passes
// each to fn, until r fails: an evdev device that is unplugged answers
// ENODEV, a stream that ends io.EOF (io.ErrUnexpectedEOF mid-event). The
// events of a report the kernel had to drop part of (SYN_DROPPED up to the
// next SYN_REPORT) are skipped.
func readEvents(r io.Reader, size int, fn func(event)) error {
	br := bufio.NewReaderSize(r, 64*size) // evdev hands out whole events, as many as fit
	buf := make([]byte, size)
	dropping := false
	for {
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		e := decodeEvent(buf)
		if e.typ == evSyn {
			switch e.code {
			case synDropped:
				dropping = true
			case synReport:
				dropping = false
			}
			continue
		}
		if !dropping {
			fn(e)
		}
	}
}
