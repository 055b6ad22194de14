// A big stage lands itself (Mirror.writeStaged) when committed; what a program does with the file afterwards — reads,
// more writes after an fsync, a truncate — works on a copy taken in again, and every commit lands the right bytes.
// A real mirror over two temporary folders; no FUSE needed (the mount's calls end in these methods).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror } from '../../index.ts';
import { Stages } from './stages.ts';
import { FLUSH_AHEAD_BYTES } from '../../fs/node-fs.ts';

const MiB = 1 << 20;

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-stages-'));
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ watchOutside: false, maxBehindBytes: MiB, members: [{ path: A, label: 'A' }, { path: B, label: 'B' }] });
  t.after(async () => { await m.stop().catch(() => {}); await rm(dir, { recursive: true, force: true }); });
  const stagingDir = m.stagingDir()!;
  const stageFiles = async () => (await readdir(stagingDir)).filter((n) => n.endsWith('.stage'));
  return { A, B, m, stages: new Stages(join(dir, 'fallback')), stageFiles };
}

test('a big stage lands on commit; a write after it takes the file in again and the next commit lands both changes', { timeout: 60_000 }, async (t) => {
  const { A, B, m, stages, stageFiles } = await setup(t);
  const first = randomBytes(3 * MiB);
  const s = await stages.acquire(m, 'big.bin', { fresh: true });
  await s.write(first, 0);
  assert.equal(s.inMemory, false, 'past 1 MiB the stage is a temp file on the fast member');
  const [name] = await stageFiles();
  const ino = (await stat(join(m.stagingDir()!, name!))).ino;
  await s.commit(m); // an fsync: the program keeps the file open
  assert.equal((await stat(join(A, 'big.bin'))).ino, ino, 'the temp file itself landed on A');
  assert.deepEqual(await stageFiles(), [], 'no stage file is left while nothing more is written');
  assert.deepEqual(await readFile(join(B, 'big.bin')), first);
  assert.equal((await s.stat()).size, 3 * MiB, 'getattr answers without taking the file in again');
  assert.deepEqual(await stageFiles(), []);

  const got = new Uint8Array(100);
  assert.equal(await s.read(got, 100, MiB), 100);
  assert.deepEqual(Buffer.from(got), first.subarray(MiB, MiB + 100), 'a read after the landing reads what landed');
  await s.write(Buffer.from('CHANGED'), 2 * MiB);
  await stages.release(m, s); // close: the last commit
  const expected = Buffer.from(first);
  expected.write('CHANGED', 2 * MiB);
  assert.deepEqual(await readFile(join(A, 'big.bin')), expected);
  assert.deepEqual(await readFile(join(B, 'big.bin')), expected);
  assert.deepEqual(Buffer.from(await m.readFile('big.bin')), expected);
  assert.deepEqual(await stageFiles(), [], 'released: nothing staged is left');
  assert.equal((await m.scrub({ repair: false })).mismatches, 0);
});

test('a landed stage truncated to nothing takes nothing in; one cut to a size keeps what lies before it', { timeout: 60_000 }, async (t) => {
  const { A, B, m, stages, stageFiles } = await setup(t);
  const bytes = randomBytes(2 * MiB + 5);
  const s = await stages.acquire(m, 'a.bin', { fresh: true });
  await s.write(bytes, 0);
  await s.commit(m);
  await s.truncate(0);
  assert.equal(s.inMemory, true, 'O_TRUNC after a landing copies nothing in');
  await s.write(Buffer.from('short'), 0);
  await s.commit(m);
  assert.equal(await readFile(join(A, 'a.bin'), 'utf8'), 'short');
  assert.equal(await readFile(join(B, 'a.bin'), 'utf8'), 'short');
  await stages.release(m, s);

  const t2 = await stages.acquire(m, 'b.bin', { fresh: true });
  await t2.write(bytes, 0);
  await t2.commit(m);
  await t2.truncate(MiB + 10);
  await stages.release(m, t2);
  assert.deepEqual(await readFile(join(A, 'b.bin')), bytes.subarray(0, MiB + 10));
  assert.deepEqual(await readFile(join(B, 'b.bin')), bytes.subarray(0, MiB + 10));
  assert.deepEqual(await stageFiles(), []);
});

test('a stage whose commit is refused keeps its bytes: the program can write it elsewhere', { timeout: 60_000 }, async (t) => {
  const { B, m, stages, stageFiles } = await setup(t);
  await m.writeFile('notes.txt', 'a file');
  const bytes = randomBytes(2 * MiB);
  const s = await stages.acquire(m, 'big.bin', { fresh: true });
  await s.write(bytes, 0);
  s.path = 'notes.txt/big.bin'; // as if renamed below a file meanwhile: the engine refuses the path
  await assert.rejects(s.commit(m));
  assert.equal((await stageFiles()).length, 1, 'the stage file is still there');
  s.path = 'big.bin';
  await stages.release(m, s);
  assert.deepEqual(await readFile(join(B, 'big.bin')), bytes);
  assert.deepEqual(await stageFiles(), []);
});

test('a writeback error met while staging fails the commit: the mirror keeps its previous version', { timeout: 60_000 }, async (t) => {
  const { A, B, m, stages } = await setup(t);
  await m.writeFile('big.bin', 'the previous version');
  // The stage's first fdatasync (started ahead, FLUSH_AHEAD_BYTES in) meets a drive error, reported once as the
  // kernel does: later calls succeed.
  const probe = await open(new URL(import.meta.url).pathname, 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  await probe.close();
  const real = proto.datasync;
  let calls = 0;
  proto.datasync = function (this: unknown) {
    return ++calls === 1 ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : real.call(this);
  };
  t.after(() => { proto.datasync = real; });
  const s = await stages.acquire(m, 'big.bin', { fresh: true });
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < (2 * FLUSH_AHEAD_BYTES) / chunk.length; i++) await s.write(chunk, i * chunk.length);
  await assert.rejects(s.commit(m), (e: Error & { code?: string }) => e.code === 'EIO');
  assert.equal(calls >= 1, true);
  assert.equal(await readFile(join(A, 'big.bin'), 'utf8'), 'the previous version');
  assert.equal(await readFile(join(B, 'big.bin'), 'utf8'), 'the previous version');
  await assert.rejects(stages.release(m, s), 'close reports it too');
});

test('a write right after an fsync comes after it: the commit lands what was before, the next one the rest', { timeout: 60_000 }, async (t) => {
  const { B, m, stages } = await setup(t);
  const s = await stages.acquire(m, 'f.bin', { fresh: true });
  const first = randomBytes(3 * MiB), more = randomBytes(128 << 10);
  await s.write(first, 0);
  const fsynced = s.commit(m); // queued; the write below arrives before it has run
  const wrote = s.write(more, first.length);
  await fsynced;
  assert.deepEqual(await readFile(join(B, 'f.bin')), first, 'the fsync committed the bytes written before it');
  await wrote;
  await stages.release(m, s);
  assert.deepEqual(await readFile(join(B, 'f.bin')), Buffer.concat([first, more]));
});
