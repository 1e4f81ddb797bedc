package fb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"unsafe"

	"github.com/pairingd/pairingd/internal/fbdev"
)

// panel copies a canvas to the device: it rotates, stores native pixels
// little-endian, and writes only what differs from the last frame, kept
// in RAM (framebuffer memory is often uncached, so it is never read).
type panel struct {
	dev    *fbdev.Device
	bpp    int // bytes per pixel
	rot    int // 0, 90, 180 or 270, clockwise
	dw, dh int // device (visible) size
	lw, lh int // logical size

	prev  []byte // the last frame as written, dh rows of dw*bpp bytes
	valid bool   // prev is what the device shows
	row   []byte // one converted device row

	rowsWritten int // device rows written by the last flush, for tests
}

// logicalSize is the canvas size for a device of dw×dh rotated by rot.
func logicalSize(dw, dh, rot int) (int, int) {
	if rot == 90 || rot == 270 {
		return dh, dw
	}
	return dw, dh
}

func newPanel(dev *fbdev.Device, rot int) (panel, error) {
	f, err := dev.Format()
	if err != nil {
		return panel{}, err
	}
	switch rot {
	case 0, 90, 180, 270:
	default:
		return panel{}, fmt.Errorf("rotation %d is not 0, 90, 180 or 270", rot)
	}
	dw, dh := dev.Size()
	lw, lh := logicalSize(dw, dh, rot)
	bpp := f.BytesPerPixel
	return panel{
		dev: dev, bpp: bpp, rot: rot, dw: dw, dh: dh, lw: lw, lh: lh,
		prev: make([]byte, dw*dh*bpp),
		row:  make([]byte, dw*bpp),
	}, nil
}

// toDevice maps a logical rectangle to device coordinates.
func (p *panel) toDevice(r image.Rectangle) image.Rectangle {
	switch p.rot {
	case 90:
		return image.Rect(p.dw-r.Max.Y, r.Min.X, p.dw-r.Min.Y, r.Max.X)
	case 180:
		return image.Rect(p.dw-r.Max.X, p.dh-r.Max.Y, p.dw-r.Min.X, p.dh-r.Min.Y)
	case 270:
		return image.Rect(r.Min.Y, p.dh-r.Max.X, r.Max.Y, p.dh-r.Min.X)
	}
	return r
}

// source returns the canvas index of device pixel (dx, dy) and the step
// to the canvas index of (dx+1, dy).
func (p *panel) source(dx, dy int) (idx, step int) {
	switch p.rot {
	case 90: // lx = dy, ly = dw-1-dx
		return (p.dw-1-dx)*p.lw + dy, -p.lw
	case 180: // lx = dw-1-dx, ly = dh-1-dy
		return (p.dh-1-dy)*p.lw + p.dw - 1 - dx, -1
	case 270: // lx = dh-1-dy, ly = dx
		return dx*p.lw + p.dh - 1 - dy, p.lw
	}
	return dy*p.lw + dx, 1
}

// invalidate forgets the last frame, so that the next flush writes every
// row: after another VT drew on the screen.
func (p *panel) invalidate() { p.valid = false }

// flush copies logical rectangle r of c to the device, row by row in
// device order, writing only the bytes of each row that differ from the
// last frame. A flush of the whole canvas makes the last frame valid.
func (p *panel) flush(c *canvas, r image.Rectangle) {
	r = r.Intersect(image.Rect(0, 0, p.lw, p.lh))
	p.rowsWritten = 0
	if r.Empty() {
		return
	}
	dr := p.toDevice(r)
	bpp := p.bpp
	rowBytes := p.dw * bpp
	x0, x1 := dr.Min.X*bpp, dr.Max.X*bpp
	n := dr.Dx()
	mem := p.dev.Mem
	base, stride := p.dev.PixOffset(0, 0), p.dev.Stride()
	direct := bpp == 4 && p.rot == 0 && littleEndian
	buf := p.row[x0:x1]
	for dy := dr.Min.Y; dy < dr.Max.Y; dy++ {
		idx, step := p.source(dr.Min.X, dy)
		if direct {
			// The canvas row already is the device row, byte for byte.
			buf = unsafe.Slice((*byte)(unsafe.Pointer(&c.pix[idx])), 4*n)
		} else {
			convert(buf, c.pix, idx, step, n, bpp)
		}
		old := p.prev[dy*rowBytes+x0 : dy*rowBytes+x1]
		a, b := 0, len(buf)
		if p.valid {
			a, b = diffSpan(buf, old)
			if a == b {
				continue
			}
		}
		copy(old[a:b], buf[a:b])
		off := base + dy*stride + x0
		copy(mem[off+a:off+b], buf[a:b])
		p.rowsWritten++
	}
	if r == image.Rect(0, 0, p.lw, p.lh) {
		p.valid = true
	}
}

// littleEndian is true on hosts that store a uint32 with its low byte
// first, where a 32-bpp canvas row needs no conversion.
var littleEndian = func() bool {
	x := uint32(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// convert stores n canvas pixels, starting at index idx and stepping by
// step, as little-endian pixels of bpp bytes in dst. The loops are
// specialised: this is most of a full redraw's time.
func convert(dst []byte, pix []uint32, idx, step, n, bpp int) {
	switch bpp {
	case 4:
		dst = dst[:4*n]
		if step == 1 {
			for i, v := range pix[idx : idx+n] {
				binary.LittleEndian.PutUint32(dst[4*i:], v)
			}
			return
		}
		for i := 0; i < len(dst); i += 4 {
			binary.LittleEndian.PutUint32(dst[i:], pix[idx])
			idx += step
		}
	case 2:
		dst = dst[:2*n]
		if step == 1 {
			for i, v := range pix[idx : idx+n] {
				binary.LittleEndian.PutUint16(dst[2*i:], uint16(v))
			}
			return
		}
		for i := 0; i < len(dst); i += 2 {
			binary.LittleEndian.PutUint16(dst[i:], uint16(pix[idx]))
			idx += step
		}
	case 3:
		dst = dst[:3*n]
		for i := 0; i+2 < len(dst); i += 3 {
			v := pix[idx]
			dst[i], dst[i+1], dst[i+2] = byte(v), byte(v>>8), byte(v>>16)
			idx += step
		}
	}
}

// diffSpan returns the byte range [a, b) of x outside of which x and y
// (of equal length) agree; a == b when they are equal. It compares in
// chunks, since most of a row is usually unchanged.
func diffSpan(x, y []byte) (a, b int) {
	const chunk = 64
	n := len(x)
	for a < n {
		e := min(a+chunk, n)
		if !bytes.Equal(x[a:e], y[a:e]) {
			break
		}
		a = e
	}
	if a == n {
		return n, n
	}
	for x[a] == y[a] {
		a++
	}
	b = n
	for b-a > chunk {
		s := b - chunk
		if !bytes.Equal(x[s:b], y[s:b]) {
			break
		}
		b = s
	}
	for x[b-1] == y[b-1] {
		b--
	}
	return a, b
}
