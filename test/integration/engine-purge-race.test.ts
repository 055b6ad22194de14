// Recently deleted entries are purged for room only while every member is present and in sync (invariant 10). That is
// decided when the purge is asked for and decided again after its waits: FaultyFs holds the purge's look at the trash
// on one drive while another member fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorImpl } from '../../core/engine/mirror.ts';
import { faultyPair, until } from '../helpers/faulty-pair.ts';

const entries = async (root: string) => (await readdir(join(root, '.nas-mirror', 'trash'))).filter((n) => n.endsWith('.json'));

test('a purge for room that waited while a member failed deletes nothing', { timeout: 60_000 }, async (t) => {
  const { A, afs, m, id } = await faultyPair(t);
  await m.writeFile('old.txt', 'kept in recently deleted');
  await m.remove('old.txt');
  await m.drain();
  assert.equal((await entries(A)).length, 1);
  afs.hang((p, op) => op === 'readdir' && p.endsWith(join('.nas-mirror', 'trash')));
  const purge = (m as unknown as MirrorImpl).purgeForSpace(); // every member in sync now: the purge may go ahead
  await until(() => afs.stuck > 0); // its look at A's trash is held
  await m.failMember(id('B'));
  afs.resume();
  assert.equal(await purge, false, 'nothing was purged');
  assert.equal((await entries(A)).length, 1, 'A keeps the entry: B, away, may not have applied the delete');
});
