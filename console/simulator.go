package console

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The phone simulator lets one person play caller, volunteer and
// dispatcher on one machine. It does not call the services directly: it
// signs each request with the webhook token and sends it through the same
// Echo router that Twilio's requests reach, so that the signature check,
// the body limit and the handlers all run exactly as in production.

// Paths of the Twilio webhooks (intake). callStatusPath is optional: a
// hang-up is reported there when the intake serves it.
const (
	smsPath        = "/twilio/sms"
	voicePath      = "/twilio/voice"
	callStatusPath = "/twilio/voice/status"
	simAccountSID  = "ACsimulator00000000000000000000000"
	simMaxRedirect = 10
)

func (c *Console) simRepo() dispatch.SimulatorRepo {
	if r := c.opts.Pages.Sim; r != nil {
		return r
	}
	r, _ := c.store.(dispatch.SimulatorRepo)
	return r
}

// registerSimulator mounts the simulator, only in simulator mode: with real
// Twilio credentials it would sign requests with the real token.
func (c *Console) registerSimulator(g *echo.Group) {
	if !c.opts.SimulatorMode {
		return
	}
	g.GET("/simulator", c.simulatorPage, c.require(actPage))
	g.POST("/simulator/sms", c.simulatorSMS, c.require(actPage))
	g.POST("/simulator/call", c.simulatorCall, c.require(actPage))
}

// simData is the simulator page.
type simData struct {
	From, Body string
	// Result is the answer to the text just sent.
	Result *simResult
	Call   *simCall
	Out    []*dispatch.Notification
	In     []*dispatch.InboundMessage
	Known  []simPhone
}

type simResult struct {
	Status int
	Reply  []callPrompt
}

// simCall is a call in progress: what was heard, and the form for the next
// key. It round-trips in hidden fields, so the server keeps no call state.
type simCall struct {
	SID, From string
	Pressed   string
	Status    int
	Step      callStep
	Ended     bool
}

type simPhone struct{ Phone, Name string }

func (c *Console) simulatorPage(ec echo.Context) error {
	return c.renderSim(ec, http.StatusOK, &simData{}, "")
}

// renderSim shows the page with the latest messages; errMsg, when set, is
// shown at the top.
func (c *Console) renderSim(ec echo.Context, status int, d *simData, errMsg string) error {
	ctx := ec.Request().Context()
	repo := c.simRepo()
	if repo == nil {
		return dispatch.Errorf(dispatch.EINTERNAL, "console: no simulator repository is wired")
	}
	var err error
	if d.Out, err = repo.RecentNotifications(ctx, 50); err != nil {
		return dispatch.E("console.simulator", err)
	}
	if d.In, err = repo.RecentInbound(ctx, 20); err != nil {
		return dispatch.E("console.simulator", err)
	}
	vols, _, err := c.store.Volunteers(ctx, dispatch.VolunteerFilter{Limit: 50})
	if err != nil {
		return dispatch.E("console.simulator", err)
	}
	for _, v := range vols {
		d.Known = append(d.Known, simPhone{Phone: v.Phone, Name: v.Name})
	}
	p := c.Page(ec, "simulator", "sim.title", d)
	p.Error = errMsg
	return c.Render(ec, status, "simulator", p)
}

func (c *Console) simulatorSMS(ec echo.Context) error {
	d := &simData{From: strings.TrimSpace(ec.FormValue("from")), Body: ec.FormValue("body")}
	p := c.Page(ec, "simulator", "sim.title", d)
	if d.From == "" || strings.TrimSpace(d.Body) == "" {
		return c.renderSimError(ec, d, p.T("sim.need_from_body"))
	}
	form := url.Values{
		"MessageSid": {"SM" + simID()}, "AccountSid": {simAccountSID}, "From": {d.From},
		"To": {c.opts.Pages.ServiceNumber}, "Body": {d.Body}, "NumMedia": {"0"},
	}
	status, body, err := c.simPost(ec, smsPath, form)
	if err != nil {
		return c.renderSimError(ec, d, dispatch.ErrorMessage(err))
	}
	d.Result = &simResult{Status: status}
	if doc, err := parseTwiML(body); err == nil {
		d.Result.Reply = walk(doc).Prompts
	}
	d.Body = ""
	return c.renderSim(ec, http.StatusOK, d, "")
}

// simulatorCall starts a call (no action) or answers the step in progress:
// a key, a timeout, a finished recording, or the dispatcher's phone.
func (c *Console) simulatorCall(ec echo.Context) error {
	call := &simCall{SID: ec.FormValue("call_sid"), From: strings.TrimSpace(ec.FormValue("from"))}
	d := &simData{From: call.From, Call: call}
	p := c.Page(ec, "simulator", "sim.title", d)
	if call.From == "" {
		d.Call = nil
		return c.renderSimError(ec, d, p.T("sim.need_from"))
	}
	form := url.Values{"AccountSid": {simAccountSID}, "From": {call.From},
		"To": {c.opts.Pages.ServiceNumber}, "Direction": {"inbound"}, "CallStatus": {"in-progress"}}
	target := voicePath
	switch input := ec.FormValue("input"); {
	case call.SID == "":
		call.SID = "CA" + simID()
		form.Set("CallStatus", "ringing")
	case input == "hangup":
		form.Set("CallStatus", "completed")
		form.Set("CallSid", call.SID)
		// An intake without a status route answers 404: the hang-up is
		// then simply the end of the simulation.
		_, _, _ = c.simPost(ec, callStatusPath, form)
		call.Ended, call.Pressed = true, p.T("sim.hung_up")
		return c.renderSim(ec, http.StatusOK, d, "")
	case input == "timeout":
		target = ec.FormValue("timeout")
		if ec.FormValue("on_empty") == "true" {
			target = ec.FormValue("action")
			form.Set("Digits", "")
		}
		call.Pressed = p.T("sim.no_key")
		if target == "" {
			call.Ended = true
			return c.renderSim(ec, http.StatusOK, d, "")
		}
	case input == "record":
		target = ec.FormValue("action")
		rec := "RE" + simID()
		form.Set("RecordingSid", rec)
		form.Set("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/"+simAccountSID+"/Recordings/"+rec)
		form.Set("RecordingDuration", "7")
		form.Set("Digits", "#")
		call.Pressed = p.T("sim.recorded")
	case input == "answered" || input == "no-answer":
		target = ec.FormValue("action")
		form.Set("DialCallStatus", input)
		call.Pressed = p.T("sim.dial_" + strings.ReplaceAll(input, "-", "_"))
		if target == "" {
			target = ec.FormValue("timeout")
		}
	case strings.HasPrefix(input, "key:"):
		target = ec.FormValue("action")
		form.Set("Digits", strings.TrimPrefix(input, "key:"))
		call.Pressed = p.T("sim.pressed", strings.TrimPrefix(input, "key:"))
	default:
		return c.renderSimError(ec, d, p.T("sim.bad_input"))
	}
	if target == "" {
		target = voicePath // a Gather without action posts back to the same document
	}
	form.Set("CallSid", call.SID)
	var texts map[string]string
	for i := 0; ; i++ {
		status, body, err := c.simPost(ec, target, form)
		if err != nil {
			return c.renderSimError(ec, d, dispatch.ErrorMessage(err))
		}
		call.Status = status
		doc, err := parseTwiML(body)
		if err != nil || status != http.StatusOK {
			call.Ended = true
			return c.renderSimError(ec, d, p.T("sim.bad_twiml", status))
		}
		step := walk(doc)
		for i, pr := range step.Prompts {
			if pr.Kind == "play" {
				if texts == nil {
					texts = promptTexts(c.files())
				}
				step.Prompts[i].Said = said(texts, pr.Text)
			}
		}
		call.Step.Prompts = append(call.Step.Prompts, step.Prompts...)
		call.Step.Wait, call.Step.Action, call.Step.Timeout = step.Wait, step.Action, step.Timeout
		call.Step.TimeoutOnEmpty = step.TimeoutOnEmpty
		if step.Redirect == "" || i >= simMaxRedirect {
			break
		}
		target = step.Redirect
		form.Del("Digits")
	}
	call.Ended = call.Step.Wait == ""
	return c.renderSim(ec, http.StatusOK, d, "")
}

func (c *Console) renderSimError(ec echo.Context, d *simData, msg string) error {
	return c.renderSim(ec, http.StatusBadRequest, d, msg)
}

// simPost signs form for target (a path, or a URL under PUBLIC_BASE_URL)
// and serves it through this process's router.
func (c *Console) simPost(ec echo.Context, target string, form url.Values) (int, []byte, error) {
	base, err := url.Parse(c.opts.Pages.PublicBaseURL)
	if err != nil || base.Host == "" {
		return 0, nil, dispatch.Errorf(dispatch.EINTERNAL, "the simulator needs PUBLIC_BASE_URL")
	}
	u, err := base.Parse(target)
	if err != nil {
		return 0, nil, dispatch.Errorf(dispatch.EINVALID, "the call flow named a bad URL %q", target)
	}
	// Only this service's own webhooks: the simulator must not become a way
	// to send signed requests anywhere else.
	if u.Scheme != base.Scheme || u.Host != base.Host || !strings.HasPrefix(u.Path, "/twilio/") {
		return 0, nil, dispatch.Errorf(dispatch.EINVALID, "the call flow pointed outside the service's webhooks: %q", u.Path)
	}
	full := u.String()
	req, err := http.NewRequestWithContext(ec.Request().Context(), http.MethodPost, full, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, dispatch.E("console.simPost", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(c.opts.Pages.WebhookToken, full, form))
	req.RemoteAddr = "127.0.0.1:0"
	req.RequestURI = u.RequestURI()
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	ec.Echo().ServeHTTP(rec, req)
	return rec.status, rec.body.Bytes(), nil
}

// recorder collects a response served in-process.
type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func simID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// keypad is the keys of a phone, in the order they are laid out.
func (d *simData) Keypad() []string {
	return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"}
}

// Describe renders a prompt for the page.
func (d *simData) Describe(p *Page, pr callPrompt) string {
	switch pr.Kind {
	case "say":
		return pr.Text
	case "play":
		if pr.Said != "" {
			return p.T("sim.play_said", pr.Said)
		}
		return p.T("sim.play", pr.Text)
	case "record":
		return p.T("sim.record", pr.Text)
	case "dial":
		return p.T("sim.dial", pr.Text)
	case "hangup":
		return p.T("sim.hangup")
	case "message":
		return p.T("sim.reply", pr.Text)
	}
	return fmt.Sprint(pr)
}
