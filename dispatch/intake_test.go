package dispatch

import (
	"context"
	"strings"
	"testing"
	"time"
)

// plusPhones accepts only numbers that start with +7, as E.164 already.
type plusPhones struct{}

func (plusPhones) Normalize(raw string) (string, error) {
	if !strings.HasPrefix(raw, "+7") {
		return "", Errorf(EINVALID, "phone number %q is not valid", raw)
	}
	return raw, nil
}

// Validation happens before anything is read or written, so these requests
// never reach the (absent) store.
func TestIntakeRejectsBadRequestsNamingTheField(t *testing.T) {
	in := NewIntake(nil, nil, nil, plusPhones{}, nil, nil, IntakeOptions{})
	ok := IntakeRequest{Channel: ChannelWeb, Phone: "+77011234567", Category: CategoryHome}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(-time.Hour)
	for _, tc := range []struct {
		name string
		edit func(*IntakeRequest)
		want string
	}{
		{"channel", func(r *IntakeRequest) { r.Channel = "fax" }, "channel"},
		{"no phone", func(r *IntakeRequest) { r.Phone = "  " }, "phone is required"},
		{"bad phone", func(r *IntakeRequest) { r.Phone = "12" }, "phone number"},
		{"category", func(r *IntakeRequest) { r.Category = "taxi" }, "category"},
		{"urgency", func(r *IntakeRequest) { r.Urgency = "now" }, "urgency"},
		{"language", func(r *IntakeRequest) { r.Lang = "de" }, "language"},
		{"need", func(r *IntakeRequest) { r.Needs = []Skill{"flying"} }, "need"},
		{"location", func(r *IntakeRequest) { r.Location = &Location{Lat: 91, Lon: 0} }, "location"},
		{"null island", func(r *IntakeRequest) { r.Location = &Location{} }, "location"},
		{"window", func(r *IntakeRequest) { r.WindowStart, r.WindowEnd = &start, &end }, "preferred time"},
		{"description", func(r *IntakeRequest) { r.Description = strings.Repeat("ә", maxDescription+1) }, "description"},
		{"name", func(r *IntakeRequest) { r.Name = strings.Repeat("a", maxName+1) }, "name"},
		{"address", func(r *IntakeRequest) { r.Address = strings.Repeat("a", maxAddress+1) }, "address"},
	} {
		r := ok
		tc.edit(&r)
		_, err := in.Submit(context.Background(), r)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v; want EINVALID mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestIntakeNormalizeFillsDefaults(t *testing.T) {
	in := NewIntake(nil, nil, nil, plusPhones{}, nil, nil, IntakeOptions{})
	r := IntakeRequest{Channel: ChannelSMS, Phone: "+77011234567", Description: "  помогите  "}
	if err := in.normalize(&r); err != nil {
		t.Fatal(err)
	}
	if r.Category != CategoryOther || r.Urgency != UrgencyNormal || r.Actor != ActorClient || r.Description != "помогите" {
		t.Fatalf("defaults: %+v", r)
	}
}

func TestEventSource(t *testing.T) {
	// PostgreSQL's jsonb gives the event's data back re-spaced.
	if got := eventSource(`{"text": "x", "source_id": "SM1"}`); got != "SM1" {
		t.Fatalf("eventSource = %q", got)
	}
	if got := eventSource(`not json`); got != "" {
		t.Fatalf("eventSource of junk = %q", got)
	}
}
