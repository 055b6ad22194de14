// WatchdogFs: turns a drive that stops answering into an error, so the mirror fails that member and keeps going.
//
// A hung drive (a stopped FUSE daemon, a hard NFS/SMB mount, a USB bridge that wedged) does not fail its calls: they
// never return. Without this, a write's leg on it never settles, behind writes never drain, eject and stop wait
// forever, and each call parks one of libuv's few threads until the whole process stalls. md leaves this to the block
// layer's command timeout; a folder mirror has none, so each member's filesystem gets one here:
//  - at most `maxConcurrent` calls run on the drive at once; the rest wait their turn, so a hung drive holds at most
//    that many threads;
//  - the drive is declared not responding when calls are running and none has finished for `stallMs` plus the time
//    their bytes need at `floorBytesPerSecond` (a slow disk flushing a big file is slow, not hung): every running and
//    waiting call is rejected with ETIMEDOUT, and new ones fail at once;
//  - when the stuck calls finish after all (the drive came back), it is healthy again and can be re-added.
// A folder removal has no size to scale by: while one runs the drive is never declared hung.
import { errnoCode, type AppendHandle, type AtomicWriter, type Filesystem, type FsAttrs, type FsEntry, type FsStat } from './filesystem.ts';

export interface WatchdogOptions {
  /** Nothing finished for this long while calls run: the drive is not responding. 0 turns the watchdog off. */
  stallMs: number;
  /** Bytes in flight extend the allowance at this rate. */
  floorBytesPerSecond?: number;
  /** Calls running on the drive at once. */
  maxConcurrent?: number;
}

export const DEFAULT_STALL_MS = 30_000;

/** The error every call on a drive that stopped answering gets. */
export class DriveNotResponding extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(stallMs: number, what: string) {
    const s = stallMs >= 10_000 ? String(Math.round(stallMs / 1000)) : (stallMs / 1000).toFixed(1);
    super(`the drive stopped answering: nothing sent to it finished for ${s} s (${what})`);
  }
}

interface Call { what: string; weight: number; unbounded: boolean; fail(e: Error): void }

export class WatchdogFs implements Filesystem {
  readonly #stallMs: number;
  readonly #floor: number;
  readonly #max: number;
  readonly #running = new Set<Call>();
  /** Calls whose callers were told the drive hung, still stuck inside the kernel (each holds a thread). */
  #stuck = 0;
  /** Slots taken: running, stuck, or handed to a waiting call that has not resumed yet. */
  #busy = 0;
  readonly #waiting: { go(): void; fail(e: Error): void }[] = [];
  #progressAt = Date.now();
  #hung?: DriveNotResponding;
  /** Checks for a stall a few times per stall time, while calls run (one timer, not one per call). */
  #ticker?: NodeJS.Timeout;
  /** Bytes written and not yet flushed: what a flush may have to write back. */
  #unflushed = 0;
  /** Closing files and removing temp files, put off while the drive does not answer; run when it does again. */
  readonly #cleanups: (() => Promise<unknown>)[] = [];
  /** Callers of answering() waiting for the stuck calls to come back. */
  readonly #answerWaiters: (() => void)[] = [];

  /** One watched call per batch, allowed time for every byte it may read; present when the filesystem below has it. */
  readonly hashSmallFiles?: Filesystem['hashSmallFiles'];
  readonly readSmallFiles?: Filesystem['readSmallFiles'];
  readonly writeFileBulk?: Filesystem['writeFileBulk'];
  readonly writeFilesBulk?: Filesystem['writeFilesBulk'];
  readonly adoptAtomic?: Filesystem['adoptAtomic'];
  readonly createSmallAtomic?: Filesystem['createSmallAtomic'];

  constructor(readonly inner: Filesystem, o: WatchdogOptions) {
    if (inner.createSmallAtomic) this.createSmallAtomic = (target, tmpDir, o, within) => this.#watched(target, inner.createSmallAtomic!(target, tmpDir, o, within));
    if (inner.hashSmallFiles) {
      this.hashSmallFiles = (paths, maxBytes, within) =>
        this.#call(`checking ${paths.length} files from ${paths[0]}`, paths.length * Math.max(0, maxBytes), () => inner.hashSmallFiles!(paths, maxBytes, within));
    }
    if (inner.readSmallFiles) {
      this.readSmallFiles = (paths, maxBytes, within) =>
        this.#call(`reading ${paths.length} files from ${paths[0]}`, paths.length * maxBytes, () => inner.readSmallFiles!(paths, maxBytes, within));
    }
    if (inner.writeFileBulk) {
      this.writeFileBulk = (target, tmpDir, data, attrs, within) =>
        this.#call(`writing ${target}`, data.byteLength, async () => {
          const s = await inner.writeFileBulk!(target, tmpDir, data, attrs, within);
          this.#unflushed += data.byteLength; // made durable by the next syncFilesystem
          return s;
        });
    }
    if (inner.writeFilesBulk) {
      this.writeFilesBulk = (files, tmpDir, within) => {
        const bytes = files.reduce((n, f) => n + f.data.byteLength, 0); // (counted before the bytes are handed over)
        return this.#call(`writing ${files.length} files from ${files[0]?.target}`, bytes, async () => {
          const out = await inner.writeFilesBulk!(files, tmpDir, within);
          this.#unflushed += bytes; // made durable by the next syncFilesystem
          return out;
        });
      };
    }
    if (inner.adoptAtomic) {
      this.adoptAtomic = async (tmp, target, attrs) => {
        // The host wrote the bytes; their fsync happens here, so it is given the time its size needs.
        const { size } = await this.stat(tmp);
        const w = await this.#call(`opening ${tmp}`, 0, () => inner.adoptAtomic!(tmp, target, attrs));
        return {
          write: (chunk) => w.write(chunk),
          ...(w.flush ? { flush: () => this.#call(`saving ${target}`, size, () => w.flush!()) } : {}),
          commit: () => this.#call(`saving ${target}`, size, () => w.commit()),
          abort: () => this.#cleanup(`closing ${tmp}`, () => w.abort()),
          get landed() { return w.landed; },
        };
      };
    }
    this.#stallMs = o.stallMs;
    this.#floor = o.floorBytesPerSecond ?? 1 << 20;
    this.#max = o.maxConcurrent ?? defaultConcurrency();
  }

  /** True while the drive is considered not responding. */
  get notResponding(): boolean { return this.#hung !== undefined; }

  /** Resolves once the drive answers: at once if it does now, else when the calls stuck in it have all come back. */
  answering(): Promise<void> {
    if (!this.#hung) return Promise.resolve();
    return new Promise((resolve) => this.#answerWaiters.push(resolve));
  }

  async #call<T>(what: string, weight: number, op: () => Promise<T>, unbounded = false): Promise<T> {
    if (this.#stallMs <= 0) return op();
    if (this.#hung) throw this.#hung;
    if (this.#busy >= this.#max) await new Promise<void>((go, fail) => this.#waiting.push({ go, fail }));
    else this.#busy++;
    if (this.#running.size === 0) this.#progressAt = Date.now(); // a busy period starts now
    return new Promise<T>((resolve, reject) => {
      let told = false;
      const call: Call = { what, weight, unbounded, fail: (e) => { told = true; this.#running.delete(call); this.#stuck++; reject(e); } };
      this.#running.add(call);
      this.#watch();
      const settle = () => {
        this.#progressAt = Date.now();
        this.#busy--;
        if (told) this.#stuck--; else this.#running.delete(call);
        if (this.#hung && this.#stuck === 0) { // the stuck calls came back: the drive answers
          this.#hung = undefined;
          for (const c of this.#cleanups.splice(0)) void this.#call('cleaning up', 0, c).catch(() => {});
          for (const w of this.#answerWaiters.splice(0)) w();
        }
        this.#next();
      };
      let running: Promise<T>;
      try { running = op(); } catch (e) { running = Promise.reject(e); }
      running.then((v) => { settle(); if (!told) resolve(v); }, (e) => { settle(); if (!told) reject(e); });
    });
  }

  /** A cleanup call: done now, or when the drive answers again (an open file must not be left to the GC). */
  #cleanup(what: string, op: () => Promise<void>): Promise<void> {
    if (this.#stallMs > 0 && this.#hung) { this.#cleanups.push(op); return Promise.resolve(); }
    return this.#call(what, 0, op);
  }

  /** Hands free slots to waiting calls; a slot is taken here, before the call resumes, so none is given twice. */
  #next(): void {
    while (!this.#hung && this.#waiting.length > 0 && this.#busy < this.#max) { this.#busy++; this.#waiting.shift()!.go(); }
  }

  #watch(): void {
    if (this.#ticker) return;
    // Not unref'd: it runs only while calls do (it stops itself once none runs), and a real call keeps the process alive anyway.
    this.#ticker = setInterval(() => this.#tick(), Math.min(1000, Math.max(10, this.#stallMs / 4)));
  }

  #tick(): void {
    if (this.#running.size === 0 || this.#hung) { clearInterval(this.#ticker); this.#ticker = undefined; return; }
    let bytes = 0;
    for (const c of this.#running) { if (c.unbounded) return; bytes += c.weight; }
    const allowance = this.#stallMs + (bytes / this.#floor) * 1000;
    if (Date.now() - this.#progressAt < allowance) return;
    const oldest = this.#running.values().next().value!;
    this.#hung = new DriveNotResponding(allowance, oldest.what);
    for (const c of [...this.#running]) c.fail(this.#hung);
    for (const w of this.#waiting.splice(0)) w.fail(this.#hung);
  }

  async openAppend(path: string, o?: { durable?: boolean; end?: number }): Promise<AppendHandle> {
    const h = await this.#call(`opening ${path}`, 0, () => this.inner.openAppend(path, o));
    return {
      ...(h.durable ? { durable: true } : {}),
      ...(h.preallocated ? { preallocated: true } : {}),
      // A durable append flushes as it writes: its time allowance is a flush's (its bytes never wait in the cache).
      append: (data) => h.durable
        ? this.#flush(`appending to ${path}`, () => h.append(data), 0)
        : this.#call(`appending to ${path}`, data.byteLength, async () => { await h.append(data); this.#unflushed += data.byteLength; }),
      sync: () => this.#flush(`flushing ${path}`, () => h.sync()),
      close: () => this.#cleanup(`closing ${path}`, () => h.close()),
    };
  }

  async #flush<T>(what: string, op: () => Promise<T>, written = this.#unflushed): Promise<T> {
    const r = await this.#call(what, this.#unflushed, op);
    this.#unflushed = Math.max(0, this.#unflushed - written);
    return r;
  }

  syncFilesystem(path: string): Promise<boolean> { return this.#flush(`flushing the drive at ${path}`, () => this.inner.syncFilesystem(path)); }

  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    return this.#watched(target, await this.#call(`creating a temporary file for ${target}`, 0, () => this.inner.createAtomic(target, tmpDir, o)));
  }

  /** The writer's calls timed as createAtomic's: a small one's write() only keeps the bytes, its flush does the work. */
  #watched(target: string, w: AtomicWriter): AtomicWriter {
    let bytes = 0;
    return {
      write: (chunk) => this.#call(`writing ${target}`, chunk.byteLength, async () => { await w.write(chunk); bytes += chunk.byteLength; this.#unflushed += chunk.byteLength; }),
      // Flushed first: the data's fsync is timed (and its bytes counted) there; the commit is then a rename.
      ...(w.flush ? { flush: () => this.#flush(`saving ${target}`, async () => { await w.flush!(); bytes = 0; }, bytes) } : {}),
      commit: () => this.#flush(`saving ${target}`, () => w.commit(), bytes),
      abort: () => this.#cleanup(`removing the temporary file of ${target}`, () => w.abort()),
      get landed() { return w.landed; },
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    const { size } = await this.stat(path);
    return this.#call(`reading ${path}`, size, () => this.inner.readFile(path));
  }

  /**
   * One chunk is read ahead while the caller works on the last one, so the drive and the CPU (checksum, network) work
   * at once: a cold read of a big file is no longer the sum of the two. The read ahead is a watched call like any other,
   * counted against the drive's share of the thread pool.
   */
  async *readStream(path: string, chunkSize = 1 << 20): AsyncIterable<Uint8Array> {
    const it = this.inner.readStream(path, chunkSize)[Symbol.asyncIterator]();
    const next = () => this.#call(`reading ${path}`, chunkSize, () => it.next());
    let ahead: Promise<IteratorResult<Uint8Array>> | undefined = next();
    try {
      for (;;) {
        const r = await ahead;
        ahead = undefined;
        if (r.done) return;
        ahead = next();
        ahead.catch(() => {}); // seen when awaited; a caller that stops early must not leave it unhandled
        yield r.value;
      }
    } finally {
      if (ahead) await ahead.catch(() => {});
      if (!this.#hung) await it.return?.();
    }
  }

  stat(path: string): Promise<FsStat> { return this.#call(`looking up ${path}`, 0, () => this.inner.stat(path)); }
  readdir(path: string): Promise<FsEntry[]> { return this.#call(`listing ${path}`, 0, () => this.inner.readdir(path)); }
  /** In watched calls of 64 names each (a slow drive's 64 lookups stay well inside the stall allowance), run as the drive's share of the pool allows. */
  async statEntries(dir: string, names: readonly string[]): Promise<(FsStat | null)[]> {
    const inner = this.inner;
    const one = (n: string) => inner.stat(`${dir}/${n}`).catch((e: unknown) => { if (errnoCode(e) === 'ENOENT') return null; throw e; });
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += 64) batches.push(names.slice(i, i + 64));
    const parts = await Promise.all(batches.map((b) => this.#call(`looking up entries of ${dir}`, 0, async () => {
      if (inner.statEntries) return inner.statEntries(dir, b);
      const out: (FsStat | null)[] = [];
      for (const n of b) out.push(await one(n));
      return out;
    })));
    return parts.flat();
  }
  mkdir(path: string): Promise<void> { return this.#call(`creating ${path}`, 0, () => this.inner.mkdir(path)); }
  link(existing: string, newPath: string): Promise<void> { return this.#call(`linking ${newPath}`, 0, () => this.inner.link(existing, newPath)); }
  rename(from: string, to: string): Promise<void> { return this.#call(`renaming ${from}`, 0, () => this.inner.rename(from, to)); }
  remove(path: string): Promise<void> { return this.#call(`removing ${path}`, 0, () => this.inner.remove(path), true); }
  fsyncDir(path: string): Promise<void> { return this.#call(`flushing ${path}`, 0, () => this.inner.fsyncDir(path)); }
  writable(path: string): Promise<boolean> { return this.#call(`checking ${path}`, 0, () => this.inner.writable(path)); }
  setAttributes(path: string, a: FsAttrs): Promise<void> { return this.#call(`setting the time or mode of ${path}`, 0, () => this.inner.setAttributes(path, a)); }
  realpath(path: string): Promise<string> { return this.#call(`looking up ${path}`, 0, () => this.inner.realpath(path)); }
  /** Not a drive call: only helpers with nothing to do are ended (filesystem.ts), so it cannot wait on the drive. */
  async release(): Promise<void> { await this.inner.release?.(); }
}

/** Calls at once per drive: a quarter of libuv's thread pool (at least 2), so one hung drive cannot take all of it. */
function defaultConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(2, Math.floor(pool / 4));
}
