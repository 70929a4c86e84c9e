package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

// contractVolunteer are the field names partners rely on (contract.md).
var contractVolunteer = []string{"id", "name", "phone", "languages", "skills", "location", "available", "max_tasks"}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasKeys(t *testing.T, m map[string]any, want []string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Fatalf("field %q missing; got %v", k, keys(m))
		}
	}
}

func TestVolunteerLifecycle(t *testing.T) {
	g := newRig(t, api.Options{})
	D := dispatch.RoleDispatcher
	res := g.as(D, "POST", "/api/v1/volunteers", map[string]any{
		"name": "Айгүл Серікқызы", "phone": "8 701 555 12 34", "languages": []string{"kk", "ru"},
		"skills": []string{"car", "wheelchair"}, "location": map[string]float64{"lat": 51.17, "lon": 71.43},
	})
	if res.status != http.StatusCreated {
		t.Fatalf("create: %s", res)
	}
	v := res.object(t)
	hasKeys(t, v, contractVolunteer)
	if v["phone"] != "+77015551234" || v["available"] != true || v["max_tasks"] != float64(1) {
		t.Fatalf("created %s: want E.164 phone, available, max_tasks 1", res.body)
	}
	if loc := v["location"].(map[string]any); loc["lat"] != 51.17 || loc["lon"] != 71.43 {
		t.Fatalf("location %v", loc)
	}
	if got := v["languages"].([]any); len(got) != 2 || got[0] != "kk" || got[1] != "ru" {
		t.Fatalf("languages %v", got)
	}
	id := int64(v["id"].(float64))
	path := "/api/v1/volunteers/" + itoa(id)

	// it is in the store as the API said
	stored, err := g.store.Volunteer(g.ctx, id)
	if err != nil || stored.Name != "Айгүл Серікқызы" || !stored.HasSkill(dispatch.SkillCar) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	if got := g.as(dispatch.RoleViewer, "GET", path, nil).object(t); got["name"] != "Айгүл Серікқызы" {
		t.Fatalf("get %v", got)
	}

	// PATCH changes only what it names
	res = g.as(D, "PATCH", path, map[string]any{"max_tasks": 3, "skills": []string{"medical"}})
	if res.status != 200 {
		t.Fatalf("patch: %s", res)
	}
	if p := res.object(t); p["max_tasks"] != float64(3) || p["name"] != "Айгүл Серікқызы" || len(p["skills"].([]any)) != 1 {
		t.Fatalf("patched %s", res.body)
	}
	// PUT replaces: what it leaves out returns to its default
	res = g.as(D, "PUT", path, map[string]any{"name": "Aigul", "phone": "+77015551234"})
	if p := res.object(t); res.status != 200 || p["max_tasks"] != float64(1) || len(p["skills"].([]any)) != 0 || p["location"] != nil {
		t.Fatalf("put %s", res)
	}

	// pause and resume
	if p := g.as(D, "POST", path+"/pause", nil).object(t); p["available"] != false {
		t.Fatalf("pause: %v", p)
	}
	if stored, _ := g.store.Volunteer(g.ctx, id); stored.Available {
		t.Fatal("pause did not reach the store")
	}
	if p := g.as(D, "POST", path+"/resume", nil).object(t); p["available"] != true {
		t.Fatalf("resume: %v", p)
	}

	// the same phone twice is a conflict
	wantError(t, g.as(D, "POST", "/api/v1/volunteers", map[string]any{"name": "Twin", "phone": "+77015551234"}),
		http.StatusConflict, dispatch.ECONFLICT)
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers/424242", nil), 404, dispatch.ENOTFOUND)
	wantError(t, g.as(D, "POST", "/api/v1/volunteers/424242/pause", nil), 404, dispatch.ENOTFOUND)
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers/abc", nil), 400, dispatch.EINVALID, "volunteer id")
}

func TestVolunteerListFilters(t *testing.T) {
	g := newRig(t, api.Options{})
	mk := func(name string, langs, skills []string, available bool) {
		res := g.as(dispatch.RoleAdmin, "POST", "/api/v1/volunteers", map[string]any{
			"name": name, "phone": g.phone(), "languages": langs, "skills": skills, "available": available})
		if res.status != 201 {
			t.Fatalf("create %s: %s", name, res)
		}
	}
	mk("Ерлан", []string{"kk"}, []string{"car"}, true)
	mk("Ольга", []string{"ru"}, []string{"wheelchair"}, true)
	mk("Данияр", []string{"kk", "en"}, []string{"car", "medical"}, false)
	names := func(query string) string {
		t.Helper()
		res := g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers"+query, nil)
		var l struct {
			Items []struct{ Name string }
			Total int
		}
		res.decode(t, &l)
		if res.status != 200 {
			t.Fatalf("%s: %s", query, res)
		}
		var out []string
		for _, v := range l.Items {
			out = append(out, v.Name)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	for query, want := range map[string]string{
		"":                          "Данияр,Ерлан,Ольга",
		"?skill=car":                "Данияр,Ерлан",
		"?language=kk":              "Данияр,Ерлан",
		"?available=false":          "Данияр",
		"?skill=car&available=true": "Ерлан",
		"?q=Ольг":                   "Ольга",
		"?limit=1&offset=5":         "",
	} {
		if got := names(query); got != want {
			t.Errorf("%q: got %q, want %q", query, got, want)
		}
	}
	var l struct{ Total, Limit, Offset int }
	g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers?limit=1", nil).decode(t, &l)
	if l.Total != 3 || l.Limit != 1 {
		t.Fatalf("paging %+v", l)
	}
	for query, field := range map[string]string{"?skill=flying": "skill", "?language=de": "language",
		"?available=maybe": "available", "?limit=0": "limit", "?limit=501": "limit", "?offset=-1": "offset"} {
		wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers"+query, nil), 400, dispatch.EINVALID, field)
	}
}

// TestVolunteerValidation sends bad bodies; each answer names what is wrong.
func TestVolunteerValidation(t *testing.T) {
	g := newRig(t, api.Options{})
	ok := `"name":"Asel","phone":"+77017770000"`
	cases := []struct {
		name, body, ctype string
		status            int
		code, mention     string
	}{
		{"unknown field", `{` + ok + `,"salary":1}`, "", 400, dispatch.EINVALID, `"salary"`},
		{"wrong type", `{` + ok + `,"max_tasks":"two"}`, "", 400, dispatch.EINVALID, "max_tasks"},
		{"not JSON", `{"name":`, "", 400, dispatch.EINVALID, "JSON"},
		{"two values", `{` + ok + `}{}`, "", 400, dispatch.EINVALID, "more than one"},
		{"array", `[]`, "", 400, dispatch.EINVALID, "object"},
		{"empty", ``, "", 400, dispatch.EINVALID, "empty"},
		{"form post", `name=Asel`, "application/x-www-form-urlencoded", 415, dispatch.EINVALID, "application/json"},
		{"no name", `{"phone":"+77017770000"}`, "", 422, dispatch.EUNPROCESSABLE, "name"},
		{"blank name", `{"name":"  ","phone":"+77017770000"}`, "", 422, dispatch.EUNPROCESSABLE, "name"},
		{"no phone", `{"name":"Asel"}`, "", 422, dispatch.EUNPROCESSABLE, "phone"},
		{"bad phone", `{"name":"Asel","phone":"12"}`, "", 422, dispatch.EUNPROCESSABLE, "phone"},
		{"letters phone", `{"name":"Asel","phone":"call me"}`, "", 422, dispatch.EUNPROCESSABLE, "phone"},
		{"bad language", `{` + ok + `,"languages":["de"]}`, "", 422, dispatch.EUNPROCESSABLE, "languages"},
		{"no language", `{` + ok + `,"languages":[]}`, "", 422, dispatch.EUNPROCESSABLE, "languages"},
		{"bad skill", `{` + ok + `,"skills":["flying"]}`, "", 422, dispatch.EUNPROCESSABLE, "skills"},
		{"lat out of range", `{` + ok + `,"location":{"lat":91,"lon":71}}`, "", 422, dispatch.EUNPROCESSABLE, "location"},
		{"lon out of range", `{` + ok + `,"location":{"lat":51,"lon":-181}}`, "", 422, dispatch.EUNPROCESSABLE, "location"},
		{"null island", `{` + ok + `,"location":{"lat":0,"lon":0}}`, "", 422, dispatch.EUNPROCESSABLE, "location"},
		{"half a location", `{` + ok + `,"location":{"lat":51}}`, "", 400, dispatch.EINVALID, "lon"},
		{"location field", `{` + ok + `,"location":{"lat":51,"lon":71,"alt":3}}`, "", 400, dispatch.EINVALID, "location"},
		{"max tasks", `{` + ok + `,"max_tasks":0}`, "", 422, dispatch.EUNPROCESSABLE, "max_tasks"},
		{"window", `{` + ok + `,"windows":[{"day":7,"start":0,"end":60}]}`, "", 422, dispatch.EUNPROCESSABLE, "windows"},
		{"too large", `{` + ok + `,"name":"` + strings.Repeat("a", 70<<10) + `"}`, "", 413, dispatch.ETOOLARGE, "bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			wantError(t, g.as(dispatch.RoleDispatcher, "POST", "/api/v1/volunteers", tc.body, hdr...), tc.status, tc.code, tc.mention)
		})
	}
	var l struct{ Total int }
	g.as(dispatch.RoleViewer, "GET", "/api/v1/volunteers", nil).decode(t, &l)
	if l.Total != 0 {
		t.Fatalf("%d volunteers were created by bad requests", l.Total)
	}
}
