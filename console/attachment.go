package console

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Photos sent with a barrier report through the public form. They are
// personal data (the reporter may be in one): served only to a logged-in
// user who may see the ticket (its centre), never cached, and only on the
// ticket and barrier pages; the public barrier page has none.

func (c *Console) registerAttachments(g *echo.Group) {
	g.GET("/tickets/:id/photos/:photo", c.photo, c.require(viewPage))
}

// attachments is where photos are kept; nil when nowhere.
func (c *Console) attachments() dispatch.AttachmentRepo {
	if c.opts.Attachments != nil {
		return c.opts.Attachments
	}
	ar, _ := c.store.(dispatch.AttachmentRepo)
	return ar
}

// ticketPhotos lists a ticket's photos, without their bytes.
func (c *Console) ticketPhotos(ctx context.Context, ticketID int64) ([]*dispatch.Attachment, error) {
	ar := c.attachments()
	if ar == nil {
		return nil, nil
	}
	return ar.Attachments(ctx, ticketID)
}

// photo serves one photo of a ticket the user may see. Another centre's
// ticket is ENOTFOUND, as on the ticket page, so that ids are not probed.
func (c *Console) photo(ec echo.Context) error {
	const op = "console.photo"
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	pid, err := idParam(ec, "photo")
	if err != nil {
		return err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return dispatch.E(op, err)
	}
	ar := c.attachments()
	if ar == nil {
		return dispatch.Errorf(dispatch.ENOTFOUND, "ticket %d has no photo %d", id, pid)
	}
	a, err := ar.Attachment(ec.Request().Context(), id, pid)
	if err != nil {
		return dispatch.E(op, err)
	}
	if a.ContentType != dispatch.TypeJPEG && a.ContentType != dispatch.TypePNG {
		// The table allows no other type; a row that has one is not served.
		return dispatch.Errorf(dispatch.EINTERNAL, "photo %d has type %q", pid, a.ContentType)
	}
	ext := ".jpg"
	if a.ContentType == dispatch.TypePNG {
		ext = ".png"
	}
	h := ec.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", `inline; filename="photo-`+strconv.FormatInt(pid, 10)+ext+`"`)
	return ec.Blob(http.StatusOK, a.ContentType, a.Data)
}

// photoView is one thumbnail: where the photo is and what it shows, for a
// screen reader.
type photoView struct{ Src, Alt string }

// PhotoViews are the thumbnails of photos, numbered "Photo 1 of 2 sent with
// the report".
func (p *Page) PhotoViews(photos []*dispatch.Attachment) []photoView {
	out := make([]photoView, len(photos))
	for i, a := range photos {
		out[i] = photoView{
			Src: "/console/tickets/" + strconv.FormatInt(a.TicketID, 10) + "/photos/" + strconv.FormatInt(a.ID, 10),
			Alt: p.T("photos.alt", i+1, len(photos)),
		}
	}
	return out
}
