#!/usr/bin/env bash
# The README's test command: every suite (node:test, vitest in Chromium, Playwright e2e), then one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
results="$PWD/test-results" # absolute: vitest and Playwright resolve relative paths from their own config folders
rm -rf "$results" && mkdir -p "$results"
bash test/ensure-system-packages.sh
status=0
echo "== typecheck"; npm run -s typecheck || status=1
echo "== lint (eslint)"; npm run -s lint || status=1
echo "== node tests"; bash test/run-node-tests.sh || status=1
echo "== renderer tests (vitest, Chromium)"
NO_COLOR=1 npx vitest run --config renderer/vitest.config.ts --reporter=default --reporter=json \
  --outputFile.json="$results/vitest.json" || status=1
if compgen -G "test/e2e/*.spec.ts" > /dev/null; then
  echo "== e2e (Playwright, Chromium)"
  npm run -s build:renderer || status=1
  PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" \
    npx playwright test --config test/e2e/playwright.config.ts --reporter=list,json || status=1
fi
node test/summarize.mjs "$results" $status
