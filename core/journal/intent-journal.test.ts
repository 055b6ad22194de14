// The intent journal: exact records on fast members, coarse buckets on write-mostly ones (cf. md's bitmap chunks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { COARSE_BUCKETS, MemberJournal, bucketOf } from './intent-journal.ts';

/** A real folder whose journal counts its fsyncs (through FaultyFs's operation hook). */
async function journalIn(t: Parameters<typeof tempDir>[0], coarse: boolean) {
  const root = await tempDir(t);
  await mkdir(join(root, '.nas-mirror', 'tmp'), { recursive: true });
  const fs = new FaultyFs(new NodeFs());
  let syncs = 0;
  fs.options.failPath = (_p, op) => { if (op === 'fsync') syncs++; return false; };
  const j = await MemberJournal.open(fs, root, coarse);
  t.after(() => j.close());
  return { j, syncs: () => syncs, reopen: () => MemberJournal.open(new NodeFs(), root, coarse) };
}

test('files of one folder share a bucket; buckets stay in range', () => {
  assert.equal(bucketOf('photos/2024/a.jpg'), bucketOf('photos/2024/b.jpg'));
  const buckets = new Set(Array.from({ length: 500 }, (_, i) => bucketOf(`f${i}/x`)));
  assert.ok(buckets.size > COARSE_BUCKETS / 2, 'folders spread over the buckets');
  for (const b of buckets) assert.ok(Number(b.slice(b.indexOf(':') + 1)) < COARSE_BUCKETS);
});

test('exact: a record already set since the epoch costs nothing; an older one is set again, durably', async (t) => {
  const { j, syncs, reopen } = await journalIn(t, false);
  await j.mark(['a'], 5, 5);
  const after = syncs();
  assert.ok(after > 0, 'the first mark is made durable');
  await j.mark(['a'], 6, 5);
  assert.equal(syncs(), after, 'already set at the epoch: no I/O');
  await j.mark(['a'], 9, 8);
  assert.ok(syncs() > after, 'set before the epoch (a member left since): marked again');
  assert.deepEqual([...j.exactRecords()], [['a', 9]]);
  const again = await reopen();
  assert.deepEqual([...again.exactRecords()], [['a', 9]], 'durable across a reopen');
  await again.close();
});

test('coarse: the first write sets every bucket at once; later writes cost the slow drive nothing', async (t) => {
  const { j, syncs } = await journalIn(t, true);
  await j.mark(['photos/a.jpg'], 1, 1);
  assert.equal(j.size, COARSE_BUCKETS);
  const after = syncs();
  for (let i = 0; i < 50; i++) await j.mark([`elsewhere${i}/b`], 2, 2);
  assert.equal(syncs(), after);
  assert.deepEqual([...j.exactRecords()], [], 'a coarse journal names no paths');
});
