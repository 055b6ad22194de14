// A pool of same-size buffers, reused instead of new memory (chunk-pool.ts and slab-pool.ts are its two instances and
// say what each is for, what was measured, and the rule for giving back).
//
// Only the pool's own buffers are taken back, and each once: a second give of the same buffer is ignored.

export class BufferPool {
  readonly #ours = new WeakSet<ArrayBufferLike>();
  readonly #isFree = new WeakSet<ArrayBufferLike>();
  readonly #free: Buffer[] = [];
  #letGo?: NodeJS.Timeout;
  /** How many buffers were ever made (for tests). */
  made = 0;

  /**
   * `maxFree` idle buffers are kept at most; with `keepMs`, idle ones are let go once none was given back for that
   * long (a process that moved one big file does not hold them for good).
   */
  constructor(readonly size: number, readonly maxFree: number, readonly keepMs = 0) {}

  /** A `size`-byte buffer, its contents undefined (a read or a copy fills it). */
  take(): Buffer {
    const b = this.#free.pop();
    if (b) {
      this.#isFree.delete(b.buffer);
      return b;
    }
    const fresh = Buffer.allocUnsafeSlow(this.size); // its own memory, never a slice of Node's shared pool
    this.made++;
    this.#ours.add(fresh.buffer);
    return fresh;
  }

  /** Gives back the buffer `view` is part of, once nothing will use it again; anything else is ignored. */
  give(view: Uint8Array): void {
    const ab = view.buffer;
    if (!this.#ours.has(ab) || this.#isFree.has(ab) || this.#free.length >= this.maxFree) return;
    this.#isFree.add(ab);
    this.#free.push(Buffer.from(ab, 0, this.size));
    if (this.keepMs > 0) {
      clearTimeout(this.#letGo);
      this.#letGo = setTimeout(() => { for (const b of this.#free.splice(0)) this.#isFree.delete(b.buffer); }, this.keepMs).unref();
    }
  }

  /** Whether `view` is a whole buffer of the pool, in use (what a stream that hands its chunks over may pass on uncopied). */
  isWhole(view: Uint8Array): boolean {
    return this.#ours.has(view.buffer) && view.byteOffset === 0 && view.byteLength === this.size && !this.#isFree.has(view.buffer);
  }

  /** How many buffers are idle (for tests). */
  get idle(): number { return this.#free.length; }
}
