// Clearing intent records (invariants 14, 15) while operations go on: a clear waits for the manifests to be durable,
// and whatever happened in that wait must still be honoured when it clears. Real journals on real folders; the
// manifests' commits are held open by the test to force the overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { journalRecords } from '../../test/helpers/engine.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { MemberJournal } from '../journal/intent-journal.ts';
import { IntentTracker, type IntentHost } from './intent-tracker.ts';
import type { Member } from './member.ts';

async function lab(t: Parameters<typeof tempDir>[0]) {
  const root = join(await tempDir(t, 'nasm-intent-'), 'A');
  await mkdir(join(root, '.nas-mirror', 'tmp'), { recursive: true });
  const journal = await MemberJournal.open(new NodeFs(), root, false);
  let release!: () => void;
  let held = new Promise<void>((r) => (release = r));
  let commits = 0;
  const manifest = { commit: () => { commits++; return held; } };
  const member = { id: 'a', label: 'A', state: 'in_sync', ejecting: false, journal, manifest } as unknown as Member & { state: string };
  const host: IntentHost = {
    members: [member], generation: 1, membershipEpoch: 0,
    fault: async () => {}, purgeForSpace: async () => false, cleared: () => {}, purgeTrash: async () => {},
  };
  const tracker = new IntentTracker(host, 0);
  t.after(() => { tracker.stop(); return journal.close(); });
  return {
    root, journal, member, tracker,
    /** Resolves once the clear is inside its wait for the manifests; `open()` lets that wait end. */
    inWait: async () => { while (commits === 0) await new Promise((r) => setImmediate(r)); },
    open: () => { release(); held = Promise.resolve(); },
  };
}

test('a record an operation took again while the clear waited for the manifests is not cleared', async (t) => {
  const { root, journal, tracker, inWait, open } = await lab(t);
  await tracker.mark(['d1/f17.txt']);
  tracker.end(['d1/f17.txt'], true);
  const clearing = tracker.clearIdle(true); // decides to clear d1/f17.txt, then waits for the manifests
  await inWait();
  // A rename away from the path starts now: its record is already set, so marking it costs nothing, and its legs go.
  await tracker.mark(['d1/f17.txt', 'd2/f3.txt']);
  open();
  await clearing;
  assert.ok(journal.exactRecords().has('d1/f17.txt'), 'the running operation keeps its record');
  await journal.close();
  assert.ok((await journalRecords(root)).has('d1/f17.txt'), 'and so does the log on the drive: a crash now finds it');
});

test('no record is cleared when a member failed while the clear waited (invariant 15)', async (t) => {
  const { journal, member, tracker, inWait, open } = await lab(t);
  await tracker.mark(['a.txt']);
  tracker.end(['a.txt'], true);
  const clearing = tracker.clearIdle(true);
  await inWait();
  member.state = 'faulty';
  open();
  await clearing;
  assert.ok(journal.exactRecords().has('a.txt'));
  member.state = 'in_sync';
  assert.equal(await tracker.clearIdle(true), 1, 'cleared once every member is back');
  assert.equal(journal.exactRecords().size, 0);
});

test('a mark whose journal write overlapped a member leaving records the path again at the new epoch', async (t) => {
  const root = join(await tempDir(t, 'nasm-intent-'), 'A');
  await mkdir(join(root, '.nas-mirror', 'tmp'), { recursive: true });
  const real = await MemberJournal.open(new NodeFs(), root, false);
  t.after(() => real.close());
  let entered!: () => void;
  const inWrite = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let calls = 0;
  // The first journal write is held open; the ones after it go straight through.
  const journal = Object.assign(Object.create(real) as MemberJournal, {
    mark: async (paths: readonly string[], gen: number, min: number) => { if (calls++ === 0) { entered(); await held; } return real.mark(paths, gen, min); },
  });
  const member = { id: 'a', label: 'A', state: 'in_sync', ejecting: false, journal, manifest: { commit: async () => {} } } as unknown as Member;
  const host = { members: [member], generation: 3, membershipEpoch: 3, fault: async () => {}, purgeForSpace: async () => false, cleared: () => {}, purgeTrash: async () => {} };
  const tracker = new IntentTracker(host, 0);
  t.after(() => tracker.stop());
  const marking = tracker.mark(['y.txt']);
  await inWrite;
  host.membershipEpoch = 7; // a member left (an eject began) while the record was being written at epoch 3
  host.generation = 7;
  release();
  await marking;
  assert.ok(real.exactRecords().get('y.txt')! >= 7, `recorded at ${real.exactRecords().get('y.txt')}, after the member left at 7`);
});
