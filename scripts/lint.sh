#!/usr/bin/env bash
# make lint: staticcheck and govulncheck, both installed from the Go module
# proxy into a folder of their own per Go version (a tool built by another
# Go cannot read this one's standard library).
#
# govulncheck's database: vuln.go.dev is out of reach here, so the database
# is built from the golang.org/x/vulndb module (its OSV files), which the
# module proxy serves, pinned by VULNDB_VERSION: raise it to learn of newer
# reports. A finding fails the build unless scripts/vulncheck-accepted.txt
# lists its ID with the reason it does not apply.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}

gopath=$($GO env GOPATH)
tools="$gopath/bin/$($GO env GOVERSION)"
mkdir -p "$tools"
[ -x "$tools/staticcheck" ] || GOBIN="$tools" $GO install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
[ -x "$tools/govulncheck" ] || GOBIN="$tools" $GO install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"

echo "==> staticcheck $STATICCHECK_VERSION"
"$tools/staticcheck" ./...

db="$gopath/pkg/vulndb/$VULNDB_VERSION"
if [ ! -f "$db/index/db.json" ]; then
  echo "==> building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION"
  src=$($GO mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  tmp="$db.tmp.$$"
  rm -rf "$tmp"
  (cd /tmp && $GO run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp")
  rm -rf "$db" && mv "$tmp" "$db"
fi

echo "==> govulncheck $GOVULNCHECK_VERSION ($($GO env GOVERSION), database golang.org/x/vulndb@$VULNDB_VERSION)"
set +e
out=$("$tools/govulncheck" -db "file://$db" ./... 2>&1)
rc=$?
set -e
if [ $rc = 0 ]; then
  echo "govulncheck: no known vulnerabilities"
  exit 0
fi
if [ $rc != 3 ]; then
  echo "$out"
  echo "govulncheck failed (exit $rc)"
  exit 1
fi
found=$(echo "$out" | sed -n 's/^Vulnerability #[0-9]*: \(GO-[0-9]*-[0-9]*\).*/\1/p' | sort -u)
accepted=$(sed -n 's/^\(GO-[0-9]*-[0-9]*\).*/\1/p' scripts/vulncheck-accepted.txt | sort -u)
new=$(comm -23 <(echo "$found") <(echo "$accepted"))
if [ -n "$new" ]; then
  echo "$out"
  echo "govulncheck: vulnerabilities that the code reaches and scripts/vulncheck-accepted.txt does not explain:"
  echo "$new" | sed 's/^/  /'
  exit 1
fi
echo "govulncheck: the code reaches only accepted findings ($(echo $found)); see scripts/vulncheck-accepted.txt"
