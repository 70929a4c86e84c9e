package integration

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func addPhoto(t *testing.T, s *postgres.Store, tk *dispatch.Ticket, data []byte) *dispatch.Attachment {
	t.Helper()
	a := &dispatch.Attachment{TicketID: tk.ID, ContentType: dispatch.TypeJPEG, Data: data}
	if err := s.AddAttachment(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func photoPath(a *dispatch.Attachment) string {
	return "/console/tickets/" + strconv.FormatInt(a.TicketID, 10) + "/photos/" + strconv.FormatInt(a.ID, 10)
}

// getRaw is browser.get with the response's headers.
func (b *browser) getRaw(path string) (*http.Response, []byte) {
	b.g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.g.srv.URL+path, nil)
	res := b.do(req)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func TestConsolePhotoNeedsLoginAndTheTicketsCentre(t *testing.T) {
	g := newScopeRig(t)
	data := tinyJPEG(t)
	mine, theirs := addPhoto(t, g.store, g.mine, data), addPhoto(t, g.store, g.theirs, data)

	res, body := g.anonymous().getRaw(photoPath(mine))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") ||
		bytes.Equal(body, data) {
		t.Fatalf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	disp, coord := g.loginAs("baikonur"), g.loginAs("coord")
	res, body = disp.getRaw(photoPath(mine))
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("own centre's photo: %d, %d bytes", res.StatusCode, len(body))
	}
	for k, want := range map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "private, no-store"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// another centre's photo, and a photo asked for through the wrong ticket
	wrongTicket := "/console/tickets/" + strconv.FormatInt(g.mine.ID, 10) + "/photos/" + strconv.FormatInt(theirs.ID, 10)
	for _, p := range []string{photoPath(theirs), wrongTicket, photoPath(mine) + "0", "/console/tickets/" +
		strconv.FormatInt(g.mine.ID, 10) + "/photos/x"} {
		if res, body := disp.getRaw(p); res.StatusCode != http.StatusNotFound || bytes.Equal(body, data) {
			t.Errorf("Baikonur GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if res, body := coord.getRaw(photoPath(theirs)); res.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("coordinator: %d", res.StatusCode)
	}

	// the ticket page shows it as a described thumbnail
	_, page := disp.get(ticketPath(g.mine) + "?lang=en")
	for _, want := range []string{`<img src="` + photoPath(mine) + `" alt="Photo 1 of 1 sent with the report"`,
		`<a href="` + photoPath(mine) + `">`} {
		if !strings.Contains(page, want) {
			t.Fatalf("ticket page lacks %s", want)
		}
	}
	if _, page := disp.get(ticketPath(g.none)); strings.Contains(page, "/photos/") {
		t.Fatal("a ticket without photos shows some")
	}
}

func TestBarrierPagesShowPhotosOnlyInTheConsole(t *testing.T) {
	g := newRecRig(t)
	tk := g.newTicket(g.client("Сапарова Айгерим"), func(tk *dispatch.Ticket) {
		tk.Channel = dispatch.ChannelWeb
		tk.Category = dispatch.CategoryAccessibility
		tk.Address = "пр. Республики 24"
	})
	first, second := addPhoto(t, g.store, tk, tinyJPEG(t)), addPhoto(t, g.store, tk, tinyJPEG(t))
	// an MMS joined to the ticket brought a photo too, kept as Twilio's link
	if err := g.store.SaveInbound(g.ctx, &dispatch.InboundMessage{MessageSID: "MMphoto", From: g.phone(), Body: "вот фото",
		MediaURLs: []string{"https://api.twilio.com/media/ME1"}, TicketID: &tk.ID}); err != nil {
		t.Fatal(err)
	}
	b := g.login(dispatch.RoleViewer)
	status, page := b.get("/console/barriers/" + strconv.FormatInt(tk.ID, 10) + "?lang=ru")
	if status != http.StatusOK {
		t.Fatalf("barrier page: %d", status)
	}
	for _, want := range []string{
		`<img src="` + photoPath(first) + `" alt="Фото 1 из 2, присланное с сообщением"`,
		`<img src="` + photoPath(second) + `" alt="Фото 2 из 2, присланное с сообщением"`,
		`href="https://api.twilio.com/media/ME1"`, // the MMS's media, a link as before
	} {
		if !strings.Contains(page, want) {
			t.Errorf("barrier page lacks %s", want)
		}
	}
	if res, _ := b.getRaw(photoPath(second)); res.StatusCode != http.StatusOK {
		t.Fatalf("a viewer's photo: %d", res.StatusCode)
	}
	for _, lang := range []string{"kk", "ru", "en"} {
		status, pub := g.anonymous().get("/barriers?lang=" + lang)
		if status != http.StatusOK || !strings.Contains(pub, "<table") && !strings.Contains(pub, "<li") {
			t.Fatalf("public page %s: %d", lang, status)
		}
		mustNotContain(t, "public page", pub, "/photos/", "<img", "api.twilio.com", "ME1")
	}
}
