// Writes admitted before an eject or a stop began (intent being recorded, no leg started yet): both wait for them
// (invariant 20), so none lands on a member after its superblock said clean, nor on journals a stop has closed; a write
// still receiving its body is not waited for, and is caught up (eject) or refused (stop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleMirror, createMirror, MirrorError, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { text, treeOf } from '../helpers/engine.ts';

// No clear ticks (a clear appends to intent.log too) and no outside looks: the only journal append is the held write's.
const opts = { watchOutside: false, reconcileIntervalMs: 0, memberTimeoutMs: 0, intentClearMs: 3_600_000 };
const idOf = (m: Mirror, label: string) => m.status().members.find((x) => x.label === label)!.id;
const superblock = async (root: string) => JSON.parse(await readFile(join(root, '.nas-mirror', 'superblock.json'), 'utf8'));

/**
 * Whether what eject and stop wait on for a member (Member.idle) is still pending once everything ready to run has
 * run: true when the held write counts there. One turn of the event loop, not a sleep: an idle member answers at once.
 */
function waitsOn(m: Mirror, label: string): Promise<boolean> {
  const member = (m as unknown as MirrorImpl).members.find((x) => x.label === label)!;
  const turn = new Promise<boolean>((r) => setImmediate(() => r(true)));
  return Promise.race([member.idle().then(() => false), turn]);
}

test('eject waits for a write that took its place in line on the member before the eject began', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const A = join(dir, 'A'), B = join(dir, 'B'), U = join(dir, 'U');
  const afs = new FaultyFs(new NodeFs());
  const m = await createMirror({ ...opts, members: [{ path: A, label: 'A', fs: afs } as EngineMemberSpec, { path: B, label: 'B' }, { path: U, label: 'U' }] });
  t.after(async () => { afs.resume(); await m.stop().catch(() => {}); });
  await m.writeFile('x.txt', 'v1');
  await m.drain();

  // Forces the race: the next write is held inside markIntent (its record going to A's journal). It has its places in
  // line on A, B and U, and no leg has started, so it is not yet a leg the eject's quiet() counted before the fix.
  const inMark = afs.hang((p, op) => p.endsWith('intent.log') && op === 'append');
  const write = m.writeFile('y.txt', 'new file');
  await inMark;
  const ejected = m.eject(idOf(m, 'U'));
  const parked = await waitsOn(m, 'U');
  // Before the fix the eject ran on: U's clean superblock was written and U detached with the write still held, which
  // then landed on A and B only, recorded at a generation U's superblock already covers.
  if (!parked) await ejected;
  afs.resume();
  await ejected;
  await write;
  assert.deepEqual(await treeOf(U), await treeOf(A), 'the ejected copy is complete as of the eject point: it has y.txt');
  assert.ok(parked, 'the eject waited for the write admitted on U before it began');

  // Its clean superblock makes U trusted in sync when the mirror is assembled again: it must hold what that covers.
  await m.stop();
  const r = await assembleMirror({ ...opts, members: [{ path: A }, { path: B }, { path: U }] });
  t.after(() => r.stop().catch(() => {}));
  await r.drain();
  assert.deepEqual(await treeOf(U), await treeOf(A));
  assert.equal((await r.scrub()).mismatches, 0);
});

test('an eject while a write still reads its body does not wait for it; the drive catches that write up when back', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const A = join(dir, 'A'), B = join(dir, 'B'), U = join(dir, 'U');
  const m = await createMirror({ ...opts, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }, { path: U, label: 'U' }] });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  t.after(async () => { release(); await m.stop().catch(() => {}); });
  await m.writeFile('x.txt', 'v1');
  await m.drain();
  // A slow sender: the write holds its places in line on A, B and U, and waits for its body. The eject does not wait
  // for it (it would wait as long as the sender likes); the write records its intent at the eject's new epoch and its
  // leg on U is missed, so U's catch-up has it.
  let reading!: () => void;
  const bodyAsked = new Promise<void>((r) => (reading = r));
  async function* body() { yield Buffer.from('slow-'); reading(); await gate; yield Buffer.from('upload'); }
  const write = m.writeFile('y.txt', body());
  await bodyAsked;
  await m.eject(idOf(m, 'U')); // resolves with the body still held
  release();
  await write;
  assert.equal(await readFile(join(A, 'y.txt'), 'utf8'), 'slow-upload');
  assert.deepEqual(await readdir(U).then((n) => n.includes('y.txt')), false, 'the ejected drive did not get it');
  await m.addMember({ path: U, label: 'U' });
  await m.drain();
  assert.deepEqual(await treeOf(U), await treeOf(A), 'back, U caught the write up');
  await m.stop();
  const r = await assembleMirror({ ...opts, members: [{ path: A }, { path: B }, { path: U }] });
  t.after(() => r.stop().catch(() => {}));
  assert.deepEqual(r.status().members.map((x) => x.state), ['in_sync', 'in_sync', 'in_sync']);
  assert.equal((await r.scrub()).mismatches, 0);
});

test('a stop while a write still reads its body does not wait for it; the write is then refused and changes nothing', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ ...opts, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  t.after(async () => { release(); await m.stop().catch(() => {}); });
  await m.writeFile('x.txt', 'v1');

  // Forces the race: the write holds its places in line on A and B and is held while the engine buffers its body,
  // before its intent is recorded; stop runs right then. A slow sender does not hold the stop up (write-request.ts:
  // admitted), and once its body comes the write finds the mirror stopped. Before 1ae7bdc it went on to record its
  // intent on closed journals: every member was failed and a superblock rewritten after the stop.
  let reading!: () => void;
  const bodyAsked = new Promise<void>((r) => (reading = r));
  async function* body() { yield Buffer.from('v2-'); reading(); await gate; yield Buffer.from('end'); }
  const write = m.writeFile('x.txt', body()).then(() => null, (e: unknown) => e);
  await bodyAsked;
  await m.stop(); // resolves with the body still held
  release();
  const e = await write;

  assert.ok(e instanceof MirrorError && e.code === 'ESTOPPED', `the write is refused as stopped; got ${String(e)}`);
  assert.deepEqual(m.status().members.map((x) => [x.label, x.state, x.error]), [['A', 'in_sync', undefined], ['B', 'in_sync', undefined]]);
  const sbs = await Promise.all([A, B].map(superblock));
  for (const sb of sbs) {
    assert.equal(sb.clean, true);
    assert.equal(sb.generation, sbs[0].generation, 'no superblock was written after the others');
    assert.deepEqual(sb.members.map((x: { state: string }) => x.state), ['in_sync', 'in_sync']);
  }
  for (const root of [A, B]) {
    assert.equal(await readFile(join(root, 'x.txt'), 'utf8'), 'v1', 'nothing was changed');
    assert.deepEqual(await readdir(join(root, '.nas-mirror', 'tmp')).catch(() => []), []);
  }
  const r = await assembleMirror({ ...opts, members: [{ path: A }, { path: B }] });
  t.after(() => r.stop().catch(() => {}));
  assert.equal(r.status().state, 'clean');
  assert.equal(text(await r.readFile('x.txt')), 'v1');
});
