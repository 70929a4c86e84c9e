package dispatch_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestParseVolunteerCSV(t *testing.T) {
	in := "\xef\xbb\xbfName;Phone;Languages;Skills;Lat;Lon;Max_Tasks;Available\n" +
		"Aigerim Nurlanovna;+77011234567;kk,ru;car,wheelchair;51,1694;71,4491;2;да\n" +
		"\"Ivanov; Ivan\";+7 701 765 43 21;ru;;;;;no\n" +
		"\n" +
		";+77010000000;xx;flying;95;71;0;maybe\n" +
		"Dup;+77011234567;ru;;;;;\n" +
		"Short;+77019999999\n"
	im, err := dispatch.ParseVolunteerCSV(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Rows) != 2 {
		t.Fatalf("good rows = %d, want 2: %+v", len(im.Rows), im.Errors)
	}
	a := im.Rows[0].Volunteer
	if a.Name != "Aigerim Nurlanovna" || a.Phone != "+77011234567" || fmt.Sprint(a.Languages) != "[kk ru]" ||
		fmt.Sprint(a.Skills) != "[car wheelchair]" || a.Location == nil || a.Location.Lat != 51.1694 || a.MaxTasks != 2 || !a.Available {
		t.Errorf("row 2 = %+v", a)
	}
	b := im.Rows[1].Volunteer
	if b.Name != "Ivanov; Ivan" || b.Phone != "+77017654321" || b.Available || b.Location != nil || fmt.Sprint(b.Languages) != "[ru]" {
		t.Errorf("row 3 = %+v", b)
	}
	want := map[string]bool{
		"5:name": true, "5:languages": true, "5:skills": true, "5:lat": true, "5:max_tasks": true, "5:available": true,
		"6:phone": true, "7:": true,
	}
	got := map[string]bool{}
	for _, e := range im.Errors {
		got[fmt.Sprintf("%d:%s", e.Line, e.Field)] = true
		if e.Message == "" {
			t.Errorf("error without a message: %+v", e)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing error %s in %+v", k, im.Errors)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors = %+v, want exactly %v", im.Errors, want)
	}
	if im.BadLines() != 3 {
		t.Errorf("bad lines = %d, want 3", im.BadLines())
	}
}

// Centres write languages and skills as words, in Russian or Kazakh.
func TestParseVolunteerCSVWords(t *testing.T) {
	in := "name,phone,languages,skills\nАнна,+77011234567,\"казахский, русский\",\"машина, коляска\"\nБолат,+77011234568,қазақша ағылшын,көлік\n"
	im, err := dispatch.ParseVolunteerCSV(strings.NewReader(in), nil)
	if err != nil || len(im.Errors) > 0 || len(im.Rows) != 2 {
		t.Fatalf("%v %+v", err, im.Errors)
	}
	if a := im.Rows[0].Volunteer; fmt.Sprint(a.Languages, a.Skills) != "[kk ru] [car wheelchair]" {
		t.Errorf("Анна: %v %v", a.Languages, a.Skills)
	}
	if b := im.Rows[1].Volunteer; fmt.Sprint(b.Languages, b.Skills) != "[kk en] [car]" {
		t.Errorf("Болат: %v %v", b.Languages, b.Skills)
	}
}

func TestParseVolunteerCSVFileErrors(t *testing.T) {
	for _, in := range []string{"", "name\nAnna\n", "name,phone,colour\n", "name,phone,name\n"} {
		if _, err := dispatch.ParseVolunteerCSV(strings.NewReader(in), nil); !dispatch.IsCode(err, dispatch.EINVALID) || dispatch.ErrorMessage(err) == "" {
			t.Errorf("%q: err = %v, want EINVALID with a message", in, err)
		}
	}
}

// volunteersCSV makes n rows; every bad-th row (if bad > 0) has a bad phone.
func volunteersCSV(n, bad int) string {
	var b strings.Builder
	b.WriteString("name,phone,languages,skills,lat,lon,max_tasks,available\n")
	for i := 0; i < n; i++ {
		phone := fmt.Sprintf("+7701%07d", i)
		if bad > 0 && i%bad == bad-1 {
			phone = "not-a-phone"
		}
		fmt.Fprintf(&b, "Volunteer %d,%s,\"kk,ru\",car,51.%04d,71.%04d,2,yes\n", i, phone, i%10000, i%10000)
	}
	return b.String()
}

func BenchmarkParseVolunteerCSV10k(b *testing.B) {
	in := volunteersCSV(10000, 0)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		im, err := dispatch.ParseVolunteerCSV(strings.NewReader(in), nil)
		if err != nil || len(im.Rows) != 10000 {
			b.Fatalf("%v, %d rows", err, len(im.Rows))
		}
	}
}

func FuzzParseVolunteerCSV(f *testing.F) {
	f.Add(volunteersCSV(3, 2))
	f.Add("name;phone\n\"a\"\"b\";+77011234567\n")
	f.Add("\xef\xbb\xbfname,phone,lat,lon\nx,+1234567,1,\n\"unterminated")
	f.Fuzz(func(t *testing.T, in string) {
		im, err := dispatch.ParseVolunteerCSV(strings.NewReader(in), nil)
		if err != nil {
			if dispatch.ErrorMessage(err) == "" {
				t.Fatalf("error without a message: %v", err)
			}
			return
		}
		for _, r := range im.Rows {
			v := r.Volunteer
			if v.Name == "" || v.Phone == "" || v.MaxTasks < 1 || v.MaxTasks > 20 || r.Line < 2 {
				t.Fatalf("a good row is not good: line %d %+v", r.Line, v)
			}
			if v.Location != nil && v.Location.Validate() != nil {
				t.Fatalf("bad location passed: %+v", v.Location)
			}
		}
		for _, e := range im.Errors {
			if e.Message == "" || e.Line < 1 {
				t.Fatalf("error without a line or message: %+v", e)
			}
		}
	})
}
