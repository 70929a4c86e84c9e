package intake

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// The hotline is keypad first: every menu is a one-key <Gather>, "*" repeats
// the prompt, "0" reaches a human dispatcher, and a step that times out is
// repeated once and then goes on with what is known, so that a caller who
// cannot use the keypad still ends with a ticket. The call's state is kept
// in PostgreSQL (dispatch.CallRepo) between Twilio's requests.

const (
	keyRepeat     = "*"
	keyDispatcher = "0"
	gatherTimeout = "7"
)

// twimlOK writes a TwiML document.
func twimlOK(c echo.Context, verbs []twiml.Element) error {
	doc, err := twiml.Voice(verbs)
	if err != nil {
		return dispatch.E("intake.twiml", err)
	}
	return c.Blob(http.StatusOK, "application/xml; charset=utf-8", []byte(doc))
}

func (h *Handler) url(path string) string {
	return strings.TrimRight(h.opts.PublicBaseURL, "/") + path
}

// loadCall finds the call a step belongs to. A step whose call is unknown
// (its first webhook was lost) starts the call afresh.
func (h *Handler) loadCall(c echo.Context) (*dispatch.Call, error) {
	ctx := c.Request().Context()
	sid := c.FormValue("CallSid")
	if sid == "" {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "CallSid is missing")
	}
	call, err := h.opts.Calls.Call(ctx, sid)
	if dispatch.IsCode(err, dispatch.ENOTFOUND) {
		call = &dispatch.Call{CallSID: sid, From: c.FormValue("From"), Step: dispatch.CallStepLang}
		err = h.opts.Calls.StartCall(ctx, call)
	}
	if call != nil {
		c.Set(callKey, call) // for journalCall
	}
	return call, err
}

// voiceStart answers an incoming call: a known caller is greeted by name
// and goes straight to the kind of help; anyone else chooses a language.
func (h *Handler) voiceStart(c echo.Context) error {
	ctx := c.Request().Context()
	sid := c.FormValue("CallSid")
	if sid == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "CallSid is missing")
	}
	call := &dispatch.Call{CallSID: sid, From: c.FormValue("From"), Step: dispatch.CallStepLang}
	c.Set(callKey, call) // for journalCall
	if err := h.opts.Calls.StartCall(ctx, call); err != nil {
		return err
	}
	if call.Step != dispatch.CallStepLang || call.Lang != "" {
		return h.step(c, call, nil) // Twilio retried the first webhook
	}
	var intro []twiml.Element
	if cl := h.knownCaller(ctx, call.From); cl != nil {
		call.Lang, call.Step = cl.Lang, dispatch.CallStepCategory
		if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
			return err
		}
		intro = h.prompts.text(cl.Lang, "welcome_back", cl.Name)
		if cl.Name == "" {
			intro = h.prompts.text(cl.Lang, "greeting", "")
		}
		return h.step(c, call, intro)
	}
	for _, l := range dispatch.Langs {
		intro = append(intro, h.prompts.text(l, "greeting", "")...)
	}
	return h.step(c, call, intro)
}

// knownCaller is the client with the caller's number, or nil.
func (h *Handler) knownCaller(ctx context.Context, from string) *dispatch.Client {
	phone, err := h.opts.Phones.Normalize(from)
	if err != nil {
		return nil // a withheld or foreign-format number: ask
	}
	cl, err := h.opts.Clients.ClientByPhone(ctx, phone)
	if err != nil {
		if !dispatch.IsCode(err, dispatch.ENOTFOUND) {
			h.log.Warn("intake: caller lookup failed, asking for the language", "from", dispatch.MaskPhone(phone), "err", err)
		}
		return nil
	}
	if !cl.Lang.Valid() {
		return nil
	}
	return cl
}

// step answers with the prompt of the call's current step, after before.
func (h *Handler) step(c echo.Context, call *dispatch.Call, before []twiml.Element) error {
	verbs := append([]twiml.Element{}, before...)
	gather := func(action string, inner []twiml.Element) {
		verbs = append(verbs,
			&twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Timeout: gatherTimeout, Action: h.url(action),
				Method: http.MethodPost, InnerElements: inner},
			// No key within the timeout: Gather falls through to here.
			&twiml.VoiceRedirect{Url: h.url(action), Method: http.MethodPost})
	}
	switch call.Step {
	case dispatch.CallStepLang:
		var menu []twiml.Element
		for _, l := range dispatch.Langs {
			menu = append(menu, h.prompts.text(l, "lang_menu", "")...)
		}
		gather("/twilio/voice/lang", menu)
	case dispatch.CallStepCategory:
		gather("/twilio/voice/category", h.prompts.text(call.Lang, "category_menu", ""))
	case dispatch.CallStepRecord:
		verbs = append(verbs, h.prompts.text(call.Lang, "record", "")...)
		verbs = append(verbs,
			&twiml.VoiceRecord{Action: h.url("/twilio/voice/recorded"), Method: http.MethodPost,
				MaxLength: strconv.Itoa(int(h.opts.RecordingMax.Seconds())), FinishOnKey: "#*0",
				Timeout: "6", PlayBeep: "true"},
			// Nothing recorded: Twilio goes on to the next verb.
			&twiml.VoiceRedirect{Url: h.url("/twilio/voice/recorded"), Method: http.MethodPost})
	case dispatch.CallStepVoicemail:
		verbs = append(verbs, h.prompts.text(call.Lang, "voicemail", "")...)
		verbs = append(verbs,
			&twiml.VoiceRecord{Action: h.url("/twilio/voice/voicemail"), Method: http.MethodPost,
				MaxLength: strconv.Itoa(int(h.opts.RecordingMax.Seconds())), FinishOnKey: "#", Timeout: "6",
				PlayBeep: "true"},
			&twiml.VoiceRedirect{Url: h.url("/twilio/voice/voicemail"), Method: http.MethodPost})
	default: // done, dispatcher: the call is over for the menu
		verbs = append(verbs, h.prompts.text(call.Lang, "goodbye", "")...)
		verbs = append(verbs, &twiml.VoiceHangup{})
	}
	return twimlOK(c, verbs)
}

// keypress is the common handling of a menu's key: "*" repeats, "0" goes
// to a dispatcher, nothing or a wrong key repeats once and then gives up.
// It returns handled=true when it answered the request itself.
func (h *Handler) keypress(c echo.Context, call *dispatch.Call, digits string, valid bool) (handled bool, giveUp bool, err error) {
	switch {
	case digits == keyDispatcher:
		return true, false, h.toDispatcher(c, call)
	case digits == keyRepeat:
		return true, false, h.step(c, call, nil)
	case valid:
		call.Retries = 0
		return false, false, nil
	}
	call.Retries++
	if call.Retries > 1 {
		call.Retries = 0
		return false, true, nil
	}
	if err := h.opts.Calls.UpdateCall(c.Request().Context(), call); err != nil {
		return true, false, err
	}
	lang := call.Lang
	if lang == "" {
		lang = dispatch.LangRU
	}
	return true, false, h.step(c, call, h.prompts.text(lang, "no_input", ""))
}

// voiceLang takes the language key: 1 kk, 2 ru, 3 en.
func (h *Handler) voiceLang(c echo.Context) error {
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	d := c.FormValue("Digits")
	n, _ := strconv.Atoi(d)
	valid := len(d) == 1 && n >= 1 && n <= len(dispatch.Langs)
	if handled, giveUp, err := h.keypress(c, call, d, valid); handled || err != nil {
		return err
	} else if giveUp {
		call.Lang = dispatch.LangRU // the language most callers speak
	} else {
		call.Lang = dispatch.Langs[n-1]
	}
	call.Step = dispatch.CallStepCategory
	if err := h.opts.Calls.UpdateCall(c.Request().Context(), call); err != nil {
		return err
	}
	return h.step(c, call, nil)
}

// voiceCategory takes the kind of help: keys 1-5 in dispatch.Categories order.
func (h *Handler) voiceCategory(c echo.Context) error {
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	d := c.FormValue("Digits")
	n, _ := strconv.Atoi(d)
	valid := len(d) == 1 && n >= 1 && n <= len(dispatch.Categories)
	if handled, giveUp, err := h.keypress(c, call, d, valid); handled || err != nil {
		return err
	} else if giveUp {
		call.Category = dispatch.CategoryOther
	} else {
		call.Category = dispatch.Categories[n-1]
	}
	call.Step = dispatch.CallStepRecord
	if err := h.opts.Calls.UpdateCall(c.Request().Context(), call); err != nil {
		return err
	}
	return h.step(c, call, nil)
}

// voiceRecorded takes the recorded description and makes the ticket.
func (h *Handler) voiceRecorded(c echo.Context) error {
	ctx := c.Request().Context()
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	if u := c.FormValue("RecordingUrl"); u != "" {
		call.RecordingURL = u
	}
	switch d := c.FormValue("Digits"); {
	case d == keyDispatcher:
		if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
			return err
		}
		return h.toDispatcher(c, call)
	case d == keyRepeat:
		call.RecordingURL = ""
		if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
			return err
		}
		return h.step(c, call, nil)
	case call.RecordingURL == "" && call.Retries == 0:
		call.Retries = 1 // silence: ask once more
		if err := h.opts.Calls.UpdateCall(ctx, call); err != nil {
			return err
		}
		return h.step(c, call, h.prompts.text(call.Lang, "no_input", ""))
	}
	call.Retries = 0
	return h.finish(c, call, false)
}

// finish makes the call's ticket and reads its code back; on failure the
// caller hears that a dispatcher will call back, and the status callback
// tries again when the call ends.
func (h *Handler) finish(c echo.Context, call *dispatch.Call, callBack bool) error {
	ctx := c.Request().Context()
	t, err := h.submitCall(ctx, call, callBack)
	if err != nil && h.journalCallBack(c, call, err) {
		return h.callBackLater(c, call.Lang)
	}
	if err != nil {
		h.log.Error("intake: call ticket not created", "call", call.CallSID, "from", dispatch.MaskPhone(call.From), "err", err)
		if !callBack && h.inHours() {
			// A number nobody can call back (withheld), or a store that
			// is down: a person takes the call rather than nobody.
			return h.toDispatcher(c, call)
		}
		verbs := h.prompts.text(call.Lang, "error", "")
		verbs = append(verbs, &twiml.VoiceHangup{})
		return twimlOK(c, verbs)
	}
	if callBack {
		verbs := h.prompts.text(call.Lang, "callback", "")
		verbs = append(verbs, h.codeReadback(call.Lang, t.Code)...)
		verbs = append(verbs, h.prompts.text(call.Lang, "goodbye", "")...)
		return twimlOK(c, append(verbs, &twiml.VoiceHangup{}))
	}
	return h.readback(c, call, t.Code)
}

// submitCall turns the call into a ticket (idempotent by CallSid) and
// remembers it on the call.
func (h *Handler) submitCall(ctx context.Context, call *dispatch.Call, callBack bool) (*dispatch.Ticket, error) {
	lang := call.Lang
	res, err := h.opts.Intake.Submit(ctx, dispatch.IntakeRequest{
		SourceID: call.CallSID, Channel: dispatch.ChannelVoice, Phone: call.From, Category: call.Category,
		Lang: lang, RecordingURL: call.RecordingURL, CallBack: callBack, Actor: dispatch.ActorClient,
	})
	if err != nil {
		return nil, err
	}
	id := res.Ticket.ID
	call.TicketID = &id
	if call.Lang == "" {
		call.Lang = res.Ticket.Lang
	}
	if call.Step != dispatch.CallStepVoicemail {
		call.Step = dispatch.CallStepDone
	}
	return res.Ticket, h.opts.Calls.UpdateCall(ctx, call)
}

func (h *Handler) codeReadback(l dispatch.Lang, code string) []twiml.Element {
	verbs := h.prompts.text(l, "code_intro", "")
	return append(verbs, h.prompts.code(l, code)...)
}

// readback reads the ticket's code; "*" hears it again, "0" a dispatcher.
func (h *Handler) readback(c echo.Context, call *dispatch.Call, code string) error {
	inner := h.codeReadback(call.Lang, code)
	inner = append(inner, &twiml.VoicePause{Length: "1"})
	inner = append(inner, h.prompts.code(call.Lang, code)...)
	inner = append(inner, h.prompts.text(call.Lang, "code_outro", "")...)
	verbs := []twiml.Element{
		&twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Timeout: gatherTimeout, Action: h.url("/twilio/voice/done"),
			Method: http.MethodPost, InnerElements: inner},
	}
	verbs = append(verbs, h.prompts.text(call.Lang, "goodbye", "")...)
	return twimlOK(c, append(verbs, &twiml.VoiceHangup{}))
}

// voiceDone is a key pressed during the read-back.
func (h *Handler) voiceDone(c echo.Context) error {
	call, err := h.loadCall(c)
	if err != nil {
		return err
	}
	switch c.FormValue("Digits") {
	case keyDispatcher:
		return h.toDispatcher(c, call)
	case keyRepeat:
		if call.TicketID != nil {
			if t, err := h.ticketCode(c.Request().Context(), call); err == nil {
				return h.readback(c, call, t)
			}
		}
	}
	verbs := h.prompts.text(call.Lang, "goodbye", "")
	return twimlOK(c, append(verbs, &twiml.VoiceHangup{}))
}

// ticketCode gets the call's ticket code again through the idempotent
// intake: the same CallSid gives the same ticket.
func (h *Handler) ticketCode(ctx context.Context, call *dispatch.Call) (string, error) {
	t, err := h.submitCall(ctx, call, false)
	if err != nil {
		return "", err
	}
	return t.Code, nil
}
