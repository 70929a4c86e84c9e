package dispatch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// VolunteerCSVColumns is the header layout of a volunteers file, as centres
// keep them in a spreadsheet. Only name and phone are required; columns may
// come in any order, header names in any case. Values:
//
//	name       the volunteer's name
//	phone      any form the phone normaliser accepts (+7 701 234 56 78, 87012345678)
//	languages  kk, ru, en separated by spaces, commas, semicolons or |; empty: ru
//	           (names as a centre's sheet writes them are accepted too:
//	           қазақ, казахский, kazakh, русский, орыс, английский, ағылшын...)
//	skills     wheelchair, sign_language, car, medical, separated the same way
//	           (or коляска, жестовый, машина, медицина; арба, ым, көлік, медицина)
//	lat, lon   decimal degrees (a decimal comma is accepted); both or neither
//	max_tasks  1 to 20; empty: 1
//	available  true/false, yes/no, 1/0, да/нет, иә/жоқ; empty: true
//	centre     a centre's key (astana-esil); empty: the centre whose district
//	           contains lat, lon (ResolveImportCentres)
//
// Fields are separated by "," or ";" (whichever the header uses), may be
// quoted, and a UTF-8 byte order mark (Excel's) is ignored.
var VolunteerCSVColumns = []string{"name", "phone", "languages", "skills", "lat", "lon", "max_tasks", "available", "centre"}

// MaxImportRows bounds one import file.
const MaxImportRows = 50000

// ImportRow is a good row of an import file: its line and the volunteer.
type ImportRow struct {
	Line      int
	Volunteer *Volunteer
	// Centre is the centre key the row gives, "" for none; resolved to
	// Volunteer.CentreID by ResolveImportCentres.
	Centre string
}

// ImportError is one problem with one row: its line number in the file (the
// header is line 1), the column, and a message for the person fixing it.
type ImportError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// VolunteerImport is a parsed file: the good rows, and every problem of the
// bad ones. A row with any problem is not in Rows.
type VolunteerImport struct {
	Rows   []ImportRow
	Errors []ImportError
}

// BadLines counts the rows that have at least one error.
func (im *VolunteerImport) BadLines() int {
	n, last := 0, -1
	for _, e := range im.Errors {
		if e.Line != last {
			n++
			last = e.Line
		}
	}
	return n
}

// AddError records a problem found later (a phone already in the database)
// and drops that line's row from Rows.
func (im *VolunteerImport) AddError(line int, field, msg string) {
	im.Errors = append(im.Errors, ImportError{Line: line, Field: field, Message: msg})
	for i, r := range im.Rows {
		if r.Line == line {
			im.Rows = append(im.Rows[:i], im.Rows[i+1:]...)
			break
		}
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// centreKey is the form of a centre's key (the centres table's check).
var centreKey = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// ResolveImportCentres puts each row's volunteer in a centre: the one its
// centre column names, else the one its home is in (PlaceVolunteer). A
// named centre other than the home's is kept as chosen, so that it stays
// when the home moves; one that is the home's anyway is not, so that a
// file exported and imported again pins nobody. An unknown key is an
// error of its line.
func ResolveImportCentres(areas []Area, im *VolunteerImport) {
	ids := map[string]int64{}
	var keys []string
	for _, a := range areas {
		if _, ok := ids[a.Centre]; !ok {
			ids[a.Centre] = a.CentreID
			keys = append(keys, a.Centre)
		}
	}
	var bad []ImportError
	for _, row := range im.Rows {
		v := row.Volunteer
		v.CentreChosen = false
		PlaceVolunteer(areas, v)
		if row.Centre == "" {
			continue
		}
		id, ok := ids[row.Centre]
		if !ok {
			bad = append(bad, ImportError{Line: row.Line, Field: "centre",
				Message: fmt.Sprintf("no centre has the key %q; the centres are %s", row.Centre, strings.Join(keys, ", "))})
			continue
		}
		if id != v.CentreID {
			v.CentreID, v.CentreChosen = id, true
		}
	}
	for _, e := range bad {
		im.AddError(e.Line, e.Field, e.Message)
	}
}

// ParseVolunteerCSV reads a volunteers file (see VolunteerCSVColumns).
// Problems with rows are reported in the result, each with its line; the
// error is for the file as a whole (not CSV, no name or phone column, too
// many rows). phones normalises numbers; nil accepts only E.164.
func ParseVolunteerCSV(r io.Reader, phones Phones) (*VolunteerImport, error) {
	const op = "dispatch.ParseVolunteerCSV"
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	first, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, E(op, err)
	}
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, E(op, Errorf(EINVALID, "the file is empty: it needs a header line with at least name and phone"))
	} else if err != nil {
		return nil, E(op, Errorf(EINVALID, "the header line is not valid CSV: %v", err))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range VolunteerCSVColumns {
			known = known || h == c
		}
		if !known {
			return nil, E(op, Errorf(EINVALID, "unknown column %q in the header; the columns are %s", h, strings.Join(VolunteerCSVColumns, ", ")))
		}
		if _, dup := col[h]; dup {
			return nil, E(op, Errorf(EINVALID, "column %q appears twice in the header", h))
		}
		col[h] = i
	}
	for _, req := range []string{"name", "phone"} {
		if _, ok := col[req]; !ok {
			return nil, E(op, Errorf(EINVALID, "the header has no %q column; the columns are %s", req, strings.Join(VolunteerCSVColumns, ", ")))
		}
	}

	im := &VolunteerImport{}
	seen := map[string]int{} // phone → first line
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if n >= MaxImportRows {
			return nil, E(op, Errorf(ETOOLARGE, "the file has more than %d rows; split it", MaxImportRows))
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			im.Errors = append(im.Errors, ImportError{Line: pe.StartLine, Message: "not valid CSV: " + pe.Err.Error()})
			continue
		} else if err != nil {
			return nil, E(op, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			im.Errors = append(im.Errors, ImportError{Line: line, Message: fmt.Sprintf("the row has %d fields, the header %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		v, errs := parseVolunteerRow(get, phones)
		centre := strings.ToLower(get("centre"))
		if centre != "" && !centreKey.MatchString(centre) {
			errs = append(errs, ImportError{Field: "centre", Message: fmt.Sprintf("%q is not a centre's key, like astana-esil", centre)})
		}
		if v != nil {
			if first, dup := seen[v.Phone]; dup {
				errs = append(errs, ImportError{Field: "phone", Message: fmt.Sprintf("the same phone is on line %d", first)})
			} else {
				seen[v.Phone] = line
			}
		}
		if len(errs) > 0 {
			for _, e := range errs {
				e.Line = line
				im.Errors = append(im.Errors, e)
			}
			continue
		}
		im.Rows = append(im.Rows, ImportRow{Line: line, Volunteer: v, Centre: centre})
	}
	return im, nil
}

// parseVolunteerRow checks every field and reports all problems at once, so
// that one pass over the file fixes it. The volunteer is returned whenever
// the phone is good, for the duplicate check.
func parseVolunteerRow(get func(string) string, phones Phones) (*Volunteer, []ImportError) {
	var errs []ImportError
	bad := func(field, format string, args ...any) {
		errs = append(errs, ImportError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	v := &Volunteer{Name: get("name"), Available: true, MaxTasks: 1, Languages: []Lang{LangRU}}
	switch {
	case v.Name == "":
		bad("name", "the name is empty")
	case len([]rune(v.Name)) > 200:
		bad("name", "the name is longer than 200 characters")
	}
	raw := get("phone")
	phoneOK := false
	switch {
	case raw == "":
		bad("phone", "the phone is empty")
	case phones != nil:
		p, err := phones.Normalize(raw)
		if err != nil {
			bad("phone", "%q is not a phone number: %s", raw, ErrorMessage(err))
		} else {
			v.Phone, phoneOK = p, true
		}
	default:
		p := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' {
				return -1
			}
			return r
		}, raw)
		if !e164.MatchString(p) {
			bad("phone", "%q is not an international number like +77012345678", raw)
		} else {
			v.Phone, phoneOK = p, true
		}
	}
	if s := get("languages"); s != "" {
		v.Languages = nil
		for _, w := range splitList(s) {
			l, err := csvLang(w)
			if err != nil {
				bad("languages", "%q is not one of kk, ru, en", w)
				continue
			}
			v.Languages = append(v.Languages, l)
		}
	}
	for _, w := range splitList(get("skills")) {
		s := csvSkill(w)
		if !s.Valid() {
			bad("skills", "%q is not a known skill (wheelchair, sign_language, car, medical)", w)
			continue
		}
		v.Skills = append(v.Skills, s)
	}
	lat, lon := get("lat"), get("lon")
	if lat != "" || lon != "" {
		la, err1 := strconv.ParseFloat(strings.Replace(lat, ",", ".", 1), 64)
		lo, err2 := strconv.ParseFloat(strings.Replace(lon, ",", ".", 1), 64)
		switch {
		case lat == "" || lon == "":
			bad("lat", "give both lat and lon, or neither")
		case err1 != nil:
			bad("lat", "%q is not a number", lat)
		case err2 != nil:
			bad("lon", "%q is not a number", lon)
		default:
			loc := Location{Lat: la, Lon: lo}
			if err := loc.Validate(); err != nil {
				bad("lat", "%s", ErrorMessage(err))
			} else {
				v.Location = &loc
			}
		}
	}
	if s := get("max_tasks"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 20 {
			bad("max_tasks", "%q is not a whole number from 1 to 20", s)
		} else {
			v.MaxTasks = n
		}
	}
	if s := get("available"); s != "" {
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1", "да", "иә", "ия":
			v.Available = true
		case "false", "no", "n", "0", "нет", "жоқ":
			v.Available = false
		default:
			bad("available", "%q is not yes or no", s)
		}
	}
	if !phoneOK {
		return nil, errs
	}
	return v, errs
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' || r == ' ' || r == '/' })
}

// csvLang reads a language as codes or as the names a centre's spreadsheet
// uses, in Kazakh, Russian or English.
func csvLang(w string) (Lang, error) {
	switch strings.ToLower(w) {
	case "қаз", "қазақ", "қазақша", "казахский", "каз", "kazakh", "qazaq", "qazaqsha":
		return LangKK, nil
	case "рус", "русский", "орыс", "орысша", "russian":
		return LangRU, nil
	case "англ", "английский", "ағылшын", "ағылшынша", "english":
		return LangEN, nil
	}
	return ParseLang(w)
}

// csvSkill reads a skill as its code or a common Russian or Kazakh word.
func csvSkill(w string) Skill {
	switch strings.ToLower(w) {
	case "коляска", "арба":
		return SkillWheelchair
	case "жестовый", "сурдо", "ым":
		return SkillSignLanguage
	case "машина", "авто", "автомобиль", "көлік":
		return SkillCar
	case "медицина", "мед", "медик":
		return SkillMedical
	}
	return Skill(strings.ToLower(w))
}
