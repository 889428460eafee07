package demo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// ImageSize is the width and height of every demo picture, in pixels.
const ImageSize = 640

// imageSpec is what a picture shows.
type imageSpec struct {
	cat   *category
	title string // English: the Go fonts have no Arabic shaping
	sku   string
}

// imageIndex maps every picture name Catalog and CategoryImages use to what
// it shows. Only these names are served.
var imageIndex = sync.OnceValue(func() map[string]imageSpec {
	idx := map[string]imageSpec{}
	for i := range categories {
		c := &categories[i]
		title := c.en
		if c.parent != "" {
			title = categoryByKey(c.parent).en + " / " + c.en // "Electronics / Accessories"
		}
		idx[categoryImage(c)] = imageSpec{cat: c, title: title}
	}
	for _, p := range products() {
		idx[p.image()] = imageSpec{cat: categoryByKey(p.cat), title: p.en, sku: p.code}
	}
	return idx
})

// imageCache holds encoded pictures by name; they never change.
var imageCache sync.Map // name → []byte

// ImageNames returns the names of all demo pictures: the categories', then
// the products' in catalog order.
func ImageNames() []string {
	names := CategoryImages()
	for _, p := range products() {
		names = append(names, p.image())
	}
	return names
}

// Image returns the PNG picture called name (e.g. "aby-001.png" or
// "category-abayas.png") and true, or false for a name the demo does not
// use. Pictures are ImageSize square: a soft gradient in the category's
// colours, a simple drawn shape for the category, and the product's English
// title and code. Text is drawn in the Go fonts, which cover Latin only;
// Arabic would need shaping (joining forms, right-to-left), which is out of
// scope, so the Arabic title is not drawn. Pictures are generated on first
// use and then kept in memory; the same name always gives the same bytes.
func Image(name string) ([]byte, bool) {
	if b, ok := imageCache.Load(name); ok {
		return b.([]byte), true
	}
	spec, ok := imageIndex()[name]
	if !ok {
		return nil, false
	}
	b, _ := imageCache.LoadOrStore(name, render(spec))
	return b.([]byte), true
}

// Fonts, parsed once.
var (
	boldFont = sync.OnceValue(func() *sfnt.Font { return mustParse(gobold.TTF) })
	monoFont = sync.OnceValue(func() *sfnt.Font { return mustParse(gomono.TTF) })
)

func mustParse(ttf []byte) *sfnt.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic("demo: parsing a Go font: " + err.Error())
	}
	return f
}

func face(f *sfnt.Font, size float64) font.Face {
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("demo: font face: " + err.Error())
	}
	return fc
}

// render draws and encodes one picture.
func render(spec imageSpec) []byte {
	const n = ImageSize
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	from, to := spec.cat.from, spec.cat.to

	// A diagonal gradient, light at the top left: one colour per diagonal
	// x+y, copied along each row.
	ramp := make([]byte, 4*(2*n-1))
	for d := range 2*n - 1 {
		t := float64(d) / float64(2*(n-1))
		t = t * t * (3 - 2*t) // smoothstep: softer ends
		ramp[4*d] = lerp(from.R, to.R, t)
		ramp[4*d+1] = lerp(from.G, to.G, t)
		ramp[4*d+2] = lerp(from.B, to.B, t)
		ramp[4*d+3] = 0xff
	}
	for y := range n {
		copy(img.Pix[y*img.Stride:y*img.Stride+4*n], ramp[4*y:])
	}

	// The shape, in a light tint of the category's colour, details in a
	// darker shade of it.
	ink := color.RGBA{
		R: lerp(0xff, to.R, 0.12), G: lerp(0xff, to.G, 0.12), B: lerp(0xff, to.B, 0.12), A: 0xff,
	}
	accent := color.RGBA{R: lerp(to.R, 0, 0.25), G: lerp(to.G, 0, 0.25), B: lerp(to.B, 0, 0.25), A: 0xff}
	spec.cat.shape.draw(img, ink, accent)

	// A white band at the bottom with the title and code.
	band := image.Rect(0, 470, n, n)
	paper := color.RGBA{R: lerp(0xff, from.R, 0.3), G: lerp(0xff, from.G, 0.3), B: lerp(0xff, from.B, 0.3), A: 0xff}
	draw.Draw(img, band, image.NewUniform(paper), image.Point{}, draw.Src)
	title := face(boldFont(), 34)
	defer title.Close()
	lines := wrap(title, spec.title, n-64, 2)
	y := 520
	if len(lines) == 1 {
		y = 532
	}
	if spec.sku == "" {
		y += 20
	}
	dark := image.NewUniform(color.RGBA{R: 0x22, G: 0x22, B: 0x2a, A: 0xff})
	for _, l := range lines {
		drawCentered(img, title, dark, l, y)
		y += 42
	}
	if spec.sku != "" {
		mono := face(monoFont(), 24)
		defer mono.Close()
		drawCentered(img, mono, image.NewUniform(accent), spec.sku, 610)
	}

	return encodePNG(img)
}

// encodePNG writes an opaque RGBA picture as an 8-bit RGB PNG. It is
// image/png with the filter choice fixed: every row uses the Sub filter,
// which suits smooth gradients and flat areas, instead of trying all five
// per row; that, and zlib's fastest level, halve the encoding time.
func encodePNG(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var buf bytes.Buffer
	buf.Grow(w * h / 2)
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits per channel, RGB
	writeChunk(&buf, "IHDR", ihdr)

	var data bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&data, zlib.BestSpeed)
	row := make([]byte, 1+3*w)
	row[0] = 1 // Sub
	for y := range h {
		pix := img.Pix[y*img.Stride:]
		var pr, pg, pb byte
		for x := range w {
			r, g, b := pix[4*x], pix[4*x+1], pix[4*x+2]
			row[1+3*x], row[2+3*x], row[3+3*x] = r-pr, g-pg, b-pb
			pr, pg, pb = r, g, b
		}
		zw.Write(row)
	}
	zw.Close()
	writeChunk(&buf, "IDAT", data.Bytes())
	writeChunk(&buf, "IEND", nil)
	return buf.Bytes()
}

func writeChunk(buf *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	buf.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	buf.WriteString(kind)
	buf.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	buf.Write(n[:])
}

func lerp(a, b uint8, t float64) uint8 {
	return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5)
}

// wrap breaks s into at most maxLines lines no wider than width, ending
// the last with "…" when the text does not fit.
func wrap(f font.Face, s string, width, maxLines int) []string {
	w := fixed.I(width)
	var lines []string
	line := ""
	words := strings.Fields(s)
	for i, word := range words {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if font.MeasureString(f, try) <= w || line == "" {
			line = try
			continue
		}
		if len(lines) == maxLines-1 {
			rest := line + " " + strings.Join(words[i:], " ")
			for font.MeasureString(f, rest+"…") > w && len(rest) > 1 {
				rest = strings.TrimSpace(rest[:len(rest)-1])
			}
			return append(lines, rest+"…")
		}
		lines = append(lines, line)
		line = word
	}
	return append(lines, line)
}

func drawCentered(dst draw.Image, f font.Face, src image.Image, s string, baseline int) {
	d := font.Drawer{Dst: dst, Src: src, Face: f}
	width := d.MeasureString(s)
	d.Dot = fixed.Point26_6{X: (fixed.I(ImageSize) - width) / 2, Y: fixed.I(baseline)}
	d.DrawString(s)
}

// shape is a simple icon for a category.
type shape int

const (
	shapeAbaya shape = iota
	shapeDress
	shapeScarf
	shapeThobe
	shapeShoe
	shapeBag
	shapeWatch
	shapeRing
	shapeGlasses
	shapeBottle
	shapePhone
	shapeEarbuds
	shapeBolt
	shapeBurner
	shapeCup
	shapeStar
)

// The shapes are drawn within this box; rasterizing only it is faster.
var shapeBox = image.Rect(90, 60, 550, 450)

// pen collects filled paths on a rasterizer of shapeBox, taking
// coordinates of the whole picture.
type pen struct {
	r      *vector.Rasterizer
	dx, dy float32
}

func newPen() *pen {
	return &pen{
		r:  vector.NewRasterizer(shapeBox.Dx(), shapeBox.Dy()),
		dx: -float32(shapeBox.Min.X), dy: -float32(shapeBox.Min.Y),
	}
}

func (p *pen) poly(pts ...float32) {
	p.r.MoveTo(pts[0]+p.dx, pts[1]+p.dy)
	for i := 2; i+1 < len(pts); i += 2 {
		p.r.LineTo(pts[i]+p.dx, pts[i+1]+p.dy)
	}
	p.r.ClosePath()
}

// mirror fills a shape symmetric about x = 320 from its right half, given
// top to bottom.
func (p *pen) mirror(right ...float32) {
	pts := append([]float32(nil), right...)
	for i := len(right) - 2; i >= 0; i -= 2 {
		pts = append(pts, 640-right[i], right[i+1])
	}
	p.poly(pts...)
}

func (p *pen) rect(x0, y0, x1, y1 float32) { p.poly(x0, y0, x1, y0, x1, y1, x0, y1) }

// ellipse adds an ellipse; ccw reverses the direction, which cuts a hole
// in a shape drawn the other way.
func (p *pen) ellipse(cx, cy, rx, ry float32, ccw bool) {
	const k = 0.5523 // cubic Bézier approximation of a quarter circle
	cx, cy = cx+p.dx, cy+p.dy
	sy := ry
	if ccw {
		sy = -ry
	}
	p.r.MoveTo(cx+rx, cy)
	p.r.CubeTo(cx+rx, cy+k*sy, cx+k*rx, cy+sy, cx, cy+sy)
	p.r.CubeTo(cx-k*rx, cy+sy, cx-rx, cy+k*sy, cx-rx, cy)
	p.r.CubeTo(cx-rx, cy-k*sy, cx-k*rx, cy-sy, cx, cy-sy)
	p.r.CubeTo(cx+k*rx, cy-sy, cx+rx, cy-k*sy, cx+rx, cy)
	p.r.ClosePath()
}

func (p *pen) circle(cx, cy, r float32) { p.ellipse(cx, cy, r, r, false) }
func (p *pen) ring(cx, cy, r, w float32) {
	p.ellipse(cx, cy, r, r, false)
	p.ellipse(cx, cy, r-w, r-w, true)
}
func (p *pen) roundRect(x0, y0, x1, y1, r float32) {
	p.r.MoveTo(x0+r+p.dx, y0+p.dy)
	p.r.LineTo(x1-r+p.dx, y0+p.dy)
	p.r.QuadTo(x1+p.dx, y0+p.dy, x1+p.dx, y0+r+p.dy)
	p.r.LineTo(x1+p.dx, y1-r+p.dy)
	p.r.QuadTo(x1+p.dx, y1+p.dy, x1-r+p.dx, y1+p.dy)
	p.r.LineTo(x0+r+p.dx, y1+p.dy)
	p.r.QuadTo(x0+p.dx, y1+p.dy, x0+p.dx, y1-r+p.dy)
	p.r.LineTo(x0+p.dx, y0+r+p.dy)
	p.r.QuadTo(x0+p.dx, y0+p.dy, x0+r+p.dx, y0+p.dy)
	p.r.ClosePath()
}

// draw paints the shape in ink, with details in accent, within shapeBox
// (above the text band, centred on (320, 250)).
func (s shape) draw(dst draw.Image, ink, accent color.Color) {
	main, detail := newPen(), newPen()
	switch s {
	case shapeAbaya:
		main.mirror(350, 90, 400, 115, 470, 250, 440, 262, 400, 190, 425, 420)
		detail.poly(316, 100, 324, 100, 324, 420, 316, 420)
	case shapeDress:
		main.mirror(345, 90, 375, 100, 385, 180, 360, 230, 440, 420)
		detail.rect(270, 222, 370, 236)
	case shapeScarf:
		main.poly(170, 120, 470, 120, 320, 410)
		detail.poly(200, 140, 440, 140, 430, 155, 210, 155)
		detail.poly(250, 200, 390, 200, 383, 212, 257, 212)
	case shapeThobe:
		main.mirror(345, 90, 380, 105, 450, 200, 425, 225, 375, 170, 380, 430)
		detail.poly(314, 95, 326, 95, 326, 220, 314, 220)
	case shapeShoe:
		main.poly(150, 330, 160, 200, 250, 210, 300, 250, 420, 280, 480, 300, 495, 345, 150, 345)
		detail.rect(150, 350, 495, 372)
		for i := float32(0); i < 3; i++ {
			detail.rect(245+i*30, 232+i*10, 262+i*30, 262+i*10)
		}
	case shapeBag:
		main.ring(320, 200, 85, 16)
		main.roundRect(190, 200, 450, 400, 24)
		detail.rect(300, 230, 340, 250)
	case shapeWatch:
		main.rect(280, 80, 360, 420)
		main.circle(320, 250, 110)
		detail.ring(320, 250, 96, 10)
		detail.rect(316, 175, 324, 255)
		detail.poly(318, 246, 372, 280, 366, 288, 314, 254)
		detail.circle(320, 250, 10)
	case shapeRing:
		main.ring(320, 280, 110, 26)
		main.poly(280, 130, 360, 130, 385, 160, 320, 215, 255, 160)
		detail.poly(295, 140, 345, 140, 360, 160, 320, 198, 280, 160)
	case shapeGlasses:
		main.ring(225, 260, 85, 16)
		main.ring(415, 260, 85, 16)
		main.rect(305, 235, 335, 251)
		main.poly(140, 245, 110, 200, 122, 193, 152, 238)
		main.poly(500, 245, 530, 200, 518, 193, 488, 238)
		detail.circle(225, 260, 69)
		detail.circle(415, 260, 69)
	case shapeBottle:
		main.roundRect(220, 190, 420, 420, 30)
		main.rect(290, 145, 350, 195)
		detail.roundRect(270, 90, 370, 150, 10)
		detail.roundRect(255, 260, 385, 350, 8)
	case shapePhone:
		main.roundRect(225, 80, 415, 430, 32)
		detail.roundRect(243, 115, 397, 395, 8)
		detail.roundRect(290, 92, 350, 102, 5)
	case shapeEarbuds:
		main.circle(250, 210, 62)
		main.roundRect(232, 240, 268, 400, 18)
		main.circle(390, 210, 62)
		main.roundRect(372, 240, 408, 400, 18)
		detail.circle(250, 210, 26)
		detail.circle(390, 210, 26)
	case shapeBolt:
		main.poly(350, 80, 220, 270, 310, 270, 280, 430, 420, 220, 330, 220, 380, 80)
	case shapeBurner:
		main.poly(230, 150, 410, 150, 370, 225, 270, 225)
		main.rect(295, 220, 345, 330)
		main.poly(260, 325, 380, 325, 410, 400, 230, 400)
		detail.ellipse(320, 150, 90, 14, false)
		detail.poly(300, 120, 310, 90, 322, 112, 334, 80, 342, 120)
	case shapeCup:
		main.ellipse(320, 370, 170, 34, false)
		main.poly(215, 200, 425, 200, 395, 345, 245, 345)
		detail.ellipse(320, 200, 105, 18, false)
		detail.poly(290, 170, 300, 120, 312, 160, 326, 110, 336, 170)
	case shapeStar:
		pts := make([]float32, 0, 20)
		for i := range 10 {
			r := 150.0
			if i%2 == 1 {
				r = 62
			}
			a := -math.Pi/2 + float64(i)*math.Pi/5
			pts = append(pts, float32(320+r*math.Cos(a)), float32(255+r*math.Sin(a)))
		}
		main.poly(pts...)
		detail.circle(320, 255, 30)
	}
	main.r.Draw(dst, shapeBox, image.NewUniform(ink), image.Point{})
	detail.r.Draw(dst, shapeBox, image.NewUniform(accent), image.Point{})
}
