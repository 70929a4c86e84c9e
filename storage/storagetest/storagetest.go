// Package storagetest gives each test its own PostgreSQL database and its own
// Redis key prefix on the real servers, and removes them afterwards.
//
// The servers come from TEST_DATABASE_URL (default: the local postgres
// superuser over TCP) and TEST_REDIS_URL (default: 127.0.0.1:6379, database 0).
// `make test` starts them when they are missing.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver
	"github.com/redis/go-redis/v9"
)

// AdminDatabaseURL is the server tests create their databases on.
func AdminDatabaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use.
func RedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// DatabaseURL creates an empty database for t and returns its URL. The
// database is dropped when t ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("postgres", AdminDatabaseURL())
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := randomName("dsptest_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storagetest: create database (is PostgreSQL running? make test starts it): %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("postgres", AdminDatabaseURL())
		if err != nil {
			return
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("storagetest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminDatabaseURL())
	if err != nil {
		t.Fatalf("storagetest: TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// RedisPrefix returns a key prefix of t's own ("dsptest:abc123:"). Every key
// under it is deleted when t ends.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	prefix := randomName("dsptest:") + ":"
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("storagetest: TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("storagetest: Redis (is it running? make test starts it): %v", err)
	}
	t.Cleanup(func() {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// Short reports whether slow tests should be skipped.
func Short() bool { return testing.Short() || strings.EqualFold(os.Getenv("DSP_SHORT"), "1") }
