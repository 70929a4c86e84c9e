package storagetest

import (
	"database/sql"
	"testing"
)

func TestDatabaseURLIsUsableAndOwn(t *testing.T) {
	a, b := DatabaseURL(t), DatabaseURL(t)
	if a == b {
		t.Fatal("two calls gave the same database")
	}
	db, err := sql.Open("postgres", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE x (id int)"); err != nil {
		t.Fatal(err)
	}
}
