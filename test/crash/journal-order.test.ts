// Journal ordering (invariants 13, 14, 19): with the write-mostly member at 60 s per file, the records of its
// pending writes stay set through several clear ticks; a crash before they land resyncs those paths — and only
// those — on open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMirror, assembleMirror, type MirrorEvent } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { journalRecords, recordEvents, text, treeOf } from '../helpers/engine.ts';

const records = journalRecords;

test('records stay set while behind writes are pending; after a crash exactly those paths are resynced', async (t) => {
  const dir = await tempDir(t);
  const first = await createMirror({ members: [{ path: join(dir, 'A') }, { path: join(dir, 'C'), writeMostly: true }] });
  for (let i = 0; i < 200; i++) await first.writeFile(`old/${i}.txt`, `old ${i}`); // history that must not be resynced
  await first.stop();
  assert.equal((await records(join(dir, 'A'))).size, 0, 'a clean stop leaves no records');

  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'journal-child.ts'), dir, '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  t.after(() => { child.kill('SIGKILL'); });
  // A child that hangs before its report would keep this test waiting forever: kill it after 60 s and fail by name.
  let hung = false;
  const safety = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, 60_000);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const line = await lines.next().finally(() => clearTimeout(safety));
  if (line.done) {
    await exited;
    throw new Error(hung ? 'the journal child printed no report within 60 s; killed it' : `the journal child exited (${child.exitCode ?? child.signalCode}) before its report`);
  }
  const report = JSON.parse(line.value);
  assert.equal(report.acked, 5);
  assert.equal(report.behind, 5, 'all five are behind on the 60 s member');
  assert.equal(report.control, 1, 'a tick cleared the record of a write that landed on both members');
  // Three clear ticks passed after the writes (the child counted them): the records must stay, since a behind leg
  // has not completed (invariant 14) — and not because the slow member was failed, which also stops clearing.
  const expected = ['slow/0.txt', 'slow/1.txt', 'slow/2.txt', 'slow/3.txt', 'slow/4.txt'];
  assert.deepEqual(report.ticks, [0, 0, 0], 'the ticks after the writes cleared nothing');
  assert.deepEqual(report.after, { state: 'behind', behind: 5 }, 'the slow member is still there, all five still behind');
  assert.deepEqual(report.held, expected);
  assert.deepEqual([...(await records(join(dir, 'A')))].sort(), expected, 'the records on disk are those five');
  child.kill('SIGKILL');
  await exited;

  const m = await assembleMirror({ members: [{ path: join(dir, 'A') }, { path: join(dir, 'C'), writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  const events = recordEvents(m);
  assert.equal(m.status().members[1]!.state, 'resyncing');
  await m.drain();
  const progress = events.filter((e): e is Extract<MirrorEvent, { type: 'resync-progress' }> => e.type === 'resync-progress').at(-1)!;
  assert.equal(progress.totalPaths, 5, 'only the five recorded paths were resynced, not the 200 older files');
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual(await treeOf(join(dir, 'C')), await treeOf(join(dir, 'A')));
  assert.equal(text(await m.readFile('slow/4.txt')), 'content 4');
});
