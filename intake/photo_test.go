package intake

import (
	"image"
	"image/color"
	"testing"
)

// TestUpright turns a 3×2 image with a distinct value in every pixel by
// each EXIF orientation and compares it with the picture drawn by hand.
func TestUpright(t *testing.T) {
	// a b c
	// d e f
	src := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(src.Pix, []byte{'a', 'b', 'c', 'd', 'e', 'f'})
	for o, want := range map[int][]string{
		1: {"abc", "def"},
		2: {"cba", "fed"},
		3: {"fed", "cba"},
		4: {"def", "abc"},
		5: {"ad", "be", "cf"},
		6: {"da", "eb", "fc"}, // turned right
		7: {"fc", "eb", "da"},
		8: {"cf", "be", "ad"}, // turned left
	} {
		out := upright(src, o, 100)
		var got []string
		for y := 0; y < out.Bounds().Dy(); y++ {
			row := ""
			for x := 0; x < out.Bounds().Dx(); x++ {
				row += string(rune(color.GrayModel.Convert(out.At(x, y)).(color.Gray).Y))
			}
			got = append(got, row)
		}
		if len(got) != len(want) {
			t.Errorf("orientation %d: %v, want %v", o, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("orientation %d: %v, want %v", o, got, want)
				break
			}
		}
	}
}

func TestUprightShrinks(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 3000, 600))
	for i := range src.Pix {
		src.Pix[i] = byte(i % 3000 / 1500 * 200) // left half 0, right half 200
	}
	out := upright(src, 1, 1280)
	if s := out.Bounds().Size(); s.X != 1000 || s.Y != 200 {
		t.Fatalf("shrunk to %v, want 1000×200", s)
	}
	if l, r := out.RGBAAt(100, 100).R, out.RGBAAt(900, 100).R; l != 0 || r != 200 {
		t.Fatalf("averaged pixels %d and %d, want 0 and 200", l, r)
	}
}

func TestJPEGOrientationOfBrokenInput(t *testing.T) {
	for _, b := range []string{"", "\xff\xd8", "\xff\xd8\xff\xe1\x00", "\xff\xd8\xff\xe1\xff\xffExif\x00\x00",
		"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\xff\xff\xff\xff", "\xff\xd8\xff\xe1\x00\x16Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"} {
		if o := jpegOrientation([]byte(b)); o != 1 {
			t.Errorf("%q: orientation %d, want 1", b, o)
		}
	}
}

const exifTurnedRight = "\xff\xd8\xff\xe1\x00\x22Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00"

func TestJPEGOrientation(t *testing.T) {
	if o := jpegOrientation([]byte(exifTurnedRight)); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add([]byte(exifTurnedRight))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := jpegOrientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		// Whatever the bytes, a photo is refused or comes out a JPEG or PNG.
		if out, ct, reason := cleanPhoto(b); reason == "" && (len(out) == 0 || (ct != "image/jpeg" && ct != "image/png")) {
			t.Fatalf("accepted as %q, %d bytes", ct, len(out))
		}
	})
}
