package intake

import (
	"encoding/binary"
	"image"
	"image/color"
)

// jpegOrientation reads the EXIF orientation (1 to 8) of a JPEG, 1 when it
// has none or it cannot be read. Only the markers before the image data are
// looked at, every length checked: the bytes are a stranger's.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		if seg := b[i+4 : i+2+n]; marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in the first directory of an EXIF TIFF
// block; 0 when it is not there or not valid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := uint64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := int(off) + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// upright returns src as it is meant to be seen (EXIF orientation o
// applied), shrunk by a whole factor so that no side is longer than
// maxSide, each pixel the average of the box it replaces. The result is a
// new image: nothing of the source but its pixels goes on.
func upright(src image.Image, o, maxSide int) *image.RGBA {
	sb := src.Bounds()
	w, h := sb.Dx(), sb.Dy()
	dw, dh := w, h // the upright size
	if o >= 5 {
		dw, dh = h, w
	}
	k := (max(dw, dh) + maxSide - 1) / maxSide
	k = max(k, 1)
	ow, oh := (dw+k-1)/k, (dh+k-1)/k
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	at := pixelReader(src)
	// from maps a pixel of the upright image to the source's.
	from := func(x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return y, h - 1 - x
		case 7:
			return w - 1 - y, h - 1 - x
		case 8:
			return w - 1 - y, x
		}
		return x, y
	}
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			var r, g, b, a, n uint32
			for y := oy * k; y < min(oy*k+k, dh); y++ {
				for x := ox * k; x < min(ox*k+k, dw); x++ {
					sx, sy := from(x, y)
					pr, pg, pb, pa := at(sb.Min.X+sx, sb.Min.Y+sy)
					r, g, b, a, n = r+pr, g+pg, b+pb, a+pa, n+1
				}
			}
			i := out.PixOffset(ox, oy)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] =
				uint8(r/n>>8), uint8(g/n>>8), uint8(b/n>>8), uint8(a/n>>8)
		}
	}
	return out
}

// pixelReader reads 16-bit premultiplied RGBA, directly from the planes of
// a JPEG's YCbCr image (most photos), through At otherwise.
func pixelReader(src image.Image) func(x, y int) (r, g, b, a uint32) {
	if m, ok := src.(*image.YCbCr); ok {
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return uint32(r) * 0x101, uint32(g) * 0x101, uint32(b) * 0x101, 0xffff
		}
	}
	return func(x, y int) (uint32, uint32, uint32, uint32) { return src.At(x, y).RGBA() }
}
