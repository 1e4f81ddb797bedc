package vmtest

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
)

// ReadPPM decodes a binary PPM (P6) with a maximum value of 255, as QEMU's
// screendump writes it: "P6\n<width> <height>\n255\n" and the RGB bytes.
// Comments ('#' to the end of a line) between the header fields are
// skipped, as the format allows.
func ReadPPM(r io.Reader) (*image.RGBA, error) {
	br := bufio.NewReader(r)
	var f [4]int
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, fmt.Errorf("ppm: %w", err)
	}
	if string(magic) != "P6" {
		return nil, fmt.Errorf("ppm: magic %q, want P6", magic)
	}
	for i := 1; i < len(f); i++ {
		n, err := ppmField(br)
		if err != nil {
			return nil, fmt.Errorf("ppm: header field %d: %w", i, err)
		}
		f[i] = n
	}
	w, h, maxval := f[1], f[2], f[3]
	if maxval != 255 {
		return nil, fmt.Errorf("ppm: maximum value %d, want 255", maxval)
	}
	if w <= 0 || h <= 0 || w > 1<<14 || h > 1<<14 {
		return nil, fmt.Errorf("ppm: size %dx%d", w, h)
	}
	// ppmField consumed the one whitespace byte after the maximum value.
	px := make([]byte, 3*w*h)
	if _, err := io.ReadFull(br, px); err != nil {
		return nil, fmt.Errorf("ppm: %dx%d pixels: %w", w, h, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:4*i+3], px[3*i:3*i+3])
		img.Pix[4*i+3] = 0xff
	}
	return img, nil
}

// ppmField reads a decimal header field after whitespace and comments,
// and the one whitespace byte that ends it.
func ppmField(br *bufio.Reader) (int, error) {
	n, digits := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits > 6 {
				return 0, errors.New("too many digits")
			}
			n = 10*n + int(c-'0')
		case c == '#' && digits == 0:
			if _, err := br.ReadString('\n'); err != nil {
				return 0, err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if digits > 0 {
				return n, nil
			}
		default:
			return 0, fmt.Errorf("unexpected byte %q", c)
		}
	}
}
