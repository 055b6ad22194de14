// Reusable 1 MiB buffers for the big streams: file reads (NodeFs.readStream) and the blocks of a streamed write.
//
// Measured: a fresh 1 MiB buffer per chunk cost more than the work done with it. Each one is new memory (page faults
// as the kernel hands it over, zeroed) and external memory the garbage collector must notice (a full mark-compact
// every few tens of MiB): a 512 MiB GET through the share took 2.0 CPU-s with fresh buffers and 0.9 with reused ones.
//
// Rule: a buffer is given back only by the code that is the last to hold it, once nothing can still read or write
// it: a read's chunk after the socket has taken it (dav/released-stream.ts), a write's block after every member's
// write of it has landed (mirror/write-request.ts). Code that keeps a chunk simply never gives it back; the pool then
// makes a new one. A buffer an I/O call may still be using (a call abandoned by the watchdog) is never given back.
// Only the pool's own buffers are taken back, and each once: a second give of the same buffer is ignored.

import { BufferPool } from './buffer-pool.ts';

export const POOL_CHUNK = 1 << 20;
const chunks = new BufferPool(POOL_CHUNK, 24); // idle buffers kept: 24 MiB at most

/** A POOL_CHUNK-sized buffer, its contents undefined (a read or a copy fills it). */
export function takeChunk(): Buffer { return chunks.take(); }

/** Gives back a chunk (or any view of one) that nothing will use again. */
export function giveChunk(view: Uint8Array): void { chunks.give(view); }

/** Whether `view` is a whole buffer of the pool (what a stream that hands its chunks over may pass on uncopied). */
export function isPoolChunk(view: Uint8Array): boolean { return chunks.isWhole(view); }

/** For tests: how many buffers are idle, and how many were ever made. */
export function freeChunks(): number { return chunks.idle; }
export function madeChunks(): number { return chunks.made; }
