package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// `dispatcher migrate` runs the placing of volunteers in centres after the
// migrations (storage/postgres's TestPlaceVolunteersBackfills tests what it
// places), and both are idempotent: a second run succeeds and places
// nobody.
func TestMigratePlacesVolunteers(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storagetest.DatabaseURL(t), "REDIS_URL": storagetest.RedisURL(),
		"REDIS_PREFIX": storagetest.RedisPrefix(t), "PUBLIC_BASE_URL": testPublicURL}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate"}, lookup, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "volunteers placed in centres: 0") {
			t.Fatalf("run %d of migrate said %q, want the placing reported", i+1, out.String())
		}
	}
}
