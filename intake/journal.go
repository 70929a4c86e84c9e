package intake

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// When PostgreSQL is away, Twilio's retries of a webhook end long before a
// database blip does. A verified text, a valid form and a caller's number
// are then written to the journal (Options.Journal) and answered as
// accepted; a dispatch.Replayer makes the ticket once PostgreSQL is back.
// If the journal fails too (Redis is down), the answer stays 5xx so that
// Twilio retries.

// callKey is where the voice handlers leave the call they loaded, so that a
// call journalled after a failure keeps its language, kind of help and
// recording.
const callKey = "intake.call"

// unavailable reports whether err means PostgreSQL (or the store behind
// intake) is away: the one failure the journal stands in for.
func unavailable(err error) bool {
	if dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		return true
	}
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusServiceUnavailable
}

// journal keeps e when err says the store is away and the journal is on
// and answers. It returns true when e is kept: the request may be answered
// as accepted.
func (h *Handler) journal(ctx context.Context, err error, e *dispatch.JournalEntry) bool {
	if h.opts.Journal == nil || !unavailable(err) {
		return false
	}
	e.At = h.opts.Now()
	if jerr := h.opts.Journal.Append(context.WithoutCancel(ctx), e); jerr != nil {
		h.log.Error("intake: PostgreSQL unavailable and the journal failed too", "kind", string(e.Kind), "err", jerr)
		return false
	}
	h.log.Warn("intake: PostgreSQL unavailable, request journalled for replay", "entry", e.ID(), "kind", string(e.Kind))
	return true
}

// journalCall guards the voice routes: a step that failed because the store
// is away journals the caller's number as a call-back request and tells the
// caller, in their menu language, that we will call back. Twilio's status
// callback, which expects no TwiML, gets 204.
func (h *Handler) journalCall(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed || h.opts.Journal == nil || !unavailable(err) {
			return err
		}
		call, _ := c.Get(callKey).(*dispatch.Call)
		if call == nil {
			call = &dispatch.Call{CallSID: c.FormValue("CallSid"), From: c.FormValue("From")}
		}
		if call.Lang == "" && c.Path() == "/twilio/voice/lang" {
			if n, _ := strconv.Atoi(c.FormValue("Digits")); n >= 1 && n <= len(dispatch.Langs) {
				call.Lang = dispatch.Langs[n-1]
			}
		}
		if u := c.FormValue("RecordingUrl"); u != "" {
			call.RecordingURL = u
		}
		if !h.journalCallBack(c, call, err) {
			return err
		}
		if c.Path() == "/twilio/voice/status" {
			return c.NoContent(http.StatusNoContent)
		}
		return h.callBackLater(c, call.Lang)
	}
}

// journalCallBack journals call as a call-back request. A number nobody can
// call back (withheld) is not journalled.
func (h *Handler) journalCallBack(c echo.Context, call *dispatch.Call, err error) bool {
	if call.CallSID == "" {
		return false
	}
	if _, perr := h.opts.Phones.Normalize(call.From); perr != nil {
		return false
	}
	r := &dispatch.IntakeRequest{SourceID: call.CallSID, Channel: dispatch.ChannelVoice, Phone: call.From,
		Category: call.Category, Lang: call.Lang, RecordingURL: call.RecordingURL, CallBack: true,
		Actor: dispatch.ActorClient}
	return h.journal(c.Request().Context(), err, &dispatch.JournalEntry{Kind: dispatch.JournalRequest, Request: r})
}

// callBackLater says that the request could not be taken now but the number
// is noted and a dispatcher will call back: in the caller's language, or in
// all three when none was chosen yet.
func (h *Handler) callBackLater(c echo.Context, lang dispatch.Lang) error {
	langs := dispatch.Langs
	if lang.Valid() && lang != "" {
		langs = []dispatch.Lang{lang}
	}
	var verbs []twiml.Element
	for _, l := range langs {
		verbs = append(verbs, h.prompts.text(l, "callback_later", "")...)
	}
	for _, l := range langs {
		verbs = append(verbs, h.prompts.text(l, "goodbye", "")...)
	}
	return twimlOK(c, append(verbs, &twiml.VoiceHangup{}))
}
