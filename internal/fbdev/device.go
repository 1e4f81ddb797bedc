package fbdev

import (
	"errors"
	"fmt"
	"image"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is a mapped framebuffer: a /dev/fbN device (Open), a regular file
// (OpenFile) or plain memory (NewMemory). Its methods are not safe for
// concurrent use; the display that owns it locks.
type Device struct {
	// Path is the device or file, "" for memory.
	Path string
	// Var is the variable screen info: resolution, panning, bitfields.
	Var VarScreeninfo
	// Fix is the fixed screen info: stride (LineLength), memory size.
	Fix FixScreeninfo
	// Mem is the framebuffer memory from its first byte. The visible pixel
	// (x, y) starts at PixOffset(x, y).
	Mem []byte

	fd      int    // the device or file, -1 for memory
	mapping []byte // what was mmapped, to unmap; nil for memory
	format  Format
}

// Open opens the framebuffer device at path (usually /dev/fb0), reads its
// screen info, checks that it is a packed true-colour framebuffer of 16,
// 24 or 32 bpp whose visible area lies inside its memory, maps the memory
// and unblanks the screen. A missing device or a denied one gives an error
// that says what to do about it.
func Open(path string) (*Device, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	d := &Device{Path: path, fd: fd}
	if err := d.open(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// The console blanker may have turned the screen off. Drivers without
	// blanking fail this, which does not matter.
	_ = unix.IoctlSetInt(fd, FBIOBLANK, FB_BLANK_UNBLANK)
	return d, nil
}

// openError explains why opening a framebuffer device failed and what to
// do about it.
func openError(path string, err error) error {
	pe := &os.PathError{Op: "open", Path: path, Err: err}
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf(`%w: add the user to the "video" group (or run with SupplementaryGroups=video)`, pe)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("%w: no such device: this kernel has no framebuffer (CONFIG_FB / DRM fbdev emulation); use --display term", pe)
	}
	return pe
}

// open reads the screen info of d.fd, checks it and maps the memory.
func (d *Device) open() error {
	if err := ioctlPtr(d.fd, FBIOGET_VSCREENINFO, unsafe.Pointer(&d.Var)); err != nil {
		return fmt.Errorf("reading screen info of %s (FBIOGET_VSCREENINFO): %w%s", d.Path, err, notFB(err))
	}
	if err := ioctlPtr(d.fd, FBIOGET_FSCREENINFO, unsafe.Pointer(&d.Fix)); err != nil {
		return fmt.Errorf("reading screen info of %s (FBIOGET_FSCREENINFO): %w%s", d.Path, err, notFB(err))
	}
	fixLineLength(&d.Var, &d.Fix)
	if _, err := check(d.Var, d.Fix, -1); err != nil {
		return fmt.Errorf("%s (%s): %w", d.Path, d.Fix.IDString(), err)
	}
	size := int(d.Fix.SmemLen)
	if size == 0 {
		size = int(d.Fix.LineLength) * int(d.Var.YresVirtual)
	}
	// mmap maps whole pages: when smem_start is not page aligned, the
	// framebuffer starts that far into the mapping (as psplash does).
	pageOff := int(d.Fix.SmemStart) & (os.Getpagesize() - 1)
	m, err := unix.Mmap(d.fd, 0, pageOff+size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mapping %d bytes of framebuffer %s: %w", pageOff+size, d.Path, err)
	}
	d.mapping = m
	d.Mem = m[pageOff : pageOff+size]
	f, err := check(d.Var, d.Fix, len(d.Mem))
	if err != nil {
		d.unmap()
		return fmt.Errorf("%s (%s): %w", d.Path, d.Fix.IDString(), err)
	}
	d.format = f
	return nil
}

// notFB adds a hint when an ioctl says the file is not a framebuffer.
func notFB(err error) string {
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
		return ": not a framebuffer device"
	}
	return ""
}

// fixLineLength fills in a zero line_length, which a few old drivers
// report, from the virtual width.
func fixLineLength(v *VarScreeninfo, f *FixScreeninfo) {
	if f.LineLength == 0 {
		f.LineLength = v.XresVirtual * v.BitsPerPixel / 8
	}
}

// OpenFile maps the regular file at path as a framebuffer with screen info
// v and f, for tests and for rendering to a file. The file must exist and
// hold at least SmemLen bytes (or LineLength*YresVirtual when SmemLen is
// 0); what is drawn is written to it.
func OpenFile(path string, v VarScreeninfo, f FixScreeninfo) (*Device, error) {
	fixLineLength(&v, &f)
	if _, err := check(v, f, -1); err != nil {
		return nil, fmt.Errorf("mapping %s as a framebuffer: %w", path, err)
	}
	size := memSize(v, f)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("mapping %s as a framebuffer: %w", path, &os.PathError{Op: "open", Path: path, Err: err})
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping %s as a framebuffer: %w", path, &os.PathError{Op: "stat", Path: path, Err: err})
	}
	if st.Size < int64(size) {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping %s as a framebuffer: the file has %d bytes, the screen info needs %d", path, st.Size, size)
	}
	m, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping %s as a framebuffer: mmap of %d bytes: %w", path, size, err)
	}
	d := &Device{Path: path, Var: v, Fix: f, Mem: m, fd: fd, mapping: m}
	if d.format, err = check(v, f, len(m)); err != nil {
		d.Close()
		return nil, fmt.Errorf("mapping %s as a framebuffer: %w", path, err)
	}
	return d, nil
}

// NewMemory returns a framebuffer in ordinary memory with screen info v
// and f, zeroed (black), for tests and for rendering to an image.
func NewMemory(v VarScreeninfo, f FixScreeninfo) (*Device, error) {
	fixLineLength(&v, &f)
	if _, err := check(v, f, -1); err != nil {
		return nil, fmt.Errorf("making a framebuffer in memory: %w", err)
	}
	d := &Device{Var: v, Fix: f, Mem: make([]byte, memSize(v, f)), fd: -1}
	var err error
	if d.format, err = check(v, f, len(d.Mem)); err != nil {
		return nil, fmt.Errorf("making a framebuffer in memory: %w", err)
	}
	return d, nil
}

// memSize is the memory a framebuffer needs: smem_len, or the virtual
// screen when that is larger or smem_len is unset.
func memSize(v VarScreeninfo, f FixScreeninfo) int {
	return max(int(f.SmemLen), int(f.LineLength)*int(v.YresVirtual))
}

// check validates screen info and returns its pixel format. With memLen
// >= 0 it also checks that the visible area lies inside memLen bytes.
func check(v VarScreeninfo, f FixScreeninfo, memLen int) (Format, error) {
	if f.Type != FB_TYPE_PACKED_PIXELS {
		return Format{}, fmt.Errorf("framebuffer type %d is not packed pixels (planar and text framebuffers are not supported)", f.Type)
	}
	switch f.Visual {
	case FB_VISUAL_TRUECOLOR, FB_VISUAL_DIRECTCOLOR:
	default:
		return Format{}, fmt.Errorf("framebuffer visual is %s; only true colour and direct colour are supported", visualName(f.Visual))
	}
	pf, err := FormatOf(v)
	if err != nil {
		return Format{}, err
	}
	if v.Xres == 0 || v.Yres == 0 {
		return Format{}, fmt.Errorf("framebuffer has an empty visible area %dx%d", v.Xres, v.Yres)
	}
	bpp := uint64(pf.BytesPerPixel)
	if right := (uint64(v.Xoffset) + uint64(v.Xres)) * bpp; right > uint64(f.LineLength) {
		return Format{}, fmt.Errorf("visible area %dx%d at x offset %d needs %d bytes per line, line_length is %d",
			v.Xres, v.Yres, v.Xoffset, right, f.LineLength)
	}
	if memLen >= 0 {
		if end := (uint64(v.Yoffset) + uint64(v.Yres)) * uint64(f.LineLength); end > uint64(memLen) {
			return Format{}, fmt.Errorf("visible area %dx%d at offset (%d,%d) with line_length %d needs %d bytes, the framebuffer has %d",
				v.Xres, v.Yres, v.Xoffset, v.Yoffset, f.LineLength, end, memLen)
		}
	}
	return pf, nil
}

// visualName names an FB_VISUAL_* value.
func visualName(v uint32) string {
	switch v {
	case FB_VISUAL_MONO01, FB_VISUAL_MONO10:
		return "monochrome"
	case FB_VISUAL_TRUECOLOR:
		return "true colour"
	case FB_VISUAL_PSEUDOCOLOR:
		return "pseudocolour (a colour map)"
	case FB_VISUAL_DIRECTCOLOR:
		return "direct colour"
	case FB_VISUAL_STATIC_PSEUDOCOLOR:
		return "static pseudocolour (a colour map)"
	case FB_VISUAL_FOURCC:
		return "FOURCC"
	}
	return fmt.Sprintf("unknown (%d)", v)
}

// Format returns the pixel format derived from the bitfields.
func (d *Device) Format() (Format, error) {
	if d.format.BytesPerPixel != 0 {
		return d.format, nil
	}
	return FormatOf(d.Var)
}

// Size returns the visible resolution, xres×yres.
func (d *Device) Size() (width, height int) {
	return int(d.Var.Xres), int(d.Var.Yres)
}

// Visible returns the visible area in the virtual screen:
// Rect(xoffset, yoffset, xoffset+xres, yoffset+yres).
func (d *Device) Visible() image.Rectangle {
	v := d.Var
	return image.Rect(int(v.Xoffset), int(v.Yoffset), int(v.Xoffset+v.Xres), int(v.Yoffset+v.Yres))
}

// Stride returns the length of a line in bytes, line_length.
func (d *Device) Stride() int {
	return int(d.Fix.LineLength)
}

// PixOffset returns where the visible pixel (x, y) starts in Mem:
// (y+yoffset)*line_length + (x+xoffset)*bytes per pixel.
func (d *Device) PixOffset(x, y int) int {
	return (y+int(d.Var.Yoffset))*int(d.Fix.LineLength) + (x+int(d.Var.Xoffset))*int(d.Var.BitsPerPixel/8)
}

// Refresh reads the variable screen info of a device again, to follow the
// panning of another program that double-buffers. It is an error when the
// mode itself (resolution or pixel format) has changed: then the device has
// to be opened again. For memory and files it does nothing.
func (d *Device) Refresh() error {
	if d.fd < 0 || d.Path == "" || d.mapping == nil || !d.isDevice() {
		return nil
	}
	var v VarScreeninfo
	if err := ioctlPtr(d.fd, FBIOGET_VSCREENINFO, unsafe.Pointer(&v)); err != nil {
		return fmt.Errorf("reading screen info of %s again: %w", d.Path, err)
	}
	old := d.Var
	if v.Xres != old.Xres || v.Yres != old.Yres || v.BitsPerPixel != old.BitsPerPixel ||
		v.Red != old.Red || v.Green != old.Green || v.Blue != old.Blue || v.Transp != old.Transp {
		return fmt.Errorf("screen mode of %s changed from %dx%dx%d to %dx%dx%d: open it again",
			d.Path, old.Xres, old.Yres, old.BitsPerPixel, v.Xres, v.Yres, v.BitsPerPixel)
	}
	if _, err := check(v, d.Fix, len(d.Mem)); err != nil {
		return fmt.Errorf("screen info of %s after panning: %w", d.Path, err)
	}
	d.Var = v
	return nil
}

// isDevice reports whether d.fd is a character device (not a file).
func (d *Device) isDevice() bool {
	var st unix.Stat_t
	if unix.Fstat(d.fd, &st) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR
}

// Close unmaps the memory and closes the device. Mem must not be used
// afterwards. Calling it again does nothing.
func (d *Device) Close() error {
	err := d.unmap()
	if d.fd >= 0 {
		if cerr := unix.Close(d.fd); cerr != nil && err == nil {
			err = fmt.Errorf("closing framebuffer %s: %w", d.Path, cerr)
		}
		d.fd = -1
	}
	d.Mem = nil
	return err
}

// unmap unmaps the memory, once.
func (d *Device) unmap() error {
	if d.mapping == nil {
		return nil
	}
	m := d.mapping
	d.mapping, d.Mem = nil, nil
	if err := unix.Munmap(m); err != nil {
		return fmt.Errorf("unmapping framebuffer %s: %w", d.Path, err)
	}
	return nil
}

// ioctlPtr calls ioctl(fd, req, p).
func ioctlPtr(fd int, req uintptr, p unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(p))
	if e != 0 {
		return e
	}
	return nil
}
