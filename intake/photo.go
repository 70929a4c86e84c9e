package intake

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Photos of a barrier report, sent with the public form. A phone's photo
// carries EXIF: where it was taken (GPS), the phone's make and serial, the
// time. None of it is kept: every photo is decoded and encoded again with
// the standard library, whose encoders write no metadata, after its
// orientation (itself EXIF) has been applied to the pixels.

// FormBodyLimit is the largest body POST /request accepts: dispatch.MaxPhotos
// photos of dispatch.MaxPhotoBytes, and 1 MiB for the other fields and the
// multipart framing. The server's general BODY_LIMIT_BYTES is raised to it
// for this route only (cmd/dispatcher, httpd.Options.RouteBodyLimits).
const FormBodyLimit = dispatch.MaxPhotos*dispatch.MaxPhotoBytes + 1<<20

// photoField is the form's file input.
const photoField = "photos"

const (
	// formMemory is how much of a multipart form is held in memory; the
	// rest of its files go to temporary files, removed after the request.
	formMemory = 1 << 20
	// maxPhotoPixels bounds a photo's decoded size before it is decoded,
	// against a small file that inflates to gigabytes (a 48 MP phone
	// saves 12 MP unless asked otherwise).
	maxPhotoPixels = 40_000_000
	// maxPhotoSide is the longest side kept: enough to read a sign on a
	// door, and a tenth of the bytes of a full-size photo.
	maxPhotoSide = 2560
	jpegQuality  = 85
)

// Reasons a photo is refused; each is a text key err_photo_<reason> of the
// form, with {n} for the photo's number.
const (
	photoTooLarge   = "large"
	photoNotImage   = "type"
	photoTooBig     = "pixels"
	photoTooMany    = "count"
	photoNotBarrier = "category"
)

// limitFormBody is limitBody for the form, which may be multipart: a
// urlencoded body keeps BODY_LIMIT_BYTES, a multipart one may carry photos
// up to FormBodyLimit.
func (h *Handler) limitFormBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		limit := h.opts.BodyLimit
		if ct == "multipart/form-data" {
			limit = max(limit, FormBodyLimit)
		}
		tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", limit))
		if r.ContentLength > limit {
			return tooLarge
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		var err error
		switch ct {
		case "application/x-www-form-urlencoded":
			err = r.ParseForm()
		case "multipart/form-data":
			err = r.ParseMultipartForm(formMemory)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
		default:
			return echo.NewHTTPError(http.StatusBadRequest,
				"request body must be a form (application/x-www-form-urlencoded or multipart/form-data)")
		}
		if err != nil {
			if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
				return tooLarge
			}
			return echo.NewHTTPError(http.StatusBadRequest, "malformed form: "+err.Error())
		}
		return next(c)
	}
}

// attachPhotos reads the form's photos into req, cleaned, or names each one
// refused on p. It reports whether all were accepted. Photos go with a
// barrier report only: elsewhere they would be health or home details no
// dispatcher asked for.
func (h *Handler) attachPhotos(c echo.Context, p *formPage, req *dispatch.IntakeRequest) bool {
	mf := c.Request().MultipartForm
	if mf == nil {
		return true
	}
	var files []*multipart.FileHeader
	for _, fh := range mf.File[photoField] {
		if fh.Filename != "" || fh.Size > 0 {
			files = append(files, fh)
		}
	}
	switch {
	case len(files) == 0:
		return true
	case req.Category != dispatch.CategoryAccessibility:
		p.failPhoto(0, photoNotBarrier)
		return false
	case len(files) > dispatch.MaxPhotos:
		p.failPhoto(0, photoTooMany)
		return false
	}
	ok := true
	for i, fh := range files {
		a, reason := h.readPhoto(fh)
		if reason != "" {
			p.failPhoto(i+1, reason)
			ok = false
			continue
		}
		req.Attachments = append(req.Attachments, a)
	}
	if !ok {
		req.Attachments = nil
	}
	return ok
}

// failPhoto adds the text of reason, for photo n, to the photo field's
// error and the summary.
func (p *formPage) failPhoto(n int, reason string) {
	text := strings.ReplaceAll(p.T["err_photo_"+reason], "{n}", strconv.Itoa(n))
	if prev := p.Err[photoField]; prev != "" {
		p.Err[photoField] = prev + "; " + text
	} else {
		p.Err[photoField] = text
	}
	p.Errors = append(p.Errors, formError{Field: photoField, Text: text})
}

func (h *Handler) readPhoto(fh *multipart.FileHeader) (dispatch.Attachment, string) {
	if fh.Size > dispatch.MaxPhotoBytes {
		return dispatch.Attachment{}, photoTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return dispatch.Attachment{}, photoNotImage
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, dispatch.MaxPhotoBytes+1))
	if err != nil {
		return dispatch.Attachment{}, photoNotImage
	}
	if len(b) > dispatch.MaxPhotoBytes {
		return dispatch.Attachment{}, photoTooLarge
	}
	// One photo decoded at a time per process: each may take a hundred
	// megabytes while it is.
	if h.photos != nil {
		h.photos <- struct{}{}
		defer func() { <-h.photos }()
	}
	data, ct, reason := cleanPhoto(b)
	if reason != "" {
		return dispatch.Attachment{}, reason
	}
	return dispatch.Attachment{ContentType: ct, Data: data}, ""
}

// cleanPhoto decodes b (a JPEG or PNG, by its bytes, whatever the browser
// said), turns it upright, shrinks it to maxPhotoSide and encodes it again
// without metadata. It returns the new bytes and type, or a refusal reason.
func cleanPhoto(b []byte) ([]byte, string, string) {
	ct := http.DetectContentType(b)
	if ct != dispatch.TypeJPEG && ct != dispatch.TypePNG {
		return nil, "", photoNotImage
	}
	cfg, format, err := decodeConfig(ct, b)
	if err != nil {
		return nil, "", photoNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", photoNotImage
	}
	if cfg.Width > maxPhotoPixels/cfg.Height {
		return nil, "", photoTooBig
	}
	var src image.Image
	orient := 1
	if format == "jpeg" {
		orient = jpegOrientation(b)
		src, err = jpeg.Decode(bytes.NewReader(b))
	} else {
		src, err = png.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", photoNotImage
	}
	out := upright(src, orient, maxPhotoSide)
	var buf bytes.Buffer
	if ct == dispatch.TypePNG {
		if err := png.Encode(&buf, out); err == nil && buf.Len() <= dispatch.MaxPhotoBytes {
			return buf.Bytes(), dispatch.TypePNG, ""
		}
		// A photo saved as PNG can be larger than the upload once
		// shrunk pixels are stored losslessly: keep it as a JPEG.
		buf.Reset()
	}
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: jpegQuality}); err != nil || buf.Len() > dispatch.MaxPhotoBytes {
		return nil, "", photoNotImage
	}
	return buf.Bytes(), dispatch.TypeJPEG, ""
}

func decodeConfig(ct string, b []byte) (image.Config, string, error) {
	if ct == dispatch.TypeJPEG {
		c, err := jpeg.DecodeConfig(bytes.NewReader(b))
		return c, "jpeg", err
	}
	c, err := png.DecodeConfig(bytes.NewReader(b))
	return c, "png", err
}
