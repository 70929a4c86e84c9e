package integration

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// upload posts the import form as a browser does (multipart), with the file
// or with the text the preview carries.
func (b *browser) upload(fields map[string]string, file string) (int, string) {
	b.g.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("csrf", b.csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != "" {
		fw, _ := w.CreateFormFile("file", "volunteers.csv")
		_, _ = io.WriteString(fw, file)
	}
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.g.srv.URL+"/console/volunteers/import", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res := b.do(req)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// centreCSV is a centre's list of n volunteers; the lines in bad (file
// line numbers, the header being line 1) have a broken phone.
func centreCSV(n int, bad map[int]bool) string {
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfname;phone;languages;skills;lat;lon;max_tasks;available\n")
	for i := 0; i < n; i++ {
		phone := fmt.Sprintf("+7705%07d", i)
		if bad[i+2] {
			phone = "8-800-NOPE"
		}
		fmt.Fprintf(&b, "\"Ерікті %d\";%s;kk ru;car;51,%04d;71,%04d;2;да\n", i, phone, i%10000, i%10000)
	}
	return b.String()
}

func countVolunteers(g *conRig) int {
	g.t.Helper()
	_, n, err := g.store.Volunteers(g.ctx, dispatch.VolunteerFilter{Limit: 1})
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

var errorRow = regexp.MustCompile(`<tr><td class="num">(\d+)</td><td>(\w*)</td>`)

// A file of 10,000 volunteers with some bad rows: the preview reports each
// bad row by line and column; nothing is imported while a row is bad, not
// even by a commit sent anyway; "only the good rows" imports exactly those,
// in one go.
func TestConsoleImportTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 rows")
	}
	g := newConRig(t)
	existing := g.volunteer("Уже есть")
	bad := map[int]bool{2: true, 777: true, 5000: true, 10001: true}
	file := centreCSV(10000, bad)
	// One more row whose phone is already a volunteer's.
	file += fmt.Sprintf("Дубль;%s;ru;;;;1;yes\n", existing.Phone)
	b := g.login(dispatch.RoleDispatcher)

	status, body := b.upload(map[string]string{"step": "preview"}, file)
	if status != http.StatusOK {
		t.Fatalf("preview: %d", status)
	}
	wantLines := map[string]string{"2": "phone", "777": "phone", "5000": "phone", "10001": "phone", "10002": "phone"}
	gotLines := map[string]string{}
	for _, m := range errorRow.FindAllStringSubmatch(body, -1) {
		gotLines[m[1]] = m[2]
	}
	if fmt.Sprint(gotLines) != fmt.Sprint(wantLines) {
		t.Errorf("error report lines = %v, want %v", gotLines, wantLines)
	}
	if !strings.Contains(body, "9996") || !strings.Contains(body, `name="only_good" value="yes"`) {
		t.Errorf("preview does not offer importing the 9996 good rows")
	}
	if n := countVolunteers(g); n != 1 {
		t.Fatalf("the preview imported something: %d volunteers", n)
	}

	// A commit without the explicit choice is refused and writes nothing.
	status, body = b.upload(map[string]string{"step": "commit", "csv": file}, "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("commit with bad rows: %d, want 422 with an alert", status)
	}
	if n := countVolunteers(g); n != 1 {
		t.Fatalf("a refused import wrote %d volunteers", n-1)
	}

	status, _ = b.upload(map[string]string{"step": "commit", "csv": file, "only_good": "yes"}, "")
	if status != http.StatusOK {
		t.Fatalf("commit of the good rows: %d", status)
	}
	if n := countVolunteers(g); n != 1+9996 {
		t.Fatalf("imported %d volunteers, want 9996", n-1)
	}
	v, err := g.store.VolunteerByPhone(g.ctx, "+77050000100")
	if err != nil || v.Name != "Ерікті 100" || fmt.Sprint(v.Languages) != "[kk ru]" || !v.HasSkill(dispatch.SkillCar) ||
		v.Location == nil || v.Location.Lat != 51.01 || v.MaxTasks != 2 || !v.Available {
		t.Errorf("imported row = %+v, %v", v, err)
	}
}

// A clean file is imported whole, and importing it again is refused row by
// row (every phone exists) with nothing written twice.
func TestConsoleImportCleanFile(t *testing.T) {
	g := newConRig(t)
	b := g.login(dispatch.RoleDispatcher)
	file := centreCSV(30, nil)
	status, body := b.upload(map[string]string{"step": "preview"}, file)
	if status != http.StatusOK || !strings.Contains(body, `id="import-commit"`) || strings.Contains(body, `id="import-errors"`) {
		t.Fatalf("preview of a clean file: %d", status)
	}
	if status, _ := b.upload(map[string]string{"step": "commit", "csv": file}, ""); status != http.StatusOK {
		t.Fatalf("commit: %d", status)
	}
	if n := countVolunteers(g); n != 30 {
		t.Fatalf("%d volunteers, want 30", n)
	}
	status, body = b.upload(map[string]string{"step": "commit", "csv": file}, "")
	if status != http.StatusUnprocessableEntity || len(errorRow.FindAllString(body, -1)) != 30 {
		t.Fatalf("second import: %d with %d error rows, want 422 and 30", status, len(errorRow.FindAllString(body, -1)))
	}
	if n := countVolunteers(g); n != 30 {
		t.Fatalf("%d volunteers after a refused second import, want 30", n)
	}
	// A file that is not a volunteers file at all says what is wrong.
	status, body = b.upload(map[string]string{"step": "preview"}, "colour,size\nred,1\n")
	if status != http.StatusBadRequest || !strings.Contains(body, "unknown column") {
		t.Fatalf("wrong header: %d", status)
	}
}

// BenchmarkConsoleImport10k measures a whole import of 10,000 volunteers
// through the console: upload, parse, duplicate check and the one
// transaction that writes them.
func BenchmarkConsoleImport10k(b *testing.B) {
	g := newConRigTB(b)
	br := g.login(dispatch.RoleDispatcher)
	i := 0
	for b.Loop() {
		b.StopTimer()
		var sb strings.Builder
		sb.WriteString("name,phone,languages,skills,lat,lon,max_tasks,available\n")
		for j := 0; j < 10000; j++ {
			fmt.Fprintf(&sb, "V %d,+7706%07d,ru,car,51.1,71.4,1,yes\n", j, i*10000+j)
		}
		i++
		b.StartTimer()
		if status, _ := br.upload(map[string]string{"step": "commit", "csv": sb.String()}, ""); status != http.StatusOK {
			b.Fatalf("import: %d", status)
		}
	}
}
