package console

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// splitTable is one of the report's split tables: its heading's id, its
// title's text key, and whether it has a district column.
type splitTable struct {
	ID, Title string
	Rows      []splitRow
	District  bool
}

// splitRow is one row of the report's tables by centre and by district,
// formatted for people.
type splitRow struct {
	Centre, District             string
	Total, Completed, Escalated  int
	AssignMedian, CompleteMedian string
	Hours                        string
}

// splitRows formats a split; names are the centres' names by ID in the
// page's language.
func splitRows(p *Page, names map[int64]string, ss []dispatch.Split) []splitRow {
	out := make([]splitRow, 0, len(ss))
	for _, s := range ss {
		r := splitRow{Centre: names[s.CentreID], District: s.District, Total: s.Total, Completed: s.Completed,
			Escalated: s.Escalated, AssignMedian: durOrDash(p, s.ToAssign), CompleteMedian: durOrDash(p, s.ToComplete),
			Hours: fmt.Sprintf("%.1f", s.VolunteerHours)}
		if s.CentreID == 0 {
			r.Centre = p.T("report.centre_none")
		} else if r.Centre == "" {
			r.Centre = s.Centre
		}
		if r.District == "" {
			r.District = p.T("report.district_none")
		}
		out = append(out, r)
	}
	return out
}

// centreNames maps each centre's ID to its name in the user's language.
func (c *Console) centreNames(ec echo.Context) (map[int64]string, error) {
	cs, err := dispatch.ListCentres(ec.Request().Context(), c.store)
	if err != nil {
		return nil, err
	}
	lang := c.lang(ec)
	out := make(map[int64]string, len(cs))
	for _, x := range cs {
		out[x.ID] = x.Name(lang)
	}
	return out, nil
}
