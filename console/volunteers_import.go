package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// maxImportBytes bounds an uploaded file (the server's body limit may be
// lower still).
const maxImportBytes = 8 << 20

// importData is the import page: the form, then the preview of a parsed
// file with its error report, then the result.
type importData struct {
	Columns []string
	// CSV is the file's text, carried from the preview to the commit so
	// that the dispatcher does not choose the file twice; the commit parses
	// and checks it again.
	CSV      string
	Import   *dispatch.VolunteerImport
	Sample   []dispatch.ImportRow
	Errors   []dispatch.ImportError
	More     int // errors not listed
	Imported int
	Skipped  int
	Done     bool
}

func (c *Console) importPage(ec echo.Context) error {
	return c.Render(ec, http.StatusOK, "volunteers_import",
		c.Page(ec, "volunteers", "import.title", &importData{Columns: dispatch.VolunteerCSVColumns}))
}

// errHasBadRows rolls the import back when rows are bad and the dispatcher
// did not choose to import only the good ones.
var errHasBadRows = errors.New("bad rows")

// importVolunteers previews (step=preview) or commits (step=commit) a file.
// The commit writes every good row in one transaction, and writes nothing
// while any row is bad unless only_good=yes was chosen.
func (c *Console) importVolunteers(ec echo.Context) error {
	const op = "console.importVolunteers"
	ctx := ec.Request().Context()
	d := &importData{Columns: dispatch.VolunteerCSVColumns}
	p := c.Page(ec, "volunteers", "import.title", d)
	text, err := uploadedCSV(ec)
	if err == nil {
		d.CSV = text
		d.Import, err = dispatch.ParseVolunteerCSV(strings.NewReader(text), c.opts.Phones)
	}
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E(op, err)
		}
		p.Error = dispatch.ErrorMessage(err)
		d.CSV = ""
		return c.Render(ec, statusOf(dispatch.ErrorCode(err)), "volunteers_import", p)
	}
	im := d.Import
	status := http.StatusOK
	if ec.FormValue("step") == "commit" {
		onlyGood := ec.FormValue("only_good") == "yes"
		err = c.store.InTx(ctx, func(r dispatch.Repo) error {
			if err := markExisting(ctx, r, im); err != nil {
				return err
			}
			if err := c.importCentres(ec, r, im); err != nil {
				return err
			}
			if len(im.Errors) > 0 && !onlyGood {
				return errHasBadRows
			}
			return createAll(ctx, r, im.Rows)
		})
		switch {
		case errors.Is(err, errHasBadRows):
			p.Error = p.T("import.refused", im.BadLines())
			status = http.StatusUnprocessableEntity
		case err != nil:
			return dispatch.E(op, err)
		default:
			d.Done, d.Imported, d.Skipped = true, len(im.Rows), im.BadLines()
			p.Flash = p.T("import.done", d.Imported, d.Skipped)
			c.log.InfoContext(ctx, "console: volunteers imported", "rows", d.Imported, "skipped", d.Skipped, "actor", string(actor(ec)))
		}
	} else if err := markExisting(ctx, c.store, im); err != nil {
		return dispatch.E(op, err)
	} else if err := c.importCentres(ec, c.store, im); err != nil {
		return dispatch.E(op, err)
	}
	const listed = 1000
	d.Errors = im.Errors[:min(listed, len(im.Errors))]
	d.More = len(im.Errors) - len(d.Errors)
	d.Sample = im.Rows[:min(10, len(im.Rows))]
	if d.Done {
		d.CSV = ""
	}
	return c.Render(ec, status, "volunteers_import", p)
}

// uploadedCSV is the chosen file, or the text carried by the preview.
func uploadedCSV(ec echo.Context) (string, error) {
	if fh, err := ec.FormFile("file"); err == nil {
		if fh.Size > maxImportBytes {
			return "", dispatch.Errorf(dispatch.ETOOLARGE, "the file is larger than %d MB", maxImportBytes>>20)
		}
		f, err := fh.Open()
		if err != nil {
			return "", dispatch.E("console.uploadedCSV", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxImportBytes))
		if err != nil {
			return "", dispatch.E("console.uploadedCSV", err)
		}
		return string(b), nil
	}
	if s := ec.FormValue("csv"); s != "" {
		return s, nil
	}
	return "", dispatch.Errorf(dispatch.EINVALID, "choose a CSV file to import")
}

// markExisting reports rows whose phone belongs to a volunteer already.
func markExisting(ctx context.Context, r dispatch.Repo, im *dispatch.VolunteerImport) error {
	var exists func(phone string) (int64, bool, error)
	if bi, ok := r.(dispatch.VolunteerImporter); ok {
		phones := make([]string, len(im.Rows))
		for i, row := range im.Rows {
			phones[i] = row.Volunteer.Phone
		}
		known, err := bi.VolunteerPhones(ctx, phones)
		if err != nil {
			return err
		}
		exists = func(p string) (int64, bool, error) { id, ok := known[p]; return id, ok, nil }
	} else {
		exists = func(p string) (int64, bool, error) {
			v, err := r.VolunteerByPhone(ctx, p)
			if dispatch.IsCode(err, dispatch.ENOTFOUND) {
				return 0, false, nil
			} else if err != nil {
				return 0, false, err
			}
			return v.ID, true, nil
		}
	}
	var dups []dispatch.ImportError
	for _, row := range im.Rows {
		id, ok, err := exists(row.Volunteer.Phone)
		if err != nil {
			return err
		}
		if ok {
			dups = append(dups, dispatch.ImportError{Line: row.Line, Field: "phone",
				Message: fmt.Sprintf("volunteer #%d has this phone already", id)})
		}
	}
	for _, e := range dups {
		im.AddError(e.Line, e.Field, e.Message)
	}
	sortErrors(im.Errors)
	return nil
}

func createAll(ctx context.Context, r dispatch.Repo, rows []dispatch.ImportRow) error {
	vs := make([]*dispatch.Volunteer, len(rows))
	for i, row := range rows {
		vs[i] = row.Volunteer
	}
	if bi, ok := r.(dispatch.VolunteerImporter); ok {
		return bi.CreateVolunteers(ctx, vs)
	}
	for _, v := range vs {
		if err := r.CreateVolunteer(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// importCentres puts the rows in centres (dispatch.ResolveImportCentres)
// and, for a centre's dispatcher, refuses rows that would land in another
// centre: they add volunteers to their own centre only.
func (c *Console) importCentres(ec echo.Context, r dispatch.Repo, im *dispatch.VolunteerImport) error {
	cr, err := dispatch.AsCentreRepo(r)
	if err != nil {
		return nil // a store without centres: the rows stay unplaced
	}
	areas, err := cr.CentreAreas(ec.Request().Context())
	if err != nil {
		return err
	}
	dispatch.ResolveImportCentres(areas, im)
	mine, err := c.centreOf(ec)
	if err != nil || mine == 0 {
		return err
	}
	var other []dispatch.ImportRow
	for _, row := range im.Rows {
		if row.Volunteer.CentreID != 0 && row.Volunteer.CentreID != mine {
			other = append(other, row)
		}
	}
	for _, row := range other {
		im.AddError(row.Line, "centre", "this volunteer belongs to another centre; a coordinator can import them")
	}
	return nil
}
