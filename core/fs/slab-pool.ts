// Buffers the size of a transfer chunk (8 MiB and a header), kept for reuse: an upload frame gathered from socket reads
// (server/ws-big-messages.ts), a download chunk gathered from the drive's reads, its frame encoded to send.
//
// Measured here: gathering or encoding 8 MiB into new memory took ~20-25 ms (glibc hands buffers this big out by mmap
// and back at free; the first touch of each page is slow on this VM), against ~5 ms into memory used before. A 512 MiB
// download spent 2.8 of its 9.2 s doing that (test/bench/RESULTS.md, scenario 7).
//
// Rule (as chunk-pool.ts): a slab is given back once, by the last code to hold any view of it, when nothing can read or
// write it any more. Code that keeps one never gives it back; the pool then makes a new one.
import { CHUNK_BYTES } from '../contract/contract.ts';

export const SLAB_BYTES = CHUNK_BYTES + (64 << 10);
/** Slabs kept idle at most (a few transfers at once, two chunks each). */
const MAX_FREE = 4;
/** Idle this long, the kept slabs are let go: a server that moved one big file does not hold 32 MiB for good. */
const KEEP_MS = 30_000;

const ours = new WeakSet<ArrayBufferLike>();
const isFree = new WeakSet<ArrayBufferLike>();
const free: Buffer[] = [];
let letGo: NodeJS.Timeout | undefined;

/** A SLAB_BYTES buffer, its contents undefined (a copy fills it). */
export function takeSlab(): Buffer {
  const b = free.pop();
  if (b) {
    isFree.delete(b.buffer);
    return b;
  }
  const fresh = Buffer.allocUnsafeSlow(SLAB_BYTES);
  ours.add(fresh.buffer);
  return fresh;
}

/** Gives back the slab `view` is part of; a view of anything else, or a second give, is ignored. */
export function giveSlab(view: Uint8Array): void {
  const ab = view.buffer;
  if (!ours.has(ab) || isFree.has(ab) || free.length >= MAX_FREE) return;
  isFree.add(ab);
  free.push(Buffer.from(ab, 0, SLAB_BYTES));
  clearTimeout(letGo);
  letGo = setTimeout(() => { for (const s of free.splice(0)) isFree.delete(s.buffer); }, KEEP_MS).unref();
}

/** For tests: whether `view` is part of an idle slab. */
export function isIdleSlab(view: Uint8Array): boolean { return isFree.has(view.buffer); }
