package integration

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// gpsSecret is in the EXIF of the test photo; it must not survive.
const gpsSecret = "Astana 51.1283N 71.4305E phone SN-77123"

// exifJPEG is a w×h JPEG, its top half red and its bottom half blue, with
// an EXIF block as a phone writes it: orientation (6, turn right to view),
// a description and a GPS directory with a latitude.
func exifJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if y >= h/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// TIFF, little-endian: IFD0 at 8 with 3 entries (orientation,
	// ImageDescription, GPS IFD pointer), then the GPS IFD, then the data.
	le := binary.LittleEndian
	desc := []byte(gpsSecret + "\x00")
	var tiff bytes.Buffer
	tiff.WriteString("II")
	_ = binary.Write(&tiff, le, uint16(42))
	_ = binary.Write(&tiff, le, uint32(8))
	ifd0 := 8
	gpsIFD := ifd0 + 2 + 3*12 + 4
	descOff := gpsIFD + 2 + 1*12 + 4
	latOff := descOff + len(desc)
	entry := func(tag, typ uint16, count, value uint32) {
		_ = binary.Write(&tiff, le, tag)
		_ = binary.Write(&tiff, le, typ)
		_ = binary.Write(&tiff, le, count)
		_ = binary.Write(&tiff, le, value)
	}
	_ = binary.Write(&tiff, le, uint16(3))
	entry(0x0112, 3, 1, 6) // orientation: SHORT 6, left-justified in the value
	entry(0x010E, 2, uint32(len(desc)), uint32(descOff))
	entry(0x8825, 4, 1, uint32(gpsIFD))
	_ = binary.Write(&tiff, le, uint32(0))
	_ = binary.Write(&tiff, le, uint16(1))
	entry(0x0002, 5, 3, uint32(latOff)) // GPSLatitude, three RATIONALs
	_ = binary.Write(&tiff, le, uint32(0))
	tiff.Write(desc)
	for _, r := range [][2]uint32{{51, 1}, {7, 1}, {4188, 100}} {
		_ = binary.Write(&tiff, le, r[0])
		_ = binary.Write(&tiff, le, r[1])
	}
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(plain.Bytes()[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)})
	out.Write(app1)
	out.Write(plain.Bytes()[2:])
	return out.Bytes()
}

func smallPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG whose header claims 30000×30000 pixels: decoding it
// would take 3.6 GB.
func bombPNG(t *testing.T) []byte {
	t.Helper()
	b := smallPNG(t)
	ihdr := b[8+8 : 8+8+13] // after the signature, the IHDR's length and type
	binary.BigEndian.PutUint32(ihdr[0:], 30000)
	binary.BigEndian.PutUint32(ihdr[4:], 30000)
	binary.BigEndian.PutUint32(b[8+8+13:], crc32.ChecksumIEEE(b[8+4:8+8+13]))
	return b
}

type upload struct {
	name, contentType string
	data              []byte
}

// submitMultipart posts form and files as a browser does with
// enctype="multipart/form-data", every file under the field "photos".
func (g *ikRig) submitMultipart(c *http.Client, path string, form url.Values, files ...upload) (int, string) {
	g.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="photos"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			g.t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, g.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (g *ikRig) barrierForm(c *http.Client, lang string) url.Values {
	g.t.Helper()
	_, body := g.get(c, "/request?lang="+lang)
	form := formFields(g.t, body)
	form.Set("lang", lang)
	form.Set("phone", g.phone())
	form.Set("category", "accessibility")
	form.Set("description", "No ramp at the pharmacy entrance")
	form.Set("address", "Astana, Yesil, Turan 5")
	return form
}

func TestIntakeFormPhotosLoseTheirMetadata(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	b := g.browser()
	_, page := g.get(b, "/request?lang=en")
	for _, want := range []string{`enctype="multipart/form-data"`, `<label for="photos">Photos of the barrier`,
		`type="file" id="photos" name="photos" accept="image/jpeg,image/png" multiple aria-describedby="photos-hint"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("form lacks %s", want)
		}
	}
	form := g.barrierForm(b, "en")
	withExif := exifJPEG(t, 40, 20)
	if !bytes.Contains(withExif, []byte(gpsSecret)) {
		t.Fatal("the test photo has no EXIF to strip")
	}
	if _, _, err := image.Decode(bytes.NewReader(withExif)); err != nil {
		t.Fatalf("the test photo is not a valid JPEG: %v", err)
	}
	// The browser's claimed types are wrong on purpose: the bytes decide.
	code, body := g.submitMultipart(b, "/request?lang=en", form,
		upload{"IMG_0001.JPG", "application/octet-stream", withExif}, upload{"plan.png", "image/jpeg", smallPNG(t)})
	if code != http.StatusOK || !strings.Contains(body, "Your request has been received") {
		t.Fatalf("submit: %d\n%s", code, body)
	}
	tk := g.ticketBySource("web:" + form.Get("idem"))
	if tk.Category != dispatch.CategoryAccessibility {
		t.Fatalf("ticket %+v", tk)
	}
	list, err := g.store.Attachments(g.ctx, tk.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("attachments = %v, %v; want 2", list, err)
	}
	jp, err := g.store.Attachment(g.ctx, tk.ID, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if jp.ContentType != dispatch.TypeJPEG || jp.Size != len(jp.Data) || jp.SHA256 != dispatch.SHA256Hex(jp.Data) {
		t.Fatalf("stored photo %+v", list[0])
	}
	for _, leak := range [][]byte{[]byte("Exif"), []byte(gpsSecret), []byte("Astana"), {0xFF, 0xE1}} {
		if bytes.Contains(jp.Data, leak) {
			t.Fatalf("stored photo still holds %q", leak)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(jp.Data))
	if err != nil {
		t.Fatal(err)
	}
	// Orientation 6 was applied: 40×20 became 20×40, and the red top half
	// became the right half.
	if s := img.Bounds().Size(); s.X != 20 || s.Y != 40 {
		t.Fatalf("stored photo is %v, want 20×40 (turned upright)", s)
	}
	red := func(x, y int) bool { r, _, b, _ := img.At(x, y).RGBA(); return r > 2*b }
	if !red(15, 20) || red(4, 20) {
		t.Fatal("the photo was not turned the way its orientation says")
	}
	pn, err := g.store.Attachment(g.ctx, tk.ID, list[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if pn.ContentType != dispatch.TypePNG {
		t.Fatalf("the PNG was stored as %s", pn.ContentType)
	}
	// A resubmission (a reload) makes neither a ticket nor photos twice.
	if code, _ := g.submitMultipart(b, "/request?lang=en", form, upload{"IMG_0001.JPG", "image/jpeg", withExif}); code != http.StatusOK {
		t.Fatalf("resubmit: %d", code)
	}
	if list, _ := g.store.Attachments(g.ctx, tk.ID); len(list) != 2 || g.tickets() != 1 {
		t.Fatalf("after a resubmission: %d photos, %d tickets", len(list), g.tickets())
	}
}

func TestIntakeFormRefusesBadPhotos(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	good := upload{"ok.jpg", "image/jpeg", exifJPEG(t, 16, 16)}
	huge := upload{"big.jpg", "image/jpeg", append(exifJPEG(t, 16, 16), make([]byte, dispatch.MaxPhotoBytes)...)}
	for _, tc := range []struct {
		name     string
		lang     string
		category string
		files    []upload
		want     string
	}{
		{"too large", "en", "accessibility", []upload{good, huge}, "Photo 2 is larger than 5 MB"},
		{"not an image", "en", "accessibility", []upload{{"photo.jpg", "image/jpeg", []byte("<html><script>alert(1)</script></html>")}}, "Photo 1 is not a JPEG or PNG"},
		{"a GIF", "ru", "accessibility", []upload{good, good, {"a.gif", "image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}}, "Фотография 3 не в формате JPEG или PNG"},
		{"a bomb", "kk", "accessibility", []upload{{"bomb.png", "image/png", bombPNG(t)}}, "1-фотосуретте пиксель тым көп"},
		{"too many", "en", "accessibility", []upload{good, good, good, good}, "Choose at most 3 photos"},
		{"not a barrier", "en", "home", []upload{good}, "Photos can be sent only with a barrier report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := g.browser()
			form := g.barrierForm(b, tc.lang)
			form.Set("category", tc.category)
			code, body := g.submitMultipart(b, "/request?lang="+tc.lang, form, tc.files...)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("%d, want 422\n%s", code, body)
			}
			checkMarkup(t, body, dispatch.Lang(tc.lang))
			for _, want := range []string{`<a href="#photos">` + tc.want, `id="photos-error"`,
				`aria-describedby="photos-hint photos-error" aria-invalid="true"`,
				`value="Astana, Yesil, Turan 5"`, `No ramp at the pharmacy entrance</textarea>`} {
				if !strings.Contains(body, want) {
					t.Errorf("error page lacks %s", want)
				}
			}
			if n := g.tickets(); n != 0 {
				t.Fatalf("%d tickets made from a refused upload", n)
			}
		})
	}
}

func TestIntakeFormTooLargeBody(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	b := g.browser()
	form := g.barrierForm(b, "en")
	big := make([]byte, dispatch.MaxPhotoBytes)
	code, _ := g.submitMultipart(b, "/request", form,
		upload{"1.jpg", "image/jpeg", big}, upload{"2.jpg", "image/jpeg", big},
		upload{"3.jpg", "image/jpeg", big}, upload{"4.jpg", "image/jpeg", big})
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the form's limit: %d, want 413", code)
	}
	if n := g.tickets(); n != 0 {
		t.Fatalf("%d tickets", n)
	}
}

// The service gives intake a store wrapped to wake the senders: the photos
// must still reach the ticket's transaction through the wrapper, and a
// request that is refused keeps none.
func TestIntakePhotosThroughTheWakingStore(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, MaxWaves: 3, MaxWait: time.Hour})
	store := dispatch.WakeSenders(g.store, &countWaker{})
	in := dispatch.NewIntake(store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs, dispatch.IntakeOptions{})
	photo := dispatch.Attachment{ContentType: dispatch.TypeJPEG, Data: []byte("\xff\xd8\xff\xdb cleaned")}
	res, err := in.Submit(g.ctx, dispatch.IntakeRequest{Channel: dispatch.ChannelWeb, Phone: g.phone(),
		Category: dispatch.CategoryAccessibility, Description: "нет пандуса", Lang: dispatch.LangRU,
		Attachments: []dispatch.Attachment{photo, photo}})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := g.store.Attachments(g.ctx, res.Ticket.ID); err != nil || len(list) != 2 {
		t.Fatalf("photos = %v, %v; want 2", list, err)
	}
	for _, bad := range []dispatch.IntakeRequest{
		{Category: dispatch.CategoryShopping, Attachments: []dispatch.Attachment{photo}},
		{Category: dispatch.CategoryAccessibility, Attachments: []dispatch.Attachment{photo, photo, photo, photo}},
		{Category: dispatch.CategoryAccessibility, Attachments: []dispatch.Attachment{{ContentType: "image/gif", Data: []byte("GIF89a")}}},
	} {
		bad.Channel, bad.Phone = dispatch.ChannelWeb, g.phone()
		if _, err := in.Submit(g.ctx, bad); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Fatalf("%s with %d photos: %v, want EINVALID", bad.Category, len(bad.Attachments), err)
		}
	}
}
