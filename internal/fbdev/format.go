package fbdev

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kind names a common pixel format that Encode has a fast path for. The
// name lists channels from the most significant bit of the pixel value,
// as DRM fourcc names do, so XRGB8888 is stored as the bytes B, G, R, X.
type Kind uint8

// Kinds of pixel format.
const (
	// Generic is any other layout, encoded with shifts from the bitfields.
	Generic Kind = iota
	// XRGB8888 is 32 bpp, red at bit 16, green at 8, blue at 0; the top
	// byte is padding or alpha.
	XRGB8888
	// XBGR8888 is 32 bpp, blue at bit 16, green at 8, red at 0.
	XBGR8888
	// RGB565 is 16 bpp, red at bit 11, green at 5 (6 bits), blue at 0.
	RGB565
	// BGR565 is 16 bpp, blue at bit 11, green at 5, red at 0.
	BGR565
	// RGB888 is 24 bpp packed, red at bit 16, green at 8, blue at 0.
	RGB888
	// BGR888 is 24 bpp packed, blue at bit 16, green at 8, red at 0.
	BGR888
)

var kindNames = [...]string{"generic", "XRGB8888", "XBGR8888", "RGB565", "BGR565", "RGB888", "BGR888"}

// String returns the kind's name, for example "XRGB8888".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Format is a packed true-colour pixel format, derived from a
// VarScreeninfo's bitfields.
type Format struct {
	// BytesPerPixel is 2, 3 or 4.
	BytesPerPixel int
	// Red, Green, Blue and Transp are the channels' bitfields.
	Red, Green, Blue, Transp Bitfield
	// Kind is the common format this is, or Generic.
	Kind Kind
	// pad has every bit of the pixel that is not red, green or blue set:
	// the transp (alpha) bits and unused X bits. Encode sets them all,
	// since some panels treat them as opacity.
	pad uint32
}

// FormatOf derives the pixel format from v's bits_per_pixel and bitfields.
// It refuses grayscale and FOURCC modes, a bpp other than 16, 24 and 32,
// MSB-right bitfields, and channels that are empty, longer than 16 bits,
// outside the pixel or overlapping.
func FormatOf(v VarScreeninfo) (Format, error) {
	var f Format
	switch v.Grayscale {
	case 0:
	case 1:
		return f, errors.New("pixel format: grayscale framebuffers are not supported")
	default:
		return f, fmt.Errorf("pixel format: FOURCC %q framebuffers are not supported", fourcc(v.Grayscale))
	}
	switch v.BitsPerPixel {
	case 16, 24, 32:
	default:
		return f, fmt.Errorf("pixel format: %d bits per pixel is not supported (want 16, 24 or 32)", v.BitsPerPixel)
	}
	f.BytesPerPixel = int(v.BitsPerPixel / 8)
	f.Red, f.Green, f.Blue, f.Transp = v.Red, v.Green, v.Blue, v.Transp
	all := uint32(1<<v.BitsPerPixel - 1)
	if v.BitsPerPixel == 32 {
		all = 0xffffffff
	}
	var used uint32
	for _, c := range []struct {
		name  string
		field Bitfield
		color bool
	}{{"red", v.Red, true}, {"green", v.Green, true}, {"blue", v.Blue, true}, {"transp", v.Transp, false}} {
		b := c.field
		if b.Length == 0 && !c.color {
			continue
		}
		if b.MSBRight != 0 {
			return f, fmt.Errorf("pixel format: %s bitfield is MSB-right, which is not supported", c.name)
		}
		if b.Length == 0 || b.Length > 16 {
			return f, fmt.Errorf("pixel format: %s bitfield has %d bits (want 1 to 16)", c.name, b.Length)
		}
		if b.Offset+b.Length > v.BitsPerPixel {
			return f, fmt.Errorf("pixel format: %s bitfield %d/%d lies outside a %d-bit pixel", c.name, b.Offset, b.Length, v.BitsPerPixel)
		}
		m := mask(b)
		if used&m != 0 {
			return f, fmt.Errorf("pixel format: %s bitfield %d/%d overlaps another channel", c.name, b.Offset, b.Length)
		}
		used |= m
	}
	f.pad = all &^ (mask(v.Red) | mask(v.Green) | mask(v.Blue))
	f.Kind = kindOf(f)
	return f, nil
}

// fourcc spells a FOURCC code.
func fourcc(c uint32) string {
	return string([]byte{byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)})
}

// mask returns the bits of b in a pixel value.
func mask(b Bitfield) uint32 {
	return (1<<b.Length - 1) << b.Offset
}

// kindOf recognises the formats with fast paths.
func kindOf(f Format) Kind {
	is := func(r, g, b Bitfield, rOff, gOff, bOff, rLen, gLen, bLen uint32) bool {
		return r.Offset == rOff && g.Offset == gOff && b.Offset == bOff &&
			r.Length == rLen && g.Length == gLen && b.Length == bLen
	}
	r, g, b := f.Red, f.Green, f.Blue
	switch f.BytesPerPixel {
	case 4:
		if f.pad != 0xff000000 {
			return Generic
		}
		switch {
		case is(r, g, b, 16, 8, 0, 8, 8, 8):
			return XRGB8888
		case is(r, g, b, 0, 8, 16, 8, 8, 8):
			return XBGR8888
		}
	case 3:
		switch {
		case is(r, g, b, 16, 8, 0, 8, 8, 8):
			return RGB888
		case is(r, g, b, 0, 8, 16, 8, 8, 8):
			return BGR888
		}
	case 2:
		switch {
		case is(r, g, b, 11, 5, 0, 5, 6, 5):
			return RGB565
		case is(r, g, b, 0, 5, 11, 5, 6, 5):
			return BGR565
		}
	}
	return Generic
}

// String describes the format: the Kind's name, or the bitfields of a
// generic one ("32bpp R24/8 G16/8 B8/8 T0/8").
func (f Format) String() string {
	if f.Kind != Generic {
		return f.Kind.String()
	}
	s := fmt.Sprintf("%dbpp R%d/%d G%d/%d B%d/%d", f.BytesPerPixel*8,
		f.Red.Offset, f.Red.Length, f.Green.Offset, f.Green.Length, f.Blue.Offset, f.Blue.Length)
	if f.Transp.Length > 0 {
		s += fmt.Sprintf(" T%d/%d", f.Transp.Offset, f.Transp.Length)
	}
	return s
}

// Encode returns the pixel value of the colour r, g, b: each 8-bit
// channel shortened (or widened by repeating its bits) to its bitfield's
// length and shifted to its offset, with every transp and padding bit set
// to one (opaque). Store it with Put.
func (f Format) Encode(r, g, b uint8) uint32 {
	switch f.Kind {
	case XRGB8888:
		return 0xff000000 | uint32(r)<<16 | uint32(g)<<8 | uint32(b)
	case XBGR8888:
		return 0xff000000 | uint32(b)<<16 | uint32(g)<<8 | uint32(r)
	case RGB565:
		return uint32(r>>3)<<11 | uint32(g>>2)<<5 | uint32(b>>3)
	case BGR565:
		return uint32(b>>3)<<11 | uint32(g>>2)<<5 | uint32(r>>3)
	case RGB888:
		return uint32(r)<<16 | uint32(g)<<8 | uint32(b)
	case BGR888:
		return uint32(b)<<16 | uint32(g)<<8 | uint32(r)
	}
	return f.pad | channel(r, f.Red) | channel(g, f.Green) | channel(b, f.Blue)
}

// channel fits the 8-bit intensity v into bitfield b.
func channel(v uint8, b Bitfield) uint32 {
	x := uint32(v)
	if b.Length <= 8 {
		x >>= 8 - b.Length
	} else {
		// Widen by repeating the top bits: 0xff becomes all ones.
		x = x<<(b.Length-8) | x>>(16-b.Length)
	}
	return x << b.Offset
}

// Decode returns the 8-bit intensities of pixel value px, widening short
// channels by repeating their bits so that all ones is 0xff: what the
// panel shows, for screenshots and tests.
func (f Format) Decode(px uint32) (r, g, b uint8) {
	return unchannel(px, f.Red), unchannel(px, f.Green), unchannel(px, f.Blue)
}

// unchannel reads bitfield b of px as an 8-bit intensity.
func unchannel(px uint32, b Bitfield) uint8 {
	if b.Length == 0 {
		return 0
	}
	v := px >> b.Offset & (1<<b.Length - 1)
	if b.Length >= 8 {
		return uint8(v >> (b.Length - 8))
	}
	// Repeat the bits until there are at least 8, then keep the top 8.
	x, n := v, b.Length
	for n < 8 {
		x = x<<b.Length | v
		n += b.Length
	}
	return uint8(x >> (n - 8))
}

// Put stores pixel value px in dst[:f.BytesPerPixel], little-endian.
func (f Format) Put(dst []byte, px uint32) {
	switch f.BytesPerPixel {
	case 4:
		binary.LittleEndian.PutUint32(dst, px)
	case 3:
		_ = dst[2]
		dst[0], dst[1], dst[2] = byte(px), byte(px>>8), byte(px>>16)
	case 2:
		binary.LittleEndian.PutUint16(dst, uint16(px))
	}
}

// Get loads the little-endian pixel value at src[:f.BytesPerPixel].
func (f Format) Get(src []byte) uint32 {
	switch f.BytesPerPixel {
	case 4:
		return binary.LittleEndian.Uint32(src)
	case 3:
		_ = src[2]
		return uint32(src[0]) | uint32(src[1])<<8 | uint32(src[2])<<16
	case 2:
		return uint32(binary.LittleEndian.Uint16(src))
	}
	return 0
}
