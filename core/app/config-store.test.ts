import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_FILE, defaultConfig, loadConfig, saveConfig } from './config-store.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('a first start has defaults and no error; a saved config comes back the same', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await loadConfig(dir), { config: defaultConfig() });
  const config = { ...defaultConfig(), activeMirrorId: 'm1', mirrors: [{ id: 'm1', members: [{ path: '/a' }, { path: '/b', writeMostly: true }], autoAssemble: true }] };
  await saveConfig(join(dir, 'sub'), config);
  assert.deepEqual(await loadConfig(join(dir, 'sub')), { config });
  assert.deepEqual(await readdir(join(dir, 'sub')), [CONFIG_FILE], 'no temp file left behind');
});

test('bad JSON and a bad shape are reported, kept aside, and the app gets defaults', async (t) => {
  for (const bad of ['{not json', JSON.stringify({ version: 1, mirrors: 'x', activeMirrorId: null, settings: { notifications: true } }), '[]']) {
    const dir = await tempDir(t);
    await writeFile(join(dir, CONFIG_FILE), bad);
    const loaded = await loadConfig(dir);
    assert.deepEqual(loaded.config, defaultConfig());
    assert.equal(loaded.error?.code, 'ECONFIG');
    assert.match(loaded.error!.message, /damaged/);
    const files = await readdir(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^config\.json\.bad-\d+$/);
    assert.equal(await readFile(join(dir, files[0]!), 'utf8'), bad);
  }
});

test('saving refuses a config that would not load again', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(saveConfig(dir, { ...defaultConfig(), activeMirrorId: 5 as unknown as string }));
  assert.deepEqual(await readdir(dir), []);
});

test('killed mid-save (kill -9), the config is the old or the new one, never torn', async (t) => {
  const dir = await tempDir(t);
  const { spawn } = await import('node:child_process');
  const script = `
    import { saveConfig, defaultConfig } from './core/app/config-store.ts';
    for (let i = 0; ; i++) {
      await saveConfig(${JSON.stringify(dir)}, { ...defaultConfig(), activeMirrorId: 'm' + i,
        mirrors: [{ id: 'm' + i, label: 'x'.repeat(i % 5000), members: [{ path: '/a' }, { path: '/b' }], autoAssemble: true }] });
      if (i === 20) process.stdout.write('going\\n');
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(() => { child.kill('SIGKILL'); });
  // The child saves forever: it can only stop by failing (or hanging) before it has saved 20 times.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the saving child printed nothing within 60 s')), 60_000);
    child.stdout.once('data', () => { clearTimeout(timer); resolve(); });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`the saving child exited (${child.exitCode ?? child.signalCode}) before saving 20 times`)); });
  });
  await new Promise((resolve) => setTimeout(resolve, 150)); // kill at some moment mid-save: wall time is the point
  child.kill('SIGKILL');
  await exited;
  const loaded = await loadConfig(dir);
  assert.equal(loaded.error, undefined);
  assert.match(loaded.config.activeMirrorId ?? '', /^m\d+$/);
  assert.deepEqual(await readdir(dir), [CONFIG_FILE], 'a temp file left by the kill is cleaned up on load');
});
