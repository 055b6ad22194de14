#!/usr/bin/env bash
# Runs every node:test file (core, electron, server, integration, crash) and writes TAP for the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find core electron test -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'test/e2e/*' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no node test files found" >&2; exit 1; fi
mkdir -p test-results
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-1}" --test-timeout="${TEST_TIMEOUT_MS:-600000}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=test-results/node.tap \
  "${files[@]}"
