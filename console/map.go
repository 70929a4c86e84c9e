package console

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func (c *Console) mapRepo() dispatch.MapRepo {
	if r := c.opts.Pages.Map; r != nil {
		return r
	}
	r, _ := c.store.(dispatch.MapRepo)
	return r
}

// registerMap mounts the map of open tickets and available volunteers.
func (c *Console) registerMap(g *echo.Group) {
	g.GET("/map", c.mapPage, c.require(viewPage))
}

// mapData is the map page: the drawing and the same points as tables.
type mapData struct {
	M   *dispatch.MapData
	SVG template.HTML
	// Cities are the focus choices (those with points); Focus the chosen
	// one's key, "" for everything.
	Cities []mapCity
	Focus  string
	// Centre is the centre filter (coordinators) or the user's centre.
	Centre centrePick
}

func (c *Console) mapPage(ec echo.Context) error {
	repo := c.mapRepo()
	if repo == nil {
		return dispatch.Errorf(dispatch.EINTERNAL, "console: no map repository is wired")
	}
	scope, err := c.scope(ec)
	if err != nil {
		return dispatch.E("console.map", err)
	}
	m, err := repo.MapPoints(ec.Request().Context(), scope)
	if err != nil {
		return dispatch.E("console.map", err)
	}
	d := &mapData{M: m}
	if d.Centre, err = c.centrePicks(ec, scope); err != nil {
		return dispatch.E("console.map", err)
	}
	p := c.Page(ec, "map", "map.title", d)
	cities := mapCities(loadGazetteer(c.files()), p.Lang, m)
	for _, city := range cities {
		if city.Points > 0 {
			d.Cities = append(d.Cities, city)
		}
		if city.Key == ec.QueryParam("focus") {
			d.Focus, d.M = city.Key, focus(m, city)
		}
	}
	m = d.M
	d.SVG = mapSVG(m, cities, mapLabels{
		Title:       p.T("map.title"),
		Desc:        p.T("map.desc", len(m.Tickets), len(m.Volunteers)),
		Ticket:      p.T("map.legend.ticket"),
		Urgent:      p.T("map.legend.urgent"),
		Volunteer:   p.T("map.legend.volunteer"),
		LegendTitle: p.T("map.legend"),
		TicketName: func(t dispatch.MapTicket) string {
			return fmt.Sprintf("%s %s, %s, %s", p.T("map.ticket"), t.Code, p.T("report.category."+string(t.Category)), p.T("status."+string(t.Status)))
		},
		VolunteerName: func(v dispatch.MapVolunteer) string {
			return fmt.Sprintf("%s %s (%d/%d)", p.T("map.volunteer"), v.Name, v.ActiveTasks, v.MaxTasks)
		},
	})
	return c.Render(ec, http.StatusOK, "map", p)
}
