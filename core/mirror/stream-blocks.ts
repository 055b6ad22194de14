// A streamed write's source, regrouped into blocks of up to 1 MiB that the write owns.
//
// Sources hand over chunks of whatever size they read (64 KiB from a file stream, a few KiB from a socket). Each chunk
// cost the write path a copy, a hash call and one write per member, each a trip through the thread pool: measured, a
// 1 GiB upload in 64 KiB chunks spent most of its CPU on that per-chunk work, not on the bytes. Here every chunk is
// copied once, on receipt, into the current block (so the caller may reuse its buffer as soon as it hands the next
// one over), and a block goes on only when full. Blocks start at 64 KiB and double to 1 MiB, so a small file never
// pins a large buffer; the last block is trimmed to a copy of its own size when less than half of it is used
// (a behind write keeps its data until it lands). Full-size blocks come from the chunk pool; the write gives each
// back once every member's write of it has landed (write-request.ts).

import { giveChunk, isPoolChunk, POOL_CHUNK, takeChunk } from '../fs/chunk-pool.ts';

const FIRST_BLOCK = 64 << 10;
export const MAX_BLOCK = POOL_CHUNK;

/**
 * `owned`: the source hands its chunks over (it never touches one again once the next is asked for: NodeFs.readStream's
 * pool chunks). A whole pool chunk that starts a block is then passed on as that block, uncopied, and a chunk copied
 * goes back to the pool.
 */
export async function* streamBlocks(source: AsyncIterable<Uint8Array>, maxBlock = MAX_BLOCK, owned = false): AsyncGenerator<Uint8Array, void, undefined> {
  let cap = Math.min(FIRST_BLOCK, maxBlock);
  let block: Buffer | null = null;
  let fill = 0;
  for await (const chunk of source) {
    if (owned && fill === 0 && maxBlock === POOL_CHUNK && isPoolChunk(chunk)) {
      if (block) { giveChunk(block); block = null; } // an empty block taken for nothing
      cap = maxBlock;
      yield chunk;
      continue;
    }
    let off = 0;
    while (off < chunk.byteLength) {
      block ??= cap === POOL_CHUNK ? takeChunk() : Buffer.allocUnsafeSlow(cap);
      const n = Math.min(cap - fill, chunk.byteLength - off);
      block.set(off === 0 && n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === cap) {
        const full = block;
        block = null;
        fill = 0;
        cap = Math.min(cap * 2, maxBlock);
        yield full;
      }
    }
    if (owned) giveChunk(chunk); // copied: the source's chunk is free again (only the pool's own are taken back)
  }
  if (!block || fill === 0) {
    if (block) giveChunk(block);
    return;
  }
  if (fill * 2 >= block.byteLength) {
    yield block.subarray(0, fill);
    return;
  }
  const last = new Uint8Array(block.subarray(0, fill));
  giveChunk(block); // nobody else has seen it
  yield last;
}
