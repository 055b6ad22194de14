// Write-behind limits, the behind copy, and per-path ordering under random latency (invariants 5, 6, 8, 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMirror, NodeFs, type AtomicWriter, type EngineMemberSpec } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { STREAM_WINDOW_BYTES } from '../../core/mirror/write-request.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { text, treeOf } from '../helpers/engine.ts';

async function timedAcks(writes: Promise<void>[]): Promise<number[]> {
  const t0 = performance.now();
  return Promise.all(writes.map((w) => w.then(() => performance.now() - t0)));
}

test('maxBehindWrites: 4 — never more than 4 behind; the 5th concurrent write waits for the slow member (invariant 5)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const m = await createMirror({ maxBehindWrites: 4, members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true, throttle: { latencyMs: 300 } }] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('warm', 'up');
  await m.drain();
  let maxBehind = 0;
  m.onEvent((e) => { if (e.type === 'behind') maxBehind = Math.max(maxBehind, m.status().members[1]!.behindWrites); });
  const acks = await timedAcks([0, 1, 2, 3, 4].map((i) => m.writeFile(`f${i}`, `data ${i}`)));
  const slow = acks.filter((ms) => ms >= 298); // a timer may fire a millisecond early
  t.diagnostic(`ack ms: ${acks.map((a) => a.toFixed(0)).join(', ')}`);
  assert.equal(slow.length, 1, 'exactly one write (the one over the limit) waited for B');
  assert.equal(acks.filter((ms) => ms < 298).length, 4);
  assert.ok(maxBehind <= 4, `at most 4 behind (saw ${maxBehind})`);
  await m.drain();
  for (let i = 0; i < 5; i++) assert.equal(text(await m.readFile(`f${i}`)), `data ${i}`);
});

test('maxBehindBytes caps the bytes held behind; a bigger write is synchronous', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const m = await createMirror({ maxBehindBytes: 1000, members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true, throttle: { latencyMs: 200 } }] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('warm', 'up');
  await m.drain();
  const [small, big] = await timedAcks([m.writeFile('small', new Uint8Array(500)), m.writeFile('big', new Uint8Array(2000))]);
  assert.ok(small! < 198, `the small write went behind (${small} ms)`);
  assert.ok(big! >= 198, `the write over maxBehindBytes was synchronous (${big} ms)`);
});

test('maxBehindWrites: 0 disables write-behind (invariant 6)', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ maxBehindWrites: 0, members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true, throttle: { latencyMs: 40 } }] });
  t.after(() => m.stop().catch(() => {}));
  let sawBehind = false;
  m.onEvent((e) => { if (e.type === 'behind' && e.behindWrites > 0) sawBehind = true; });
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await m.writeFile(`f${i}`, 'x');
    assert.ok(performance.now() - t0 >= 38, 'every ack waited for the write-mostly member'); // timers may fire early
    assert.ok(existsSync(join(dir, 'B', `f${i}`)), 'B has the file at ack time');
  }
  assert.equal(sawBehind, false);
});

test('the behind copy: reusing the buffer after the ack does not change what the slow member gets (invariant 8)', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true, throttle: { latencyMs: 30 } }] });
  t.after(() => m.stop().catch(() => {}));
  const buf = Buffer.alloc(64 * 1024);
  for (let i = 0; i < 10; i++) {
    buf.fill(i);
    await m.writeFile(`f${i}`, buf);
    buf.fill(0xee); // the caller reuses its buffer at once
  }
  assert.ok(m.status().members[1]!.behindWrites > 0, 'writes were behind when the buffer was reused');
  await m.drain();
  const b = await treeOf(join(dir, 'B'));
  for (let i = 0; i < 10; i++) assert.ok(Buffer.from(b.get(`f${i}`)!, 'base64').every((x) => x === i), `f${i} on B holds the data at submission`);
});

test('1,000 rewrites of one file with random latency on every member leave each with the last content (invariant 11)', async (t) => {
  const dir = await tempDir(t);
  const jitter = (root: string): EngineMemberSpec => ({ path: join(dir, root), fs: new FaultyFs(new NodeFs(), { jitterMs: 4 }) });
  const m = await createMirror({ members: [jitter('A'), { ...jitter('B'), writeMostly: true }, jitter('C')] });
  t.after(() => m.stop().catch(() => {}));
  await Promise.all(Array.from({ length: 1000 }, (_, i) => m.writeFile('one.txt', `version ${i}`)));
  assert.equal(text(await m.readFile('one.txt')), 'version 999');
  await m.drain();
  for (const r of ['A', 'B', 'C']) {
    assert.equal(Buffer.from((await treeOf(join(dir, r))).get('one.txt')!, 'base64').toString(), 'version 999', `member ${r}`);
  }
  // Renames and removes interleaved with writes on overlapping paths stay in order too.
  const ops: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    ops.push(m.writeFile(`d/x${i}`, `${i}`));
    ops.push(m.rename(`d/x${i}`, `e${i}/y`));
    ops.push(m.writeFile(`e${i}/y`, `final ${i}`));
  }
  await Promise.all(ops);
  await m.drain();
  const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((r) => treeOf(join(dir, r))));
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.equal(Buffer.from(a!.get('e7/y')!, 'base64').toString(), 'final 7');
});

test('a write bigger than the behind limits streams to every member with bounded memory', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ maxBehindBytes: 1 << 20, members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  async function* chunks() { for (let i = 0; i < 40; i++) yield new Uint8Array(1 << 20).fill(i); }
  await m.writeFile('big.bin', chunks());
  assert.equal(m.status().members[1]!.behindWrites, 0, 'a streamed write is never behind');
  const got = await m.readFile('big.bin');
  assert.equal(got.byteLength, 40 << 20);
  assert.equal(got[(39 << 20) + 5], 39);
});

/** The real filesystem, counting the bytes that reached a file being written (and slowing each write a little). */
class CountingFs extends NodeFs {
  written = 0;
  override async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    const w = await super.createAtomic(target, tmpDir, o);
    if (!target.endsWith('.bin')) return w; // superblocks and manifests are not the data being counted
    return { ...w, write: async (c) => { await new Promise((r) => setTimeout(r, 10)); await w.write(c); this.written += c.byteLength; } };
  }
}

test('a streamed write reads ahead of a slow member, but never more than the window', async (t) => {
  const dir = await tempDir(t);
  const slow = new CountingFs();
  const m = await createMirror({ maxBehindBytes: 1 << 20, members: [{ path: join(dir, 'A') }, { path: join(dir, 'B'), fs: slow } as EngineMemberSpec] });
  t.after(() => m.stop().catch(() => {}));
  let yielded = 0, maxAhead = 0;
  async function* chunks() {
    for (let i = 0; i < 64; i++) {
      maxAhead = Math.max(maxAhead, yielded - slow.written); // asked for more while B still had this much to write
      yielded += 1 << 20;
      yield new Uint8Array(1 << 20).fill(i);
    }
  }
  await m.writeFile('big.bin', chunks());
  assert.equal(slow.written, 64 << 20);
  // Lock-step would ask for the next chunk only once every member had the last one (ahead = 0).
  assert.ok(maxAhead >= 4 << 20, `the source ran ahead of the slow member (max ${maxAhead >> 20} MiB)`);
  assert.ok(maxAhead <= STREAM_WINDOW_BYTES + (2 << 20), `memory stays bounded by the window (max ${maxAhead >> 20} MiB)`);
  const got = await m.readFile('big.bin');
  assert.equal(got[(63 << 20) + 7], 63);
});
