// A small write's fast legs prepare their temp files, and the write is validated, while the intent record is made durable
// (mirror/prepared-write.ts; the order's rule in mirror/write-request.ts, runAdmitted).
// The rule: the first change to a mirrored path (the rename) comes after the record is durable on every member; a
// temp file that does not land is removed. Each test holds a real drive's call with FaultyFs to force the overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { faultyPair, until } from '../helpers/faulty-pair.ts';
import { text } from '../helpers/engine.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';

const exists = (p: string) => stat(p).then(() => true, () => false);
const temps = async (root: string) => (await readdir(join(root, '.nas-mirror', 'tmp'))).filter((n) => n.endsWith('.tmp'));

test('the temp file is flushed while the intent record is, and the path changes on no member before the record is durable', { timeout: 60_000 }, async (t) => {
  const { A, B, afs, m } = await faultyPair(t);
  await m.writeFile('warm.txt', 'first write: the folders exist');
  afs.hang((p, op) => (op === 'fsync' && p.endsWith('intent.log')) || (op === 'flush' && p.endsWith('p.txt')));
  const w = m.writeFile('p.txt', 'new');
  await until(() => afs.stuck === 2); // A's intent record and A's temp file are being made durable at once
  assert.equal(await exists(join(A, 'p.txt')), false, 'nothing at the path on A while its intent record is not durable');
  assert.equal(await exists(join(B, 'p.txt')), false, 'nor on B');
  afs.resume();
  await w;
  assert.equal(await readFile(join(A, 'p.txt'), 'utf8'), 'new');
  assert.equal(await readFile(join(B, 'p.txt'), 'utf8'), 'new');
  await m.drain();
  assert.deepEqual([await temps(A), await temps(B)], [[], []], 'every prepared temp file landed');
});

test('a prepared temp file whose leg does not land is removed: the member failed while the record was made', { timeout: 60_000 }, async (t) => {
  const { A, afs, m, id } = await faultyPair(t);
  await m.writeFile('warm.txt', 'first write: the folders exist');
  afs.hang((p, op) => op === 'fsync' && p.endsWith('intent.log'));
  const w = m.writeFile('p.txt', 'new');
  await until(() => afs.stuck === 1);
  while ((await temps(A)).length === 0) await new Promise((r) => setImmediate(r)); // A's temp file is there, not landed
  await m.failMember(id('A'));
  afs.resume();
  await w; // acknowledged by B
  await m.drain();
  assert.equal(text(await m.readFile('p.txt')), 'new');
  assert.equal(await exists(join(A, 'p.txt')), false, 'the failed member got nothing at the path');
  assert.deepEqual(await temps(A), [], 'and its prepared temp file was removed');
});

test('a write is validated while its intent record is made durable; one the validation refuses changes nothing and lets its record go', { timeout: 60_000 }, async (t) => {
  const { A, B, afs, m } = await faultyPair(t, { intentClearMs: 50 });
  const intent = (m as unknown as MirrorImpl).intent;
  // The clear timer never holds a process open (unref'd): this test does, while it counts its ticks.
  const open = setInterval(() => {}, 1000);
  t.after(() => clearInterval(open));
  await m.mkdir('photos'); // a folder: a file cannot be written over it
  while (intent.heldPaths().length > 0) await intent.ticked(); // its record cleared: the write below must make one
  const recording = afs.hang((p, op) => op === 'fsync' && p.endsWith('intent.log'));
  let settled = false;
  const refused = m.writeFile('photos', 'not a folder').finally(() => { settled = true; });
  refused.catch(() => {});
  await recording; // the intent record is being made durable on A...
  // ...and the validation, on A too, is not held behind it: it has already found the folder. The refusal is
  // reported once the record's own write has ended, so the record is let go, never left half made.
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the refusal waits for the intent record it started');
  afs.resume();
  await assert.rejects(refused, (e: { code?: string }) => e.code === 'EISDIR');
  assert.deepEqual([await temps(A), await temps(B)], [[], []], 'no temp file left');
  assert.deepEqual([(await stat(join(A, 'photos'))).isDirectory(), (await stat(join(B, 'photos'))).isDirectory()], [true, true]);
  // The refused write's record is cleared like any finished write's: counted ticks, no sleep.
  while (intent.heldPaths().includes('photos')) await intent.ticked();
  assert.deepEqual(intent.heldPaths(), []);
  await m.writeFile('photos/a.jpg', 'fine');
  assert.equal(text(await m.readFile('photos/a.jpg')), 'fine');
});
