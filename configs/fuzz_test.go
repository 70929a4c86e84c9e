package configs

import (
	"strings"
	"testing"
)

// FuzzLoad sets one setting to an arbitrary value: Load never panics, and
// refuses a value only with an error that names the setting.
func FuzzLoad(f *testing.F) {
	s, err := Settings()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0, "")
	f.Add(1, "postgres://x@/db")
	f.Add(5, "-1s")
	f.Add(20, "3,,10")
	f.Fuzz(func(t *testing.T, i int, value string) {
		if i < 0 {
			i = -i
		}
		name := s[i%len(s)].Name
		_, err := Load(func(k string) (string, bool) {
			if k == name {
				return value, true
			}
			return "", false
		})
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Fatalf("%s=%q: the error does not name the setting: %v", name, value, err)
		}
	})
}
