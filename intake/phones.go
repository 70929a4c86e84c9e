package intake

import (
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/nyaruka/phonenumbers"
)

// Phones normalises phone numbers to E.164 with libphonenumber's rules. A
// number without a country code is read in DefaultRegion, so the local
// "8 701 234 56 78" and "+7 701 234 56 78" are the same person.
type Phones struct {
	// DefaultRegion is an ISO 3166 code; "KZ" when empty.
	DefaultRegion string
}

var _ dispatch.Phones = Phones{}

// Normalize returns raw in E.164, or EINVALID saying what is wrong with it.
func (p Phones) Normalize(raw string) (string, error) {
	region := p.DefaultRegion
	if region == "" {
		region = "KZ"
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", dispatch.Errorf(dispatch.EINVALID, "phone number is empty")
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:] // the international prefix as dialled in Kazakhstan
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", &dispatch.Error{Code: dispatch.EINVALID, Err: err,
			Message: "phone number is not a number we can read; write it as +7 701 234 56 78 or 8 701 234 56 78"}
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", dispatch.Errorf(dispatch.EINVALID,
			"phone number has the wrong number of digits or an unknown code; write it as +7 701 234 56 78 or 8 701 234 56 78")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}
