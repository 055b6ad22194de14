// Sums every suite's results into the one line CI reads: "N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir = 'test-results', statusArg = '0'] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
const tap = join(dir, 'node.tap');
if (existsSync(tap)) {
  // The last "# pass N" etc. lines of node's TAP reporter are the run's totals.
  const text = readFileSync(tap, 'utf8');
  const last = (k) => Number([...text.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  passed += last('pass'); failed += last('fail') + last('cancelled'); skipped += last('skipped') + last('todo');
}
const vitest = join(dir, 'vitest.json');
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
const pw = join(dir, 'playwright.json');
if (existsSync(pw)) {
  const s = JSON.parse(readFileSync(pw, 'utf8')).stats;
  passed += s.expected + s.flaky; failed += s.unexpected; skipped += s.skipped;
}
// A suite that crashed before reporting shows only as a non-zero status: count it as a failure.
if (statusArg !== '0' && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
