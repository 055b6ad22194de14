#!/usr/bin/env bash
# Regenerates docs/screens/ (and docs/screenshot-dashboard.png) from the end-to-end specs that take them, on demand:
#   01–09  test/e2e/loop-drives.spec.ts  (root and loop devices: real ext4 drives, a throttled USB member)
#   10–12  test/e2e/adopt-drive.spec.ts  (root and loop devices)
#   demo-* test/e2e/demo.spec.ts         (the demo; one narrow dark screen)
#   13–15  test/e2e/screens.spec.ts      (the demo: Recent activity with filters, Settings, Sharing; skipped unless SCREENS=1)
# 1280×800, light, Debian's Chromium, one browser at a time. Not part of `npm test`: it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only this run's screens are published: stale ones from earlier runs of other specs stay out of docs/.
rm -f test/e2e/artifacts/*.png
npm run -s build:renderer
UPDATE_DOCS=1 SCREENS=1 npx playwright test --config test/e2e/playwright.config.ts \
  loop-drives.spec.ts adopt-drive.spec.ts demo.spec.ts screens.spec.ts "$@"
ls -l docs/screens/
