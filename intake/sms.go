package intake

import (
	"net/http"
	"strconv"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// maxMedia bounds the MediaUrlN parameters read from one text.
const maxMedia = 10

// sms hands an incoming text to the conversation handler, which decides
// whether it is a volunteer's command, a keyword, a reply or a request. The
// answer is an empty <Response/>: replies leave through the outbox, so a
// retried webhook cannot send them twice.
func (h *Handler) sms(c echo.Context) error {
	sid := c.FormValue("MessageSid")
	from := c.FormValue("From")
	if sid == "" || from == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "MessageSid and From are required")
	}
	m := &dispatch.InboundMessage{MessageSID: sid, From: from, Body: c.FormValue("Body"), ReceivedAt: h.opts.Now()}
	n, _ := strconv.Atoi(c.FormValue("NumMedia"))
	for i := 0; i < n && i < maxMedia; i++ {
		if u := c.FormValue("MediaUrl" + strconv.Itoa(i)); u != "" {
			m.MediaURLs = append(m.MediaURLs, u)
		}
	}
	if err := h.opts.SMS.HandleSMS(c.Request().Context(), m); err != nil &&
		!h.journal(c.Request().Context(), err, &dispatch.JournalEntry{Kind: dispatch.JournalSMS, SMS: m}) {
		return echo.NewHTTPError(statusOf(err), dispatch.ErrorMessage(err))
	}
	doc, err := twiml.Messages(nil)
	if err != nil {
		return dispatch.E("intake.sms", err)
	}
	return c.Blob(http.StatusOK, "application/xml; charset=utf-8", []byte(doc))
}

// status records a message's delivery status callback.
func (h *Handler) status(c echo.Context) error {
	sid := c.FormValue("MessageSid")
	st := c.FormValue("MessageStatus")
	if sid == "" || st == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "MessageSid and MessageStatus are required")
	}
	if err := h.opts.Status.RecordStatus(c.Request().Context(), sid, st, c.FormValue("ErrorCode")); err != nil {
		return echo.NewHTTPError(statusOf(err), dispatch.ErrorMessage(err))
	}
	return c.NoContent(http.StatusNoContent)
}
