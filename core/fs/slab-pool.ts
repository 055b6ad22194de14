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
import { BufferPool } from './buffer-pool.ts';

export const SLAB_BYTES = CHUNK_BYTES + (64 << 10);
/** A few kept idle (a few transfers at once, two chunks each), let go after 30 s without use. */
const slabs = new BufferPool(SLAB_BYTES, 4, 30_000);

/** A SLAB_BYTES buffer, its contents undefined (a copy fills it). */
export function takeSlab(): Buffer { return slabs.take(); }

/** Below this a message or frame costs too little to be worth a slab. */
const MIN_SLAB_USE = 1 << 20;

/** `n` bytes of a slab when `n` is chunk-sized (MIN_SLAB_USE to SLAB_BYTES), else null: the caller makes its own. */
export function slabFor(n: number): Buffer | null {
  return n >= MIN_SLAB_USE && n <= SLAB_BYTES ? takeSlab().subarray(0, n) : null;
}

/** Gives back the slab `view` is part of; a view of anything else, or a second give, is ignored. */
export function giveSlab(view: Uint8Array): void { slabs.give(view); }
