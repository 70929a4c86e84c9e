package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestLoggerMasksPhones(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf, "json", "debug")
	l.With("caller", "+77011234567").Info("text from +7 701 765 43 21 received",
		"to", "+77021112233", "err", errors.New("twilio: 21211 invalid number +77039998877"), "ticket", 42)
	out := buf.String()
	for _, full := range []string{"77011234567", "701 765 43 21", "77021112233", "77039998877"} {
		if strings.Contains(out, full) {
			t.Errorf("log line leaks %s: %s", full, out)
		}
	}
	if !strings.Contains(out, `"ticket":42`) || !strings.Contains(out, "+7701*****67") {
		t.Errorf("log line lost its other content: %s", out)
	}
}
