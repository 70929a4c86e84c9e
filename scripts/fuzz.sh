#!/usr/bin/env bash
# Runs every Fuzz target of the tree for FUZZTIME (default 4s) each. A crash
# fails the run and leaves the failing input under testdata/fuzz.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-4s}
n=0
while IFS=: read -r file line; do
  name=$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' <<<"$line")
  [ -n "$name" ] || continue
  pkg=./$(dirname "$file")
  echo "==> fuzz $pkg $name ($FUZZTIME)"
  log=$(mktemp)
  if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"; n=$((n+1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v node_modules | sed -E 's/^([^:]+):[0-9]+:/\1:/')
echo "fuzz: $n targets ran without a crash"
