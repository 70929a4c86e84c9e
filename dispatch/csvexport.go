package dispatch

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// WriteVolunteerCSV writes vols in the import layout (VolunteerCSVColumns,
// comma-separated, with a header and Excel's UTF-8 byte order mark), so a
// centre can edit an export in a spreadsheet and import it again. centres
// gives each centre's key by ID, for the centre column.
func WriteVolunteerCSV(w io.Writer, vols []*Volunteer, centres map[int64]string) error {
	const op = "dispatch.WriteVolunteerCSV"
	if _, err := io.WriteString(w, "\xef\xbb\xbf"); err != nil {
		return E(op, err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(VolunteerCSVColumns); err != nil {
		return E(op, err)
	}
	for _, v := range vols {
		lat, lon := "", ""
		if v.Location != nil {
			lat = strconv.FormatFloat(v.Location.Lat, 'f', -1, 64)
			lon = strconv.FormatFloat(v.Location.Lon, 'f', -1, 64)
		}
		rec := []string{csvSafe(v.Name), v.Phone, joinKinds(v.Languages), joinKinds(v.Skills), lat, lon,
			strconv.Itoa(v.MaxTasks), strconv.FormatBool(v.Available), centres[v.CentreID]}
		if err := cw.Write(rec); err != nil {
			return E(op, err)
		}
	}
	cw.Flush()
	return E(op, cw.Error())
}

func joinKinds[T ~string](ks []T) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " ")
}

// csvSafe keeps a spreadsheet from running a name as a formula (CSV
// injection): a leading =, +, - or @ gets a quote mark in front.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
