// Transfers of files bigger than one message: uploads and downloads in chunks, each an open session with an id.
//
// An upload is one engine writeFile fed by a stream, so it is atomic like any write: until commit the old file (or no
// file) is what everyone sees, and an abort, a vanished client or an idle timeout leaves nothing behind. Each chunk is
// accepted only once the engine has taken it (written to the members, or held within the behind budget), so memory
// stays bounded by one chunk per session however slow the drives are. A download reads one member's copy, opened
// once, and is checksum-verified at its end.
import { randomUUID } from 'node:crypto';
import { CHUNK_BYTES, UPLOAD_DEPTH } from '../contract/contract.ts';
import { MirrorError } from '../contract/errors.ts';
import { concatBytes } from '../fs/bytes.ts';
import { giveChunk } from '../fs/chunk-pool.ts';
import { SLAB_BYTES, takeSlab } from '../fs/slab-pool.ts';
import type { Mirror } from '../mirror/mirror-api.ts';

export interface TransferOptions {
  /**
   * A session whose client is silent this long is aborted (it went away without saying so). The clock runs only
   * between calls: a chunk a slow drive takes a minute to accept is the engine's time, not the client's silence.
   */
  idleMs?: number;
  /** Open sessions at most; one more is refused (each may hold a chunk in memory). */
  maxOpen?: number;
}

/**
 * A download chunk made of the reads that fill it: gathered into a slab, which the transport gives back once it has sent
 * it (server/ws-rpc.ts; a transport that does not simply leaves it to the GC). The reads are the drive's pool chunks,
 * handed over by the reader (mirror/read-path.ts): copied, they go back to the pool (chunk-pool.ts's rule).
 */
function gather(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length <= 1) return parts[0] ?? new Uint8Array(0);
  // A plain Uint8Array, not a Buffer, either way: JSON.stringify would call a Buffer's toJSON() first (bytes.ts).
  // A slab only for a chunk that fills most of one: Electron's IPC clones a view's whole buffer, not just the view.
  let out: Uint8Array;
  if (size > SLAB_BYTES / 2 && size <= SLAB_BYTES) {
    out = new Uint8Array(takeSlab().buffer, 0, size);
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.byteLength; }
  } else {
    out = concatBytes(parts, size); // (two parts or more: a copy)
  }
  for (const p of parts) giveChunk(p);
  return out;
}

/**
 * The async iterable an upload's writeFile consumes; push() resolves once the engine has taken the chunk: when it asks
 * for the next one, having copied this one into its own blocks (streamBlocks copies every chunk on receipt). So the
 * transport's buffer is handed over uncopied, and it may be reused once push() resolves. (A copy here cost ~40 ms per
 * 8 MiB chunk on this machine: fresh memory is faulted in at ~200 MB/s.)
 */
class ChunkChannel implements AsyncIterableIterator<Uint8Array> {
  #queue: { chunk: Uint8Array; taken: () => void }[] = [];
  /** The chunk the consumer holds: taken once it asks for the next. */
  #held: (() => void) | undefined;
  #pull: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  #pullFail: ((e: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;

  push(chunk: Uint8Array): Promise<void> {
    return new Promise((taken) => {
      this.#queue.push({ chunk, taken });
      this.#deliver();
    });
  }
  end(): void { this.#ended = true; this.#deliver(); }
  get ended(): boolean { return this.#ended; }
  fail(e: unknown): void {
    this.#error ??= e;
    this.#release();
    for (const q of this.#queue.splice(0)) q.taken();
    this.#deliver();
  }

  #release(): void {
    const held = this.#held;
    this.#held = undefined;
    held?.();
  }

  #deliver(): void {
    if (!this.#pull) return;
    const resolve = this.#pull;
    const reject = this.#pullFail!;
    if (this.#error !== undefined) { this.#pull = this.#pullFail = undefined; reject(this.#error); return; }
    const next = this.#queue.shift();
    if (next) { this.#pull = this.#pullFail = undefined; this.#held = next.taken; resolve({ value: next.chunk, done: false }); return; }
    if (this.#ended) { this.#pull = this.#pullFail = undefined; resolve({ value: undefined, done: true }); }
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    this.#release(); // the consumer is done with the chunk it held
    return new Promise((resolve, reject) => {
      this.#pull = resolve;
      this.#pullFail = reject;
      this.#deliver();
    });
  }
  return(): Promise<IteratorResult<Uint8Array>> {
    this.#release();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() { return this; }
}

interface Session {
  kind: 'upload' | 'download';
  path: string;
  /** The idle timer; stopped while a call is working on the session. */
  timer?: NodeJS.Timeout;
  /** Calls on this session still working (chunks in flight, a commit); the idle clock restarts when the last returns. */
  calls: number;
  /** Settles when the session is over, whatever the outcome (tests and shutdown wait on it). */
  closed: Promise<void>;
  abort(reason: MirrorError): void;
}

interface Upload extends Session {
  kind: 'upload';
  channel: ChunkChannel;
  written: Promise<void>;
  received: number;
  /** The first error the write met; every later call reports it. */
  failure?: unknown;
  /** Chunks sent but not yet taken by the engine (at most UPLOAD_DEPTH). */
  inFlight: number;
}

interface Download extends Session {
  kind: 'download';
  chunks: AsyncIterableIterator<Uint8Array>;
}

export class Transfers {
  readonly #sessions = new Map<string, Upload | Download>();
  readonly #idleMs: number;
  readonly #maxOpen: number;

  constructor(o: TransferOptions = {}) {
    this.#idleMs = o.idleMs ?? 120_000;
    this.#maxOpen = o.maxOpen ?? 16;
  }

  get open(): number { return this.#sessions.size; }

  /** Settles once session `id` is over (committed, aborted or timed out); at once if there is none. */
  closed(id: string): Promise<void> { return this.#sessions.get(id)?.closed ?? Promise.resolve(); }

  async beginUpload(mirror: Mirror, path: string): Promise<string> {
    this.#roomForOne(path);
    // Refuse the obvious before any byte is sent (the engine would, too, but only after taking the first chunks).
    if ((await mirror.stat(path).catch(() => null))?.type === 'dir') {
      throw new MirrorError('EISDIR', `"${path}" is a folder; choose a file name.`, { path });
    }
    const id = randomUUID();
    const channel = new ChunkChannel();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const up: Upload = {
      kind: 'upload', path, channel, received: 0, inFlight: 0, calls: 0, closed,
      written: Promise.resolve(),
      timer: this.#idleTimer(id, path),
      abort: (reason) => { up.failure ??= reason; channel.fail(reason); },
    };
    up.written = mirror.writeFile(path, channel);
    // The write ends when the stream ends (commit) or fails (abort, or the engine refused it, e.g. a full drive).
    up.written.catch((e: unknown) => { up.failure ??= e; channel.fail(e); }).finally(() => { this.#forget(id); close(); });
    this.#sessions.set(id, up);
    return id;
  }

  /**
   * Resolves once the engine has taken the chunk. Chunks are taken in the order the calls arrive; a client may keep
   * UPLOAD_DEPTH of them in flight, so the next one is on its way while the drives write this one.
   */
  async uploadChunk(id: string, chunk: Uint8Array): Promise<{ received: number }> {
    const up = this.#get(id, 'upload');
    if (up.inFlight >= UPLOAD_DEPTH) throw new MirrorError('EBUSY', `The upload of "${up.path}" already has ${UPLOAD_DEPTH} chunks waiting; wait for one to be taken.`, { path: up.path });
    // After commit began the stream is closed: a chunk now would wait forever for a reader that is gone.
    if (up.channel.ended) throw new MirrorError('EBUSY', `The upload of "${up.path}" is already being committed; a chunk sent after the commit is not part of it. Start a new upload.`, { path: up.path });
    up.inFlight++;
    try {
      return await this.#call(id, up, async () => {
        await up.channel.push(chunk); // taken (copied by the engine) when this resolves: the transport may reuse it then
        if (up.failure !== undefined) throw up.failure;
        up.received += chunk.byteLength;
        return { received: up.received };
      });
    } finally {
      up.inFlight--;
    }
  }

  /** Ends the upload; resolves once the file is acknowledged (durable on every synchronous member). */
  async commitUpload(id: string): Promise<void> {
    const up = this.#get(id, 'upload');
    // The session ends with the write, whatever its outcome; until then the wait is the drives', not the client's.
    await this.#call(id, up, async () => {
      up.channel.end();
      await up.written;
    });
  }

  async beginDownload(mirror: Mirror, path: string): Promise<{ id: string; size: number }> {
    this.#roomForOne(path);
    const reader = await mirror.openReader(path);
    const id = randomUUID();
    let close!: () => void;
    const closed = new Promise<void>((r) => (close = r));
    const down: Download = {
      kind: 'download', path, chunks: reader.chunks, calls: 0, closed,
      timer: this.#idleTimer(id, path),
      // Closing the reader releases the open file; `closed` settles then.
      abort: () => { this.#forget(id); void Promise.resolve(reader.chunks.return?.(undefined)).catch(() => {}).finally(close); },
    };
    this.#sessions.set(id, down);
    return { id, size: reader.size };
  }

  /** The next chunk (up to CHUNK_BYTES); an empty one means the file is complete and verified, and the session is over. */
  async downloadChunk(id: string): Promise<Uint8Array> {
    const down = this.#get(id, 'download');
    if (down.calls > 0) throw new MirrorError('EBUSY', `The download of "${down.path}" is still reading the previous chunk; ask for one chunk at a time.`, { path: down.path });
    return this.#call(id, down, async () => {
      try {
        const parts: Uint8Array[] = [];
        let size = 0;
        while (size < CHUNK_BYTES) {
          const r = await down.chunks.next();
          if (r.done) break;
          parts.push(r.value);
          size += r.value.byteLength;
        }
        if (size === 0) this.abort(id); // the end: release the open file
        return gather(parts, size);
      } catch (e) {
        this.abort(id);
        throw e;
      }
    });
  }

  /** Stops a session; an upload leaves the old file as it was. Unknown ids are fine (it may have just ended). */
  abort(id: string): void {
    const s = this.#sessions.get(id);
    s?.abort(new MirrorError('EABORTED', `The transfer of "${s.path}" was cancelled. Nothing was changed.`, { path: s.path }));
  }

  /** Every session, when the mirror stops or the app quits. */
  async abortAll(): Promise<void> {
    const all = [...this.#sessions.entries()];
    for (const [id] of all) this.abort(id);
    await Promise.all(all.map(([, s]) => s.closed.catch(() => {})));
  }

  #roomForOne(path: string): void {
    if (this.#sessions.size >= this.#maxOpen) {
      throw new MirrorError('EBUSY', `Too many transfers at once (${this.#maxOpen}); "${path}" was not started. Wait for one to finish.`, { path });
    }
  }

  #get<K extends 'upload' | 'download'>(id: string, kind: K): K extends 'upload' ? Upload : Download {
    const s = this.#sessions.get(id);
    if (!s || s.kind !== kind) {
      throw new MirrorError('ENOTRANSFER', `No ${kind} with id ${id} is open: it finished, was cancelled, or timed out. Start it again.`);
    }
    return s as K extends 'upload' ? Upload : Download;
  }

  #idleTimer(id: string, path: string): NodeJS.Timeout {
    const t = setTimeout(() => {
      const s = this.#sessions.get(id);
      s?.abort(new MirrorError('ETIMEDOUT', `The transfer of "${path}" stopped: nothing arrived for ${Math.round(this.#idleMs / 1000)} s. Nothing was changed.`, { path }));
    }, this.#idleMs);
    return t; // not unref'd: an open session is work in progress; shutdown aborts it
  }

  /**
   * Runs one call on session `id` with the idle clock stopped: the timer measures the client's silence, so it is
   * re-armed only when the last call in progress returns, and not at all once the session is over.
   */
  async #call<T>(id: string, s: Session, work: () => Promise<T>): Promise<T> {
    clearTimeout(s.timer);
    s.timer = undefined;
    s.calls++;
    try {
      return await work();
    } finally {
      s.calls--;
      if (s.calls === 0 && this.#sessions.get(id) === s) s.timer = this.#idleTimer(id, s.path);
    }
  }

  #forget(id: string): void {
    const s = this.#sessions.get(id);
    if (s) clearTimeout(s.timer);
    this.#sessions.delete(id);
  }
}
