// A copy's source that fails after it was chosen (resync.ts, stillSource): its place in line no longer orders the copy
// after the writes it skipped, so a copy from it would put an old version over an acknowledged write. Each test holds
// the source's read open with FaultyFs to force that overlap. The same class for outside changes: a delete seen on a
// drive, then overtaken by a write through the mirror before the delete's turn, is looked at again in its turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec } from '../../core/index.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { tempDir } from '../helpers/tmp.ts';
import { rot, text } from '../helpers/engine.ts';
import { faultyPair, until } from '../helpers/faulty-pair.ts';

const quiet = { watchOutside: false, memberTimeoutMs: 0 };

test('a self-heal whose good copy\'s drive failed meanwhile writes nothing: the acknowledged write stays', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const bfs = new FaultyFs(new NodeFs());
  const m = await createMirror({ ...quiet, members: [{ path: A, label: 'A' }, { path: B, label: 'B', fs: bfs } as EngineMemberSpec] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('p.txt', 'version-1');
  await m.drain();
  const s = await stat(join(A, 'p.txt'));
  await rot(join(A, 'p.txt'), 'XXXXXXXXX');
  await utimes(join(A, 'p.txt'), s.atimeMs / 1000, s.mtimeMs / 1000);
  bfs.hang((p, op) => p.endsWith('p.txt') && op === 'read');
  const reading = m.readFile('p.txt'); // A's copy fails its checksum; the read goes on to B and is held there
  await until(() => bfs.stuck > 0);
  await m.failMember(m.status().members.find((x) => x.label === 'B')!.id);
  await m.writeFile('p.txt', 'version-2'); // acknowledged: on A only
  bfs.resume();
  assert.equal(text(await reading), 'version-1', 'the read that began before the write returns what it read');
  await m.drain();
  assert.equal(text(await m.readFile('p.txt')), 'version-2');
  assert.equal(await readFile(join(A, 'p.txt'), 'utf8'), 'version-2', 'the heal did not put B\'s old copy over it');
  assert.equal(m.status().members.find((x) => x.label === 'A')!.state, 'in_sync', 'and A is not blamed');
});

test('a catch-up copy whose source failed while it waited its turn is made again from a member in sync', async (t) => {
  const dir = await tempDir(t);
  const S = join(dir, 'S'), A = join(dir, 'A'), T = join(dir, 'T');
  const sfs = new FaultyFs(new NodeFs());
  const m = await createMirror({ ...quiet, members: [{ path: S, label: 'S', fs: sfs } as EngineMemberSpec, { path: A, label: 'A' }, { path: T, label: 'T' }] });
  t.after(() => m.stop().catch(() => {}));
  const id = (l: string) => m.status().members.find((x) => x.label === l)!.id;
  const member = (l: string) => (m as unknown as MirrorImpl).members.find((x) => x.label === l)!;
  await m.writeFile('p.txt', 'v1');
  await m.drain();
  await m.eject(id('T'));
  await m.writeFile('p.txt', 'v2'); // T misses it: p.txt is in its catch-up
  sfs.hang((p, op) => p.endsWith('p.txt') && op === 'read');
  await m.addMember({ path: T, label: 'T' });
  await until(() => sfs.stuck > 0); // copy 1 of p.txt is reading S
  const w = m.writeFile('p.txt', 'v3'); // T does not hold p.txt current: the write joins its catch-up (copy 2)
  // In line on S: copy 1 (reading it), then the write; on T: copy 1, then copy 2, which takes its place on a source only
  // once its turn comes on T (resync/source-view.ts) — by then S has failed, so it is never chosen.
  await until(() => member('S').order.size >= 2 && member('T').order.size >= 2);
  await m.failMember(id('S')); // the write now skips S: S keeps v2
  sfs.resume();
  await w;
  await m.drain();
  assert.equal(await readFile(join(A, 'p.txt'), 'utf8'), 'v3');
  assert.equal(await readFile(join(T, 'p.txt'), 'utf8'), 'v3', 'T, in sync again, holds what A holds');
  assert.equal(m.status().members.find((x) => x.label === 'T')!.state, 'in_sync');
});

test('an outside delete meets a write made through the mirror before its turn: the write stays on every member', async (t) => {
  const { A, B, afs, m } = await faultyPair(t, { reconcileIntervalMs: 0 });
  await m.writeFile('p.txt', 'v1');
  await m.drain();
  await unlink(join(A, 'p.txt')); // deleted directly on A: seen in line, then taken once A answers it is still A
  afs.hang((p, op) => op === 'read' && p.endsWith('superblock.json'));
  const looking = m.reconcile();
  await until(() => afs.stuck > 0); // the delete was seen; A's "still this drive?" check is held
  await m.writeFile('p.txt', 'v2'); // acknowledged on A and B, in line before the delete
  afs.resume();
  await looking;
  await m.drain();
  assert.equal(text(await m.readFile('p.txt')), 'v2');
  assert.equal(await readFile(join(A, 'p.txt'), 'utf8'), 'v2');
  assert.equal(await readFile(join(B, 'p.txt'), 'utf8'), 'v2', 'the late delete did not take the write off B');
});

test('two copies wait on a source that fails: each reads only a member it took its place in line on', async (t) => {
  // The rule beside resyncMember's visit (long run seed 48151623): copies running at once shared one `source`. The
  // first to wake after its source failed switched it to the write-mostly drive; the second then read that drive
  // without a place in its line, overtaking a behind write still owed there: the file just written was missing on
  // the drive, so the member being filled was left without it.
  const dir = await tempDir(t);
  const S = join(dir, 'S'), U = join(dir, 'U'), T = join(dir, 'T');
  const sInner = new FaultyFs(new NodeFs()), sOuter = new FaultyFs(sInner), ufs = new FaultyFs(new NodeFs());
  const m = await createMirror({
    ...quiet, maxBehindWrites: 16,
    members: [{ path: S, label: 'S', fs: sOuter } as EngineMemberSpec, { path: U, label: 'U', writeMostly: true, fs: ufs } as EngineMemberSpec, { path: T, label: 'T' }],
  });
  t.after(() => { sOuter.resume(); sInner.resume(); ufs.resume(); return m.stop().catch(() => {}); });
  const id = (l: string) => m.status().members.find((x) => x.label === l)!.id;
  const member = (l: string) => (m as unknown as MirrorImpl).members.find((x) => x.label === l)!;
  await m.writeFile('d/base', 'base');
  await m.drain();
  await m.failMember(id('T')); // T misses what follows: d/a and d/z are in its catch-up
  const opens = (name: string) => (p: string, op: string) => op === 'open' && p.endsWith(`/d/${name}`);
  ufs.hang((p, op) => opens('a')(p, op) || opens('z')(p, op)); // U owes both writes until the end
  sOuter.hang(opens('a')); // S holds d/a's write, then (below the first) d/z's, each until let go
  sInner.hang(opens('z'));
  const writes = [m.writeFile('d/a', 'A'), m.writeFile('d/z', 'Z')].map((w) => w.then(() => 'ok', (e: Error) => e.message));
  await until(() => sOuter.stuck > 0 && sInner.stuck > 0 && member('U').order.size >= 2);
  const adding = m.addMember({ path: T, label: 'T' });
  await until(() => member('S').order.size >= 4); // in S's line: the two writes, then a copy of each path
  await m.failMember(id('S'));
  sOuter.resume(); // d/a's turn on S comes: its copy finds S failed and takes a place in U's line, behind d/a's write
  await until(() => member('U').order.size >= 3);
  sInner.resume(); // d/z's turn on S comes: its copy must also go to U's line, not read U at once
  await until(() => member('U').order.size >= 4 || member('T').catchUp === undefined);
  ufs.resume();
  await adding;
  await m.drain();
  assert.deepEqual(await Promise.all(writes), ['ok', 'ok'], 'both writes were acknowledged (on U)');
  assert.equal(m.status().members.find((x) => x.label === 'T')!.state, 'in_sync');
  assert.equal(await readFile(join(T, 'd/z'), 'utf8'), 'Z', 'the copy of d/z waited for the write U owed');
  assert.equal(await readFile(join(T, 'd/a'), 'utf8'), 'A');
});
