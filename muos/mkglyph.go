//go:build ignore

// mkglyph draws the muOS menu glyph muos/glyph/pairing.png: a small QR-like
// mark (three finder squares and a few modules), white on transparent like
// the theme's other application glyphs. Run: go run muos/mkglyph.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
)

func main() {
	const modules, scale = 12, 2 // 24x24 pixels
	// 1 = light module. Three finder patterns and a sprinkling of data.
	grid := [modules]string{
		"1111000.1111",
		"1001010.1001",
		"1001000.1001",
		"1111010.1111",
		"....1.1.....",
		"01.1..11.1.0",
		"....1..1.11.",
		"1111.1..1...",
		"1001..11..1.",
		"1001.1...11.",
		"1111..1.1..1",
		"......1..1.1",
	}
	img := image.NewNRGBA(image.Rect(0, 0, modules*scale, modules*scale))
	white := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	for y, row := range grid {
		for x, c := range row {
			if c != '1' {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetNRGBA(x*scale+dx, y*scale+dy, white)
				}
			}
		}
	}
	f, err := os.Create("muos/glyph/pairing.png")
	if err != nil {
		log.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
