package fbdev

// Ioctl requests from linux/fb.h. They are plain numbers, not _IOR
// encodings, so they are the same on every architecture.
const (
	// FBIOGET_VSCREENINFO reads a VarScreeninfo.
	FBIOGET_VSCREENINFO = 0x4600
	// FBIOPUT_VSCREENINFO writes a VarScreeninfo.
	FBIOPUT_VSCREENINFO = 0x4601
	// FBIOGET_FSCREENINFO reads a FixScreeninfo.
	FBIOGET_FSCREENINFO = 0x4602
	// FBIOPAN_DISPLAY pans to a VarScreeninfo's xoffset and yoffset.
	FBIOPAN_DISPLAY = 0x4606
	// FBIOBLANK blanks or unblanks the screen (FB_BLANK_*).
	FBIOBLANK = 0x4611
)

// FB_BLANK_UNBLANK is FBIOBLANK's argument that turns the screen on.
const FB_BLANK_UNBLANK = 0

// Framebuffer types (FixScreeninfo.Type).
const (
	// FB_TYPE_PACKED_PIXELS is the only type this package draws on.
	FB_TYPE_PACKED_PIXELS = 0
	// FB_TYPE_PLANES is non-interleaved planes.
	FB_TYPE_PLANES = 1
)

// Visuals (FixScreeninfo.Visual).
const (
	// FB_VISUAL_MONO01 is monochrome, 1 = black.
	FB_VISUAL_MONO01 = 0
	// FB_VISUAL_MONO10 is monochrome, 1 = white.
	FB_VISUAL_MONO10 = 1
	// FB_VISUAL_TRUECOLOR has pixels made of bitfields that are colour
	// intensities.
	FB_VISUAL_TRUECOLOR = 2
	// FB_VISUAL_PSEUDOCOLOR has pixels that index a colour map.
	FB_VISUAL_PSEUDOCOLOR = 3
	// FB_VISUAL_DIRECTCOLOR has bitfields that index per-channel colour
	// maps; the default maps are (near) linear, so it is drawn as
	// TRUECOLOR.
	FB_VISUAL_DIRECTCOLOR = 4
	// FB_VISUAL_STATIC_PSEUDOCOLOR is pseudocolour with a read-only map.
	FB_VISUAL_STATIC_PSEUDOCOLOR = 5
	// FB_VISUAL_FOURCC has a FOURCC pixel format in VarScreeninfo.Grayscale.
	FB_VISUAL_FOURCC = 6
)

// Bitfield is linux/fb.h's struct fb_bitfield: where one colour channel
// lies in a pixel value.
type Bitfield struct {
	// Offset is the channel's lowest bit.
	Offset uint32
	// Length is the channel's number of bits.
	Length uint32
	// MSBRight is non-zero when the most significant bit is on the right.
	MSBRight uint32
}

// VarScreeninfo is linux/fb.h's struct fb_var_screeninfo, read with
// FBIOGET_VSCREENINFO. Every field is a __u32, so it is 160 bytes on every
// architecture.
type VarScreeninfo struct {
	// Xres and Yres are the visible resolution.
	Xres, Yres uint32
	// XresVirtual and YresVirtual are the virtual resolution.
	XresVirtual, YresVirtual uint32
	// Xoffset and Yoffset are the visible area's offset in the virtual
	// screen (panning).
	Xoffset, Yoffset uint32
	// BitsPerPixel is the size of a pixel.
	BitsPerPixel uint32
	// Grayscale is 0 for colour, 1 for grayscale and >1 for a FOURCC code.
	Grayscale uint32
	// Red, Green and Blue locate the colour channels in a pixel.
	Red, Green, Blue Bitfield
	// Transp locates the transparency (alpha) channel, if any.
	Transp Bitfield
	// Nonstd is non-zero for a non-standard pixel format.
	Nonstd uint32
	// Activate says when a FBIOPUT_VSCREENINFO takes effect.
	Activate uint32
	// Height and Width are the picture's size in millimetres.
	Height, Width uint32
	// AccelFlags is obsolete.
	AccelFlags uint32
	// Pixclock is the pixel clock in picoseconds.
	Pixclock uint32
	// LeftMargin is the time from sync to picture.
	LeftMargin uint32
	// RightMargin is the time from picture to sync.
	RightMargin uint32
	// UpperMargin is the time from sync to picture.
	UpperMargin uint32
	// LowerMargin is the time from picture to sync.
	LowerMargin uint32
	// HsyncLen is the length of the horizontal sync.
	HsyncLen uint32
	// VsyncLen is the length of the vertical sync.
	VsyncLen uint32
	// Sync holds FB_SYNC_* flags.
	Sync uint32
	// Vmode holds FB_VMODE_* flags.
	Vmode uint32
	// Rotate is the angle the driver rotates counter-clockwise; almost no
	// driver honours it, so this package ignores it.
	Rotate uint32
	// Colorspace is the colourspace for FOURCC-based modes.
	Colorspace uint32
	// Reserved is reserved for future compatibility.
	Reserved [4]uint32
}

// FixScreeninfo is linux/fb.h's struct fb_fix_screeninfo, read with
// FBIOGET_FSCREENINFO. C's unsigned long is uintptr, so the layout (with
// the compiler's padding) is the kernel's on every architecture: 80 bytes
// on 64-bit, 68 on 32-bit.
type FixScreeninfo struct {
	// ID identifies the driver, NUL-padded ("vc4drmfb", "VESA VGA").
	ID [16]byte
	// SmemStart is the physical start of the framebuffer memory (often
	// hidden as 0 by the kernel).
	SmemStart uintptr
	// SmemLen is the length of the framebuffer memory.
	SmemLen uint32
	// Type is FB_TYPE_*.
	Type uint32
	// TypeAux is the interleave for interleaved planes.
	TypeAux uint32
	// Visual is FB_VISUAL_*.
	Visual uint32
	// Xpanstep is zero when the hardware cannot pan horizontally.
	Xpanstep uint16
	// Ypanstep is zero when the hardware cannot pan vertically.
	Ypanstep uint16
	// Ywrapstep is zero when the hardware cannot ywrap.
	Ywrapstep uint16
	// LineLength is the length of a line in bytes: the stride.
	LineLength uint32
	// MmioStart is the physical start of memory-mapped I/O.
	MmioStart uintptr
	// MmioLen is the length of memory-mapped I/O.
	MmioLen uint32
	// Accel identifies the acceleration chip.
	Accel uint32
	// Capabilities holds FB_CAP_* flags.
	Capabilities uint16
	// Reserved is reserved for future compatibility.
	Reserved [2]uint16
}

// IDString returns the driver's identification without its NUL padding.
func (f *FixScreeninfo) IDString() string {
	for i, c := range f.ID {
		if c == 0 {
			return string(f.ID[:i])
		}
	}
	return string(f.ID[:])
}

// NewScreeninfo returns the screen info of a packed true-colour framebuffer
// of width×height pixels at bpp bits per pixel (16, 24 or 32) with no line
// padding and no panning, as a typical driver reports it: RGB565, RGB888 or
// XRGB8888, or with bgr the same with red and blue swapped (BGR565, BGR888,
// XBGR8888). It is for NewMemory, OpenFile and tests; change LineLength
// (and SmemLen) for padded lines, YresVirtual and Yoffset for panning.
// An unsupported bpp gives screen info that Open's checks reject.
func NewScreeninfo(width, height, bpp int, bgr bool) (VarScreeninfo, FixScreeninfo) {
	v := VarScreeninfo{
		Xres: uint32(width), Yres: uint32(height),
		XresVirtual: uint32(width), YresVirtual: uint32(height),
		BitsPerPixel: uint32(bpp),
	}
	switch bpp {
	case 16:
		v.Red, v.Green, v.Blue = Bitfield{Offset: 11, Length: 5}, Bitfield{Offset: 5, Length: 6}, Bitfield{Offset: 0, Length: 5}
	case 24, 32:
		v.Red, v.Green, v.Blue = Bitfield{Offset: 16, Length: 8}, Bitfield{Offset: 8, Length: 8}, Bitfield{Offset: 0, Length: 8}
		if bpp == 32 {
			v.Transp = Bitfield{Offset: 24, Length: 8}
		}
	}
	if bgr {
		v.Red.Offset, v.Blue.Offset = v.Blue.Offset, v.Red.Offset
	}
	f := FixScreeninfo{
		Type:       FB_TYPE_PACKED_PIXELS,
		Visual:     FB_VISUAL_TRUECOLOR,
		LineLength: uint32(width * bpp / 8),
	}
	copy(f.ID[:], "pairingd-mem")
	f.SmemLen = f.LineLength * uint32(height)
	return v, f
}
