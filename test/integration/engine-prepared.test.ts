// A small write's fast legs prepare their temp files while the intent record is made durable (mirror/prepared-write.ts).
// The rule: the first change to a mirrored path (the rename) comes after the record is durable on every member; a
// temp file that does not land is removed. Each test holds a real drive's call with FaultyFs to force the overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { faultyPair, until } from '../helpers/faulty-pair.ts';
import { text } from '../helpers/engine.ts';

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
