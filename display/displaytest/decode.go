package displaytest

import (
	"fmt"
	"image"
	"image/color"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// DecodeHalfBlocks decodes QR half-block text, as qr.HalfBlocks draws
// it (a glyph's ink is a light module), and returns the payload. The lines
// are decoded as they are, quiet zone included, at 4 pixels per module;
// lines shorter than the longest are padded with dark modules, the
// background, since a terminal capture drops trailing spaces.
//
// The text is the code and its quiet zone alone, drawn exactly, so it is
// read as a pure barcode (module by module); the finder-pattern search
// that photos need misjudged the size of one such code in 301 tried.
func DecodeHalfBlocks(lines []string) (string, error) {
	img, err := HalfBlocksImage(lines, 4, true)
	if err != nil {
		return "", err
	}
	return decode(img, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
}

// HalfBlocksImage draws half-block text as a grey image with scale pixels
// per module: each cell is one module wide and two tall. When glyphLight is
// true a glyph's ink is a light module (qr.HalfBlocks' convention);
// when false it is dark, as a terminal with a light theme would show the
// same text without colours. Runes other than ' ', '▀', '▄' and '█' are an
// error.
func HalfBlocksImage(lines []string, scale int, glyphLight bool) (*image.Gray, error) {
	if scale < 1 {
		return nil, fmt.Errorf("half blocks to image: scale %d < 1", scale)
	}
	w := 0
	for _, l := range lines {
		w = max(w, utf8.RuneCountInString(l))
	}
	img := image.NewGray(image.Rect(0, 0, w*scale, 2*len(lines)*scale))
	ink, paper := color.Gray{Y: 0xff}, color.Gray{Y: 0}
	if !glyphLight {
		ink, paper = paper, ink
	}
	set := func(mx, my int, c color.Gray) {
		for y := my * scale; y < (my+1)*scale; y++ {
			for x := mx * scale; x < (mx+1)*scale; x++ {
				img.SetGray(x, y, c)
			}
		}
	}
	for row, l := range lines {
		x := 0
		for _, r := range l {
			top, bottom := paper, paper
			switch r {
			case ' ':
			case '▀':
				top = ink
			case '▄':
				bottom = ink
			case '█':
				top, bottom = ink, ink
			default:
				return nil, fmt.Errorf("half blocks to image: line %d column %d: %q is not a half block", row+1, x+1, r)
			}
			set(x, 2*row, top)
			set(x, 2*row+1, bottom)
			x++
		}
		for ; x < w; x++ {
			set(x, 2*row, paper)
			set(x, 2*row+1, paper)
		}
	}
	return img, nil
}

// DecodeImage finds one QR code in img and returns its text.
func DecodeImage(img image.Image) (string, error) { return decode(img, nil) }

func decode(img image.Image, hints map[gozxing.DecodeHintType]any) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("decoding QR image: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("decoding QR image: %w", err)
	}
	return res.GetText(), nil
}
