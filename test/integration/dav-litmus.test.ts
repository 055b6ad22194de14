// litmus, the WebDAV conformance suite, against a real `serve --webdav` on loopback with a password: every test of
// its five suites (basic, copymove, props, locks, http) must pass, as Apache 2.4 mod_dav does here (104 of 104).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { basic, installed, savedMirror, send, startDavServe } from '../helpers/dav.ts';
import { tempDir } from '../helpers/tmp.ts';

const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'] as const;
const PASSWORD = 'litmus password';

/** One suite's summary line: `<- summary for `props': of 30 tests run: 30 passed, 0 failed. 100.0%`. */
function runSuite(suite: string, url: string, cwd: string): Promise<{ run: number; passed: number; failed: number; out: string }> {
  return new Promise((resolve, reject) => {
    // -k: go on after a failure (litmus then exits 0 whatever happened, so the summary line is what counts). It
    // writes debug.log and child.log where it runs: a temp folder.
    execFile('litmus', ['-k', url, 'nas', PASSWORD], { cwd, env: { ...process.env, TESTS: suite }, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      const m = /summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/.exec(out);
      if (!m) { reject(new Error(`litmus ${suite} printed no summary (${err?.message ?? 'no error'}):\n${out}`)); return; }
      resolve({ run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]), out });
    });
  });
}

test('litmus: basic, copymove, props, locks and http all pass against serve --webdav', { timeout: 900_000 }, async (t) => {
  if (!installed('litmus')) return t.skip('litmus is not installed (apt-get install -y litmus; bash test/ensure-system-packages.sh does it)');
  const dir = await tempDir(t);
  const { config } = await savedMirror(dir);
  const s = await startDavServe(['--config', config, '--port', '0', '--webdav', '--password', PASSWORD]);
  t.after(() => s.stop('SIGKILL'));
  const port = Number(new URL(s.davUrl).port);
  assert.equal((await send(port, 'MKCOL', '/dav/litmus/', { auth: basic('nas', PASSWORD) })).status, 201);

  const results: string[] = [];
  let total = 0, passed = 0;
  const failures: string[] = [];
  for (const suite of SUITES) {
    const r = await runSuite(suite, `${s.davUrl}litmus/`, dir);
    results.push(`${suite} ${r.passed}/${r.run}`);
    total += r.run;
    passed += r.passed;
    for (const line of r.out.split('\n')) if (/\bFAIL\b/.test(line)) failures.push(`${suite}: ${line.trim()}`);
    for (const line of r.out.split('\n')) if (/WARNING/.test(line)) t.diagnostic(`${suite}: ${line.trim()}`);
  }
  t.diagnostic(`litmus: ${results.join(', ')} (${passed} of ${total})`);
  assert.deepEqual(failures, [], 'every litmus test passes');
  assert.equal(total, 104, 'all five suites ran in full');
  assert.equal(passed, 104);
  assert.equal(await s.stop('SIGTERM'), 0, 'serve stops cleanly after the run');
});
