package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"slices"
	"syscall"
	"testing"
)

// The same three events (BTN_SOUTH down, SYN_REPORT, BTN_SOUTH up) as a
// 64-bit kernel writes them (two 8-byte time fields) and as a 32-bit one
// does (two 4-byte ones), little-endian.
var (
	fixture64 = []byte{
		0x10, 0x32, 0x54, 0x66, 0, 0, 0, 0, 0x40, 0xe2, 0x01, 0, 0, 0, 0, 0, // time
		0x01, 0x00, 0x30, 0x01, 0x01, 0x00, 0x00, 0x00, // EV_KEY BTN_SOUTH 1
		0x10, 0x32, 0x54, 0x66, 0, 0, 0, 0, 0x40, 0xe2, 0x01, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // EV_SYN SYN_REPORT 0
		0x10, 0x32, 0x54, 0x66, 0, 0, 0, 0, 0x80, 0x1a, 0x06, 0, 0, 0, 0, 0,
		0x01, 0x00, 0x30, 0x01, 0x00, 0x00, 0x00, 0x00, // EV_KEY BTN_SOUTH 0
	}
	fixture32 = []byte{
		0x10, 0x32, 0x54, 0x66, 0x40, 0xe2, 0x01, 0,
		0x01, 0x00, 0x30, 0x01, 0x01, 0x00, 0x00, 0x00,
		0x10, 0x32, 0x54, 0x66, 0x40, 0xe2, 0x01, 0,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x10, 0x32, 0x54, 0x66, 0x80, 0x1a, 0x06, 0,
		0x01, 0x00, 0x30, 0x01, 0x00, 0x00, 0x00, 0x00,
	}
)

// littleEndian skips a test whose fixtures are little-endian on a machine
// that is not.
func littleEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the fixtures are little-endian")
	}
}

func TestEventSize(t *testing.T) {
	want := 16
	if bits.UintSize == 64 {
		want = 24
	}
	if eventSize != want {
		t.Errorf("eventSize = %d on a %d-bit machine, want %d", eventSize, bits.UintSize, want)
	}
}

func TestReadEventsLayouts(t *testing.T) {
	littleEndian(t)
	want := []event{{evKey, btnSouth, 1}, {evKey, btnSouth, 0}} // SYN_REPORT is not passed on
	for _, tc := range []struct {
		name string
		b    []byte
		size int
	}{
		{"64-bit", fixture64, 24},
		{"32-bit", fixture32, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []event
			err := readEvents(bytes.NewReader(tc.b), tc.size, func(e event) { got = append(got, e) })
			if !errors.Is(err, io.EOF) {
				t.Errorf("readEvents error = %v, want io.EOF", err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("readEvents = %v, want %v", got, want)
			}
		})
	}
}

func TestDecodeEventNegativeValue(t *testing.T) {
	b := encodeEvent(24, event{evAbs, absMTTrackingID, -1})
	if got, want := decodeEvent(b), (event{evAbs, absMTTrackingID, -1}); got != want {
		t.Errorf("decodeEvent = %v, want %v", got, want)
	}
}

func TestReadEventsDropped(t *testing.T) {
	// A report that overflowed the kernel's buffer is skipped from
	// SYN_DROPPED to the next SYN_REPORT.
	in := []event{
		{evKey, btnEast, 1}, {evSyn, synReport, 0},
		{evSyn, synDropped, 0}, {evKey, btnNorth, 1}, {evSyn, synReport, 0},
		{evKey, btnWest, 1}, {evSyn, synReport, 0},
	}
	want := []event{{evKey, btnEast, 1}, {evKey, btnWest, 1}}
	var got []event
	readEvents(bytes.NewReader(encodeEvents(eventSize, in...)), eventSize, func(e event) { got = append(got, e) })
	if !slices.Equal(got, want) {
		t.Errorf("readEvents = %v, want %v", got, want)
	}
}

// failingReader hands out b, then fails with err.
type failingReader struct {
	b   []byte
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadEventsErrors(t *testing.T) {
	one := encodeEvents(eventSize, event{evKey, btnSouth, 1})
	for _, tc := range []struct {
		name string
		r    io.Reader
		want error
		n    int
	}{
		{"unplugged", &failingReader{one, syscall.ENODEV}, syscall.ENODEV, 1},
		{"cut mid-event", bytes.NewReader(append(slices.Clone(one), one[:eventSize/2]...)), io.ErrUnexpectedEOF, 1},
		{"end", bytes.NewReader(one), io.EOF, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := readEvents(tc.r, eventSize, func(event) { n++ })
			if !errors.Is(err, tc.want) {
				t.Errorf("readEvents error = %v, want %v", err, tc.want)
			}
			if n != tc.n {
				t.Errorf("readEvents passed %d events, want %d", n, tc.n)
			}
		})
	}
}

// encodeEvent writes e as a size-byte input_event in the machine's byte
// order, with a zero time.
func encodeEvent(size int, e event) []byte {
	b := make([]byte, size)
	t := b[size-8:]
	binary.NativeEndian.PutUint16(t, e.typ)
	binary.NativeEndian.PutUint16(t[2:], e.code)
	binary.NativeEndian.PutUint32(t[4:], uint32(e.value))
	return b
}

// encodeEvents writes events one after the other.
func encodeEvents(size int, es ...event) []byte {
	var b []byte
	for _, e := range es {
		b = append(b, encodeEvent(size, e)...)
	}
	return b
}
