package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// apiDoc is the part of the OpenAPI document the tests read.
type apiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type apiOp struct {
	MinRole   dispatch.Role              `json:"x-min-role"`
	Responses map[string]json.RawMessage `json:"responses"`
}

func readDoc(t *testing.T) apiDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var d apiDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return d
}

// op finds an operation of the document.
func (d apiDoc) op(t *testing.T, method, path string) (apiOp, bool) {
	t.Helper()
	raw, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		return apiOp{}, false
	}
	var o apiOp
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return o, true
}

// apiRoutes are the router's routes under /api/v1, in the document's
// spelling: without the prefix and with {id} for :id. The catch-all routes
// echo adds for group middleware are left out: they answer 404 for
// everything (after the token check).
func apiRoutes(routes []*echo.Route) map[string]bool {
	out := map[string]bool{}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == echo.RouteNotFound || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		p := param.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		out[r.Method+" "+p] = true
	}
	return out
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	g := newRig(t, api.Options{})
	doc := readDoc(t)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	routed := apiRoutes(g.routes())
	if len(routed) < 20 {
		t.Fatalf("only %d routes under /api/v1: %v", len(routed), routed)
	}
	var missing []string
	for r := range routed {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.op(t, method, path); !ok {
			missing = append(missing, r)
		}
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
			if !routed[strings.ToUpper(method)+" "+path] {
				missing = append(missing, "documented but not routed: "+strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("router and openapi.json differ:\n%s", strings.Join(missing, "\n"))
	}
	// every operation names its role and documents its errors
	for r := range routed {
		method, path, _ := strings.Cut(r, " ")
		o, _ := doc.op(t, method, path)
		if _, err := dispatch.ParseRole(string(o.MinRole)); err != nil {
			t.Errorf("%s: x-min-role %q", r, o.MinRole)
		}
		for _, code := range []string{"401", "403"} {
			if _, ok := o.Responses[code]; !ok {
				t.Errorf("%s does not document %s", r, code)
			}
		}
	}
	// and the served copy is the file
	res := g.as(dispatch.RoleViewer, "GET", "/api/v1/openapi.json", nil)
	file, _ := os.ReadFile("openapi.json")
	if res.status != 200 || string(res.body) != string(file) || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET openapi.json: %d %s", res.status, res.header.Get("Content-Type"))
	}
}

// concrete turns a route pattern into a path to call.
func concrete(path string) string {
	return strings.ReplaceAll(path, "{id}", "999999")
}

// TestEveryRouteRefuses walks the router: no token, a malformed header and
// an unknown token get 401; a role below the one the document names gets
// 403, before the handler looks at the body or the id.
func TestEveryRouteRefuses(t *testing.T) {
	g := newRig(t, api.Options{})
	doc := readDoc(t)
	below := map[dispatch.Role]dispatch.Role{dispatch.RoleAdmin: dispatch.RoleDispatcher, dispatch.RoleDispatcher: dispatch.RoleViewer}
	forbidden := 0
	for r := range apiRoutes(g.routes()) {
		method, path, _ := strings.Cut(r, " ")
		url := "/api/v1" + concrete(path)
		t.Run(r, func(t *testing.T) {
			res := g.call(method, url, "", `{}`)
			wantError(t, res, http.StatusUnauthorized, dispatch.EUNAUTHORIZED)
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without WWW-Authenticate: %v", res.header)
			}
			wantError(t, g.call(method, url, "", `{}`, "Authorization", "Basic dXNlcjpwYXNz"), 401, dispatch.EUNAUTHORIZED)
			wantError(t, g.call(method, url, "dsp_not-a-real-token", `{}`), 401, dispatch.EUNAUTHORIZED, "not valid")
			o, _ := doc.op(t, method, path)
			if lower, ok := below[o.MinRole]; ok {
				forbidden++
				wantError(t, g.as(lower, method, url, `{}`), http.StatusForbidden, dispatch.EFORBIDDEN, string(o.MinRole))
			}
			// the least role allowed gets past the door (to a 404, a 422 or data)
			if res := g.as(o.MinRole, method, url, `{}`); res.status == 401 || res.status == 403 {
				t.Fatalf("a %s token was refused: %s", o.MinRole, res)
			}
		})
	}
	if forbidden < 15 {
		t.Fatalf("only %d routes need more than a viewer", forbidden)
	}
	// an unknown path under /api/v1 asks for a token before saying 404
	wantError(t, g.call("GET", "/api/v1/nothing-here", "", nil), 401, dispatch.EUNAUTHORIZED)
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/nothing-here", nil), 404, dispatch.ENOTFOUND)
}
