package vmtest

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
)

func TestReadPPM(t *testing.T) {
	pix := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
	for _, hdr := range []string{"P6\n3 2\n255\n", "P6 3 2 255 ", "P6\n# QEMU\n3 2\n# comment\n255\n"} {
		img, err := ReadPPM(bytes.NewReader(append([]byte(hdr), pix...)))
		if err != nil {
			t.Fatalf("%q: %v", hdr, err)
		}
		if b := img.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
			t.Fatalf("%q: size %v", hdr, b)
		}
		if got, want := img.RGBAAt(2, 1), (color.RGBA{16, 17, 18, 255}); got != want {
			t.Errorf("%q: pixel (2,1) = %v, want %v", hdr, got, want)
		}
	}
	for _, bad := range []string{"", "P3\n1 1\n255\n", "P6\n1 1\n65535\n", "P6\n2 2\n255\n\x00\x00\x00", "P6\nx 1\n255\n", "P6\n0 1\n255\n"} {
		if _, err := ReadPPM(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
