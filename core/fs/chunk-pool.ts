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

export const POOL_CHUNK = 1 << 20;
const MAX_FREE = 24; // idle buffers kept: 24 MiB at most

const ours = new WeakSet<ArrayBufferLike>();
const free: Buffer[] = [];
const isFree = new WeakSet<ArrayBufferLike>();
let made = 0;

/** A POOL_CHUNK-sized buffer, its contents undefined (a read or a copy fills it). */
export function takeChunk(): Buffer {
  const b = free.pop();
  if (b) {
    isFree.delete(b.buffer);
    return b;
  }
  const fresh = Buffer.allocUnsafeSlow(POOL_CHUNK); // its own memory, never a slice of Node's shared pool
  made++;
  ours.add(fresh.buffer);
  return fresh;
}

/** Gives back a chunk (or any view of one) that nothing will use again. */
export function giveChunk(view: Uint8Array): void {
  const ab = view.buffer;
  if (!ours.has(ab) || isFree.has(ab) || free.length >= MAX_FREE) return;
  isFree.add(ab);
  free.push(Buffer.from(ab, 0, POOL_CHUNK));
}

/** Whether `view` is a whole buffer of the pool (what a stream that hands its chunks over may pass on uncopied). */
export function isPoolChunk(view: Uint8Array): boolean {
  return ours.has(view.buffer) && view.byteOffset === 0 && view.byteLength === POOL_CHUNK && !isFree.has(view.buffer);
}

/** For tests: how many buffers are idle, and how many were ever made. */
export function freeChunks(): number { return free.length; }
export function madeChunks(): number { return made; }
