// The bundled Electron main, run under Node with a stand-in 'electron' module (test/helpers/fake-electron.cjs) because no
// Electron binary exists here: the window is sandboxed, IPC serves our page and refuses others, guards and CSP are
// installed, and quitting is held until the mirror has flushed ("flushing" then "stopped"), then exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tempDir } from '../test/helpers/tmp.ts';

test('Electron main (stand-in Electron): IPC, guards and a quit that waits for the flush', { timeout: 120_000 }, async (t) => {
  execFileSync(process.execPath, ['electron/bundle.mjs'], { stdio: 'pipe' });
  const userData = await tempDir(t);
  const out = execFileSync(process.execPath, ['--require', './test/helpers/fake-electron.cjs', 'dist/electron/main.cjs', '--demo'], {
    env: { ...process.env, FAKE_USERDATA: userData }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000,
  });
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  assert.equal(r.exitCode, 0);
  assert.equal(r.sandbox, true);
  assert.equal(r.windows.length, 1);
  assert.deepEqual([r.windows[0].webPreferences.contextIsolation, r.windows[0].webPreferences.sandbox, r.windows[0].webPreferences.nodeIntegration], [true, true, false]);
  assert.match(r.loadedUrl, /^file:\/\/.*\/dist\/renderer\/index\.html$/);
  assert.equal(r.calls.snapshot.ok, true);
  assert.equal(r.calls.snapshot.value.native, true);
  assert.equal(r.calls.snapshot.value.mirror.members.length, 2);
  assert.deepEqual(r.calls.write, { ok: true });
  assert.equal(r.calls.read.ok, true);
  for (const refused of ['foreignFrame', 'otherWindow']) assert.equal(r.calls[refused].error.code, 'EFORBIDDEN', refused);
  assert.equal(r.calls.unknown.error.code, 'EUNKNOWNMETHOD');
  assert.equal(r.calls.pickForeign, null);
  assert.deepEqual(r.guards, [{ navigateAway: true, windowOpen: 'deny' }]);
  assert.equal(r.permissions, false);
  assert.match(r.csp, /default-src 'self'/);
  assert.deepEqual(r.quitFlow, ['prevented'], 'the first quit is held for the flush');
  const states = r.sent.filter((e: { type: string }) => e.type === 'app-state').map((e: { state: string }) => e.state);
  assert.deepEqual(states, ['flushing', 'stopped']);
  assert.match(r.tray.at(-1), /stopped/);
  assert.ok(r.tray.some((tip: string) => /flushing/.test(tip)));
});
