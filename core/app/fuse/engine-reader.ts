// Reads at offsets, for one open handle, from the engine's chunked reader: one version of the file, picked and waited
// for like any engine read (a fallback read waits for the behind writes it could overtake), checksum-verified when
// read to the end. The kernel reads ahead in order; a jump back past the window opens the file again. The next chunk
// is asked of the engine as soon as one is taken, so the drive's read and its hashing overlap the program's reads.
import type { Mirror } from '../../index.ts';
import { giveChunk } from '../../fs/chunk-pool.ts';

/**
 * How much of the file read so far is kept for reads that come back: the kernel's readahead, and Samba's reads in
 * parallel, arrive out of order within a few MiB of each other; only a jump back past this opens the file again.
 */
const WINDOW_BYTES = 16 << 20;

interface Chunk { offset: number; data: Uint8Array }

/** The next chunk: the one read ahead if there is one. */
function next(open: { it: AsyncIterator<Uint8Array>; ahead?: Promise<IteratorResult<Uint8Array>> }): Promise<IteratorResult<Uint8Array>> {
  const p = open.ahead ?? open.it.next();
  open.ahead = undefined;
  return p;
}

export class EngineReader {
  readonly #mirror: Mirror;
  readonly #path: string;
  #open?: { size: number; it: AsyncIterator<Uint8Array>; done: boolean; ahead?: Promise<IteratorResult<Uint8Array>> };
  #chunks: Chunk[] = [];
  /** The offset just after the last chunk taken from the reader. */
  #end = 0;
  /** One read at a time: they share the reader's position. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(mirror: Mirror, path: string) {
    this.#mirror = mirror;
    this.#path = path;
  }

  read(buf: Uint8Array, len: number, pos: number): Promise<number> {
    const r = this.#queue.then(() => this.#read(buf, len, pos));
    this.#queue = r.catch(() => {});
    return r;
  }

  async #read(buf: Uint8Array, len: number, pos: number): Promise<number> {
    if (!this.#open || pos < (this.#chunks[0]?.offset ?? this.#end)) await this.#reopen();
    const open = this.#open!;
    const want = Math.min(pos + len, open.size);
    if (pos >= want) return 0;
    while (this.#end < want && !open.done) {
      const r = await next(open);
      if (r.done) { open.done = true; break; }
      this.#chunks.push({ offset: this.#end, data: r.value });
      this.#end += r.value.byteLength;
      this.#trim();
    }
    // Read to the end: let the reader finish, which is where it checks the checksum (ECHECKSUM: an I/O error here).
    if (this.#end >= open.size && !open.done) {
      const r = await next(open);
      if (r.done) open.done = true;
    }
    // Read ahead: one chunk asked for now (its error, if any, is met by the read that needs it).
    if (!open.done && !open.ahead) {
      open.ahead = open.it.next();
      open.ahead.catch(() => {});
    }
    return this.#copy(buf, pos, want);
  }

  /** Keeps the last WINDOW_BYTES read from the file (and always the chunk just read). */
  #trim(): void {
    let held = this.#end - (this.#chunks[0]?.offset ?? this.#end);
    while (this.#chunks.length > 1 && held - this.#chunks[0]!.data.byteLength >= WINDOW_BYTES) {
      const old = this.#chunks.shift()!;
      held -= old.data.byteLength;
      giveChunk(old.data); // reads copy out of chunks one at a time (#queue), so nothing else holds it
    }
  }

  #copy(buf: Uint8Array, pos: number, want: number): number {
    let n = 0;
    for (const c of this.#chunks) {
      const cEnd = c.offset + c.data.byteLength;
      if (cEnd <= pos + n || c.offset >= want) continue;
      const from = pos + n - c.offset;
      const take = Math.min(cEnd, want) - (pos + n);
      buf.set(c.data.subarray(from, from + take), n);
      n += take;
      if (pos + n >= want) break;
    }
    return n;
  }

  async #reopen(): Promise<void> {
    await this.close();
    const r = await this.#mirror.openReader(this.#path);
    this.#open = { size: r.size, it: r.chunks, done: false };
    for (const c of this.#chunks) giveChunk(c.data);
    this.#chunks = [];
    this.#end = 0;
  }

  /** Lets go of the file (the engine's reader closes its member's file). */
  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    if (open?.ahead) await open.ahead.then((r) => { if (r.done) open.done = true; }, () => {});
    if (open && !open.done) await open.it.return?.().catch(() => {});
  }
}
