#!/usr/bin/env bash
# Runs the whole suite with node:test. Node 20's --test does not expand globs, so the file list is built here.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
# spec: readable, and it ends with every failure again, hook errors included (a failed `before` only
# cancels its tests, so its own error is otherwise easy to miss in a long log).
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
