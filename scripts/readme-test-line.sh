#!/usr/bin/env bash
# Prints the README's test line: the one command in README.md whose comment starts with
# "# the whole test suite", without that comment. .ci/run checks that it is exactly the line CI
# runs, so that the two cannot drift apart. Usage: bash scripts/readme-test-line.sh [README.md]
set -euo pipefail
readme=${1:-"$(dirname "$0")/../README.md"}
lines=$(grep -E '[[:space:]]#[[:space:]]*the whole test suite' "$readme" || true)
count=$(printf '%s' "$lines" | grep -c '' || true)
if [ "$count" -ne 1 ]; then
  printf '[streamstore] %s should have one test line (a command commented "# the whole test suite"); it has %s.\n' "$readme" "$count" >&2
  exit 1
fi
printf '%s\n' "$lines" | sed -E 's/[[:space:]]+#[[:space:]]*the whole test suite.*$//'
