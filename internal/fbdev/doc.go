// Package fbdev opens a Linux framebuffer device (/dev/fbN), maps its
// memory and describes its pixel format, without cgo.
//
// It follows the kernel's Documentation/fb/api.rst, which warns that
// "applications should be prepared to deal with different behaviours":
//
//   - Both fb_var_screeninfo and fb_fix_screeninfo are read
//     (FBIOGET_VSCREENINFO, FBIOGET_FSCREENINFO). Their Go mirrors,
//     VarScreeninfo and FixScreeninfo, have linux/fb.h's layout on every
//     architecture: the var struct is all __u32, and the fix struct's
//     unsigned long fields are uintptr.
//   - The stride is fix.line_length, never xres*bpp/8: many drivers pad
//     lines (a Raspberry Pi at 1366×768×16 has a line of 2752 bytes).
//   - The visible area is Rect(xoffset, yoffset, xoffset+xres,
//     yoffset+yres) of the virtual screen; a driver that double-buffers by
//     panning shows the second page, and pixels must land there.
//   - The pixel format comes from the red, green, blue and transp
//     bitfields, not from bits_per_pixel alone: 32 bpp may be XRGB8888 or
//     XBGR8888, 16 bpp RGB565 or BGR565. Only packed pixels with a
//     TRUECOLOR or DIRECTCOLOR visual at 16, 24 or 32 bpp are accepted;
//     pseudocolour, grayscale, FOURCC and planar layouts are refused with
//     an error that names them. Pixels are stored little-endian, as on
//     every ARM and x86 board this is for.
//
// Open is for a real device; OpenFile maps a regular file and NewMemory a
// byte slice with given screen info, so that tests and "pairingd render"
// draw through the same code as a device (this machine's kernel has no
// CONFIG_FB at all).
//
// AcquireConsole switches the virtual terminal to KD_GRAPHICS so that fbcon
// and its cursor stop drawing over the framebuffer, and Restore puts
// KD_TEXT back. VT switching is handled by polling (Console.Active) rather
// than VT_PROCESS signals: see console.go.
//
// Drawing the QR code itself, with its ISO/IEC 18004 quiet zone of four
// light modules, is package display/fb's job.
package fbdev
