package intake

import (
	"net/http"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// inHours reports whether the dispatchers' phone is answered now.
func (h *Handler) inHours() bool {
	if h.opts.DispatcherNumber == "" {
		return false
	}
	start, end, err := configs.ParseHours(h.opts.DispatcherHours)
	if err != nil {
		return false
	}
	now := h.opts.Now().In(h.opts.Location)
	m := now.Hour()*60 + now.Minute()
	if start <= end {
		return m >= start && m < end
	}
	return m >= start || m < end // a night shift across midnight
}

// toDispatcher dials the dispatchers in their hours, else takes a voicemail.
func (h *Handler) toDispatcher(c echo.Context, call *dispatch.Call) error {
	ctx := c.Request().Context()
	if call.Lang == "" {
		call.Lang = dispatch.LangRU
	}
	if !h.inHours() {
		call.Step = dispatch.CallStepVoicemail
		if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
			return err
		}
		return h.step(c, call, nil)
	}
	call.Step = dispatch.CallStepDispatcher
	if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
		return err
	}
	verbs := h.prompts.text(call.Lang, "connecting", "")
	verbs = append(verbs, &twiml.VoiceDial{Number: h.opts.DispatcherNumber, Timeout: "25",
		Action: h.url("/twilio/voice/dial-result"), Method: http.MethodPost})
	return twimlOK(c, verbs)
}

// voiceDialResult: nobody answered the dispatchers' phone, so a voicemail.
func (h *Handler) voiceDialResult(c echo.Context) error {
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	switch c.FormValue("DialCallStatus") {
	case "completed", "answered":
		// A dispatcher spoke with the caller; when the call ends without a
		// ticket, the status callback leaves one for the record.
		verbs := h.prompts.text(call.Lang, "goodbye", "")
		return twimlOK(c, append(verbs, &twiml.VoiceHangup{}))
	}
	call.Step = dispatch.CallStepVoicemail
	if err := h.opts.Calls.UpdateCall(c.Request().Context(), call); err != nil {
		return err
	}
	return h.step(c, call, nil)
}

// voiceVoicemail takes the message left for the dispatchers: a call-back
// ticket, with the recording when there is one.
func (h *Handler) voiceVoicemail(c echo.Context) error {
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	if u := c.FormValue("RecordingUrl"); u != "" {
		call.RecordingURL = u
	}
	return h.finish(c, call, true)
}

// callEnded are the final CallStatus values of Twilio's status callback.
func callEnded(s string) bool {
	switch s {
	case "completed", "busy", "failed", "no-answer", "canceled":
		return true
	}
	return false
}

// voiceStatus is the call's status callback (configured on the number). A
// call that ends before its ticket exists leaves a call-back ticket with
// what is known, so that no caller is lost.
func (h *Handler) voiceStatus(c echo.Context) error {
	if !callEnded(c.FormValue("CallStatus")) {
		return c.NoContent(http.StatusNoContent)
	}
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	if call.TicketID == nil {
		if _, err := h.submitCall(c.Request().Context(), call, true); err != nil {
			// Twilio retries a failed callback: answer 5xx (or 4xx for a
			// number nobody can call back).
			return echo.NewHTTPError(statusOf(err), dispatch.ErrorMessage(err))
		}
	}
	return c.NoContent(http.StatusNoContent)
}
