import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { streamBlocks, MAX_BLOCK } from './stream-blocks.ts';
import { freeChunks, giveChunk, takeChunk } from '../fs/chunk-pool.ts';

/** A source that hands over `sizes` chunks from ONE buffer it overwrites after each hand-over (allowed by writeFile). */
async function* reusing(sizes: number[], seed: number): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(Math.max(...sizes, 1));
  let x = seed;
  for (const n of sizes) {
    for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; buf[i] = x >>> 24; }
    yield buf.subarray(0, n);
  }
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const b of src) out.push(b);
  return out;
}

const digest = (parts: Uint8Array[]) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex'); };

test('streamBlocks keeps every byte in order, whatever the chunk sizes, even when the source reuses its buffer', async () => {
  let rnd = 7;
  const next = () => (rnd = (rnd * 48271) % 2147483647);
  for (let run = 0; run < 40; run++) {
    const sizes = Array.from({ length: 1 + (next() % 60) }, () => [0, 1, 4095, 65536, 1 << 20, 3 << 20][next() % 6]! + (next() % 3));
    const expected: Uint8Array[] = [];
    for await (const c of reusing(sizes, run)) expected.push(Uint8Array.from(c));
    const blocks = await collect(streamBlocks(reusing(sizes, run)));
    assert.equal(digest(blocks), digest(expected), `run ${run}`);
    assert.equal(blocks.reduce((n, b) => n + b.byteLength, 0), sizes.reduce((a, b) => a + b, 0));
    for (const b of blocks.slice(0, -1)) assert.ok(b.byteLength >= 64 << 10 && b.byteLength <= MAX_BLOCK, `full blocks only before the last (run ${run})`);
  }
});

test('streamBlocks: a small file is one block of its own size, not a view of a bigger buffer', async () => {
  const [b, ...rest] = await collect(streamBlocks((async function* () { yield new Uint8Array(5000).fill(3); })()));
  assert.equal(rest.length, 0);
  assert.equal(b!.byteLength, 5000);
  assert.equal(b!.buffer.byteLength, 5000, 'a behind write keeps this block: it must not pin 64 KiB');
  assert.deepEqual(await collect(streamBlocks((async function* () {})())), []);
});

test('the chunk pool hands a given-back buffer out again, ignores a second give and foreign buffers', () => {
  while (freeChunks() > 0) takeChunk();
  const a = takeChunk();
  giveChunk(a.subarray(10, 20)); // any view of a pool buffer gives the whole buffer back
  giveChunk(a);
  assert.equal(freeChunks(), 1, 'a second give of the same buffer is ignored');
  giveChunk(new Uint8Array(1 << 20));
  giveChunk(Buffer.allocUnsafe(1 << 20));
  assert.equal(freeChunks(), 1, 'buffers the pool did not make are never taken in');
  const b = takeChunk();
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.byteLength, 1 << 20);
  assert.notEqual(takeChunk().buffer, a.buffer, 'a buffer is handed out once until it comes back');
});

test('streamBlocks, owned: whole pool chunks pass on uncopied, a copied chunk goes back to the pool', async () => {
  while (freeChunks() > 0) takeChunk();
  const whole = [takeChunk().fill(1), takeChunk().fill(2)];
  const short = takeChunk().fill(3).subarray(0, 1000);
  const blocks = await collect(streamBlocks((async function* () { yield* whole; yield short; })(), MAX_BLOCK, true));
  assert.equal(blocks.length, 3);
  assert.equal(blocks[0]!.buffer, whole[0]!.buffer, 'handed over, so passed on as the block itself');
  assert.equal(blocks[1]!.buffer, whole[1]!.buffer);
  assert.equal(blocks[2]!.byteLength, 1000);
  assert.ok(blocks[2]!.every((b) => b === 3));
  assert.equal(freeChunks(), 2, 'the short chunk was copied: its buffer and the block it went through are given back');
  const notOwned = await collect(streamBlocks((async function* () { yield takeChunk().fill(4); })()));
  assert.notEqual(notOwned[0]!.buffer, whole[0]!.buffer);
});
