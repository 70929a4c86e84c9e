package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// location is a {"lat","lon"} object in a request. Both are required, so
// that a forgotten "lon" is an error rather than the meridian; null is kept
// apart from absent, so that PATCH can clear a location.
type location struct {
	Set   bool // the field was present, even as null
	Value *dispatch.Location
}

func (l *location) UnmarshalJSON(b []byte) error {
	l.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		l.Value = nil
		return nil
	}
	var raw struct {
		Lat *float64 `json:"lat"`
		Lon *float64 `json:"lon"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return dispatch.Errorf(dispatch.EINVALID, "location must be an object {\"lat\": number, \"lon\": number}")
	}
	if raw.Lat == nil || raw.Lon == nil {
		return dispatch.Errorf(dispatch.EINVALID, "location needs both lat and lon")
	}
	l.Value = &dispatch.Location{Lat: *raw.Lat, Lon: *raw.Lon}
	return nil
}

// check validates the location's range.
func (l location) check() error {
	if l.Value == nil {
		return nil
	}
	if err := l.Value.Validate(); err != nil {
		return invalidField("location: %s", dispatch.ErrorMessage(err))
	}
	return nil
}

func text(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", invalidField("%s is required", field)
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalidField("%s is longer than %d characters", field, max)
	}
	return s, nil
}

func langs(in []string) ([]dispatch.Lang, error) {
	var out []dispatch.Lang
	seen := map[dispatch.Lang]bool{}
	for _, s := range in {
		l, err := dispatch.ParseLang(s)
		if err != nil {
			return nil, invalidField("languages: %q is not one of kk, ru, en", s)
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out, nil
}

func lang(field, s string) (dispatch.Lang, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	l, err := dispatch.ParseLang(s)
	if err != nil {
		return "", invalidField("%s: %q is not one of kk, ru, en", field, s)
	}
	return l, nil
}

func skills(field string, in []string) ([]dispatch.Skill, error) {
	out := []dispatch.Skill{}
	seen := map[dispatch.Skill]bool{}
	for _, s := range in {
		k := dispatch.Skill(strings.TrimSpace(s))
		if !k.Valid() {
			return nil, invalidField("%s: %q is not one of wheelchair, sign_language, car, medical", field, s)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

var knownNeeds = []dispatch.Need{dispatch.NeedWheelchair, dispatch.NeedBlind, dispatch.NeedDeaf, dispatch.NeedSpeech, dispatch.NeedElderly}

func needs(in []string) ([]dispatch.Need, error) {
	out := []dispatch.Need{}
	seen := map[dispatch.Need]bool{}
	for _, s := range in {
		n := dispatch.Need(strings.TrimSpace(s))
		ok := false
		for _, k := range knownNeeds {
			ok = ok || n == k
		}
		if !ok {
			return nil, invalidField("needs: %q is not one of wheelchair, blind, deaf, speech, elderly", s)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// phone normalises a phone number to E.164, naming the field when it cannot.
func (a *API) phone(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", invalidField("phone is required")
	}
	p, err := a.phones.Normalize(s)
	if err != nil {
		if dispatch.IsCode(err, dispatch.EINVALID) || dispatch.IsCode(err, dispatch.EUNPROCESSABLE) {
			return "", invalidField("%s", dispatch.ErrorMessage(err))
		}
		return "", err
	}
	return p, nil
}
