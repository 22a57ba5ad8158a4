#!/usr/bin/env bash
# Runs the whole suite with node:test. Node 20's --test does not expand globs, so the file list is built here.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
