// Smoke test for the bench code (CI): the seeded generator and one scenario in --quick mode run and yield numbers. No speed checks.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.ts';
import { runBench } from './bench.ts';
import { parseOptions } from './options.ts';
import { treeSpec, writeTree } from './tree.ts';
import { davTargets } from './scenarios/webdav.ts';
import { mountSmbUnavailable, mountTargets } from './scenarios/mount-smb.ts';
import { has, NOT_INSTALLED } from './tools.ts';

test('the seeded tree is deterministic and written as specified', async (t) => {
  const a = treeSpec(200, 5, 7), b = treeSpec(200, 5, 7);
  assert.deepEqual(a, b);
  assert.notDeepEqual(treeSpec(200, 5, 8).files.map((f) => f.size), a.files.map((f) => f.size));
  assert.ok(a.files.every((f) => f.size >= 1024 && f.size <= 1 << 20));
  const dir = await tempDir(t, 'nasm-bench-tree-');
  await writeTree(dir, a);
  const folders = await readdir(dir, { recursive: true });
  assert.equal(folders.filter((p) => String(p).endsWith('.bin')).length, 200);
});

test('scenario 5 runs in --quick mode and every row has a number', async () => {
  const opts = { ...parseOptions(['--quick', '--scenario', '5', '--no-loop', '--no-write']) };
  const res = await runBench(opts);
  assert.ok(res.rows.length >= 4, 'rows were produced');
  for (const r of res.rows) assert.ok(typeof r.value === 'number' && Number.isFinite(r.value), `${r.tool} / ${r.metric} has a number`);
  assert.deepEqual(res.notes, []);
});

test('scenario 7 (big file through a serve process) runs in --quick mode and every row has a number', { timeout: 120_000 }, async () => {
  const res = await runBench(parseOptions(['--quick', '--scenario', '7', '--no-loop', '--no-write']));
  assert.equal(res.rows.length, 7, 'rows were produced');
  for (const r of res.rows) assert.ok(typeof r.value === 'number' && Number.isFinite(r.value) && r.value > 0, `${r.tool} / ${r.metric} has a number`);
  assert.deepEqual(res.notes, []);
});

test('scenario 8 (the WebDAV share vs Apache mod_dav and rclone serve) runs in --quick mode and every row has a number', { timeout: 300_000 }, async (t) => {
  for (const tool of ['curl', 'rclone']) if (!(await has(tool))) return t.skip(`${tool} is not installed (apt-get install -y ${tool})`);
  const res = await runBench(parseOptions(['--quick', '--scenario', '8', '--no-loop', '--no-write']));
  assert.deepEqual(res.notes, []);
  const measured = res.rows.filter((r) => r.value !== null || !r.note?.startsWith(NOT_INSTALLED));
  assert.ok(measured.filter((r) => r.role === 'engine').length >= 10, 'the share was measured');
  assert.ok(measured.some((r) => r.role === 'limit'), 'the engine direct was measured');
  for (const r of measured) assert.ok(typeof r.value === 'number' && Number.isFinite(r.value) && r.value >= 0, `${r.tool} / ${r.metric} has a number`);
  for (const tg of davTargets(res.rows).filter((x) => !x.what.includes('Apache') || measured.some((r) => r.tool.startsWith('Apache')))) {
    assert.notEqual(tg.got, 'n/a', `${tg.what} is computed`);
  }
});

test('scenario 9 (the FUSE mount and the SMB share vs dd, mergerfs, a plain folder) runs small and every row has a number', { timeout: 300_000 }, async (t) => {
  const why = await mountSmbUnavailable();
  if (why) return t.skip(`scenario 9 ${why}`);
  const res = await runBench(parseOptions(['--quick', '--scenario', '9', '--no-loop', '--no-write', '--mount-mib', '16', '--files', '100']));
  assert.deepEqual(res.notes, []);
  assert.equal(res.rows.length, 19, 'rows were produced');
  for (const r of res.rows) assert.ok(typeof r.value === 'number' && Number.isFinite(r.value) && r.value > 0, `${r.tool} / ${r.metric} has a number`);
  for (const tg of mountTargets(res.rows)) assert.notEqual(tg.got, 'n/a', `${tg.what} is computed`);
});
