// The real filesystem, through node:fs/promises, with the fsyncs that make every replacement atomic and durable.
import { constants, type Stats } from 'node:fs';
import { access, chmod, link, lstat, lutimes, mkdir, open, readdir, realpath, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { dirname, join, parse } from 'node:path';
import { giveChunk, POOL_CHUNK, takeChunk } from './chunk-pool.ts';
import { SmallFileWorker, type SmallFileHash } from './small-file-worker.ts';
import { errnoCode, type AppendHandle, type AtomicWriter, type BulkFile, type BulkWritten, type EntryType, type Filesystem, type FsAttrs, type FsEntry, type FsStat } from './filesystem.ts';

function typeOf(s: { isFile(): boolean; isDirectory(): boolean }): EntryType {
  return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
}

/** Opening a symbolic link for reading fails (ELOOP) instead of reading what it points to (invariant 24). */
const READ_NOFOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } catch (e) {
    // Some FUSE filesystems (exfat-fuse) refuse fsync on a folder; the data fsync already happened.
    if (!['EINVAL', 'ENOTSUP', 'EPERM', 'ENOSYS'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

/** exFAT and FAT keep no permission bits: a chmod there is refused or ignored, and the file keeps the drive's. */
const NO_MODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
async function chmodWhereKept(set: () => Promise<void>): Promise<void> {
  try {
    await set();
  } catch (e) {
    if (!NO_MODES.has(errnoCode(e) ?? '')) throw e;
  }
}

/**
 * Milliseconds as the seconds utimes takes: libuv truncates to whole microseconds, and 1620284889.123 is a hair under
 * itself as a double; half a microsecond more makes that a rounding, so a time set is the time read back.
 */
const seconds = (ms: number) => ms / 1000 + 5e-7;

/** Time and mode through an open handle (never a link: it was opened O_NOFOLLOW). */
async function setHandleAttrs(fh: FileHandle, a: FsAttrs): Promise<void> {
  if (a.mode !== undefined) await chmodWhereKept(() => fh.chmod(a.mode!));
  if (a.mtimeMs !== undefined) await fh.utimes(Date.now() / 1000, seconds(a.mtimeMs));
}

const statOf = (s: Stats): FsStat => ({ type: typeOf(s), size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, mode: s.mode & 0o777 });

/** How much of a durable big file is written before its writeback is started (flush ahead, atomicWriter). */
export const FLUSH_AHEAD_BYTES = 8 << 20;

/**
 * The writer of a temp file `tmp` open as `fh`, landing at `target`. One the writer made (createAtomic) is removed when
 * it does not land; one it adopted (adoptAtomic: a host's staged file) is only closed then, and stays the host's.
 */
function atomicWriter(fh: FileHandle, tmp: string, target: string, o: { durable?: boolean } & FsAttrs, k: { adopted: boolean }): AtomicWriter {
  const durable = o.durable !== false;
  let open_ = true;
  let landed: FsStat | undefined;
  // Flush ahead (a durable big file): every FLUSH_AHEAD_BYTES written, an fdatasync starts without being waited for,
  // so the drive writes back while more comes in and the final fdatasync only has the tail left. Its error is kept
  // and thrown by the final one (a failed fsync is reported once per error: it must not be lost in between).
  let sinceFlush = 0;
  let ahead: Promise<void> | undefined;
  let aheadError: unknown;
  const flushAhead = () => {
    sinceFlush = 0;
    ahead = fh.datasync().catch((e: unknown) => { aheadError ??= e; }).finally(() => { ahead = undefined; });
  };
  const closeOnce = async () => { if (open_) { open_ = false; await fh.close(); } };
  // The temp file goes (unless adopted), the target untouched: abort(), and a flush or a commit that failed.
  const discard = async () => {
    await ahead;
    await closeOnce().catch(() => {});
    if (!k.adopted) await unlink(tmp).catch(() => {});
  };
  const flushOnce = async () => {
    if (!open_) return;
    // The source's sub-millisecond part is kept (to the microsecond), so the dates compare equal afterwards.
    await setHandleAttrs(fh, o);
    await ahead;
    if (aheadError !== undefined) throw aheadError;
    // fdatasync: the data and its size are what a read needs; the rename and folder fsync make the name durable.
    if (durable) await fh.datasync();
    landed = statOf(await fh.stat()); // what the rename will put at the target: the same inode, size and time
    await closeOnce();
  };
  return {
    get landed() { return landed; },
    async write(chunk) {
      if (k.adopted) throw new Error(`${tmp} was written by its host: nothing more is written to it here`);
      let off = 0;
      while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
      sinceFlush += chunk.byteLength;
      if (durable && sinceFlush >= FLUSH_AHEAD_BYTES && !ahead) flushAhead();
    },
    async flush() {
      await flushOnce().catch(async (e: unknown) => { await discard(); throw e; });
    },
    async commit() {
      try {
        await flushOnce();
        await rename(tmp, target);
      } catch (e) {
        await discard();
        throw e;
      }
      if (durable) await fsyncDir(dirname(target));
    },
    abort: discard,
  };
}

/**
 * A file this big is read whole by a worker (a manifest: ~100 MB at a million files): fresh memory is slow to touch the
 * first time (~0.25 s per 100 MB after the read on this machine), and the worker pays that while the caller works.
 */
const BIG_READ = 16 << 20;

/**
 * How many workers one drive's durable small writes use at once: as many as the thread pool lets one drive have
 * (watchdog-fs.ts), so writes made at once still fsync at once and the drive groups their journal commits.
 */
const SMALL_WRITERS = 4;

/**
 * The writer of a durable small file (createSmallAtomic): atomicWriter's steps, in its order, each run whole in a
 * worker. Measured on this 2-core machine (a VM), every node:fs call costs the main thread 15-30 µs of handing over to
 * the thread pool and back; a small write's temp file, fsyncs, rename and folder fsync were 12 of them per member, the
 * larger part of a small write's CPU. Here they are two messages: flush() (or the first half of commit()) writes, sets
 * the attributes, fdatasyncs, stats and closes the temp file; commit() renames it and fsyncs the folder. The bytes
 * are kept (a copy: the caller may reuse its buffer) until flush; `within`: folders are checked for links by the worker,
 * right before each is used (ConfinedFs's rule).
 */
function smallWriter(worker: () => SmallFileWorker, target: string, tmpDir: string, o: { durable?: boolean } & FsAttrs, within?: string): AtomicWriter {
  const durable = o.durable !== false;
  const parts: Uint8Array[] = [];
  let tmp: string | undefined;
  let landed: FsStat | undefined;
  let done = false;
  const prepare = async () => {
    if (tmp !== undefined) return;
    if (done) throw new Error(`the temporary file of ${target} was already removed`);
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const r = await worker().step('prepare', { target, tmpDir, data, durable, within, mtimeMs: o.mtimeMs, mode: o.mode }).catch((e: unknown) => { done = true; throw e; });
    tmp = r.tmp;
    landed = r.stat ?? undefined;
    parts.length = 0;
  };
  return {
    get landed() { return landed; },
    async write(chunk) {
      if (tmp !== undefined || done) throw new Error(`${target}: nothing more is written after a flush`);
      parts.push(new Uint8Array(chunk));
    },
    flush: prepare,
    async commit() {
      await prepare();
      done = true;
      const t = tmp!;
      tmp = undefined;
      await worker().step('land', { tmp: t, target, durable, within });
    },
    async abort() {
      done = true;
      parts.length = 0;
      const t = tmp;
      tmp = undefined;
      if (t !== undefined) await worker().step('drop', { tmp: t }).catch(() => {});
    },
  };
}

/**
 * How much a preallocated log grows by: the data and zeros up to the next multiple of this, in one durable write. The
 * growth is the only append that changes the file's size: one journal commit per 64 KiB of records (~600 writes'
 * marks and clears), and little of a small drive taken.
 */
export const APPEND_PREALLOC_BYTES = 64 << 10;

/**
 * A durable log that overwrites zeros it wrote ahead of itself (see Filesystem.openAppend's `end`). Measured on ext4
 * (loop, 2 vCPU): an O_DSYNC append that grows the file 1.3 ms, an O_DSYNC overwrite of written zeros 0.57 ms; beside
 * a write's own temp-file fdatasync the growing append waited for a second journal commit (5 ms under load).
 */
async function preallocatedAppends(path: string, end: number): Promise<AppendHandle> {
  const { O_RDWR, O_CREAT, O_DSYNC } = constants;
  const fh = await open(path, O_RDWR | O_CREAT | O_DSYNC, 0o666);
  let size: number, at: number;
  try {
    size = (await fh.stat()).size;
    at = Math.min(end, size);
  } catch (e) {
    await fh.close();
    throw e;
  }
  const writeAt = async (data: Uint8Array, pos: number) => {
    for (let off = 0; off < data.byteLength;) off += (await fh.write(data, off, data.byteLength - off, pos + off)).bytesWritten;
  };
  return {
    durable: true,
    preallocated: true,
    async append(data) {
      if (at + data.byteLength <= size) {
        await writeAt(data, at);
      } else {
        const grown = (Math.floor((at + data.byteLength) / APPEND_PREALLOC_BYTES) + 1) * APPEND_PREALLOC_BYTES;
        const run = Buffer.alloc(grown - at);
        run.set(data);
        try {
          await writeAt(run, at);
          size = grown;
        } catch (e) {
          // A drive too full for the zeros may still hold the record: written alone, as a plain append would be.
          if (errnoCode(e) !== 'ENOSPC') throw e;
          await writeAt(data, at);
          size = Math.max(size, at + data.byteLength);
        }
      }
      at += data.byteLength;
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}

export class NodeFs implements Filesystem {
  constructor() {
    // A subclass that changes how files are written or looked at (a test's slowed or counting drive) is not bypassed:
    // without these two, callers take createAtomic and stat, its own.
    const self = this as { createSmallAtomic?: unknown; statWithin?: unknown };
    if (this.createAtomic !== NodeFs.prototype.createAtomic) self.createSmallAtomic = undefined;
    if (this.stat !== NodeFs.prototype.stat) self.statWithin = undefined;
  }

  async openAppend(path: string, o: { durable?: boolean; end?: number } = {}): Promise<AppendHandle> {
    const { O_WRONLY, O_CREAT, O_APPEND, O_DSYNC } = constants;
    const durable = o.durable === true && O_DSYNC !== undefined;
    if (durable && o.end !== undefined) return preallocatedAppends(path, o.end);
    const fh = await open(path, O_WRONLY | O_CREAT | O_APPEND | (durable ? O_DSYNC : 0), 0o666);
    return {
      durable,
      async append(data) {
        let off = 0;
        while (off < data.byteLength) off += (await fh.write(data, off, data.byteLength - off)).bytesWritten;
      },
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  }

  async syncFilesystem(path: string): Promise<boolean> {
    if (process.platform !== 'linux') return false;
    // coreutils `sync -f` is syncfs(2): one call makes a whole bulk copy durable.
    return new Promise((resolve) => execFile('sync', ['-f', path], (err) => resolve(!err)));
  }

  async createAtomic(target: string, tmpDir: string, o: { durable?: boolean } & FsAttrs = {}): Promise<AtomicWriter> {
    const tmp = join(tmpDir, `${parse(target).base.slice(0, 40)}.${randomBytes(6).toString('hex')}.tmp`);
    return atomicWriter(await open(tmp, 'wx'), tmp, target, o, { adopted: false });
  }

  /** Workers for durable small writes: a few, so the fsyncs of writes made at once still overlap. */
  readonly #writers: SmallFileWorker[] = [];
  createSmallAtomic(target: string, tmpDir: string, o: { durable?: boolean } & FsAttrs = {}, within?: string): AtomicWriter {
    return smallWriter(() => this.#idleWriter(), target, tmpDir, o, within);
  }

  /** stat() of `path` with its folders below `within` checked for links, in one worker call (ConfinedFs.stat). */
  async statWithin(path: string, within: string): Promise<FsStat> {
    // A worker of its own: a lookup never waits in line behind a small write's fsync.
    return (await (this.#looker ??= new SmallFileWorker()).step('stat', { path, within })).stat!;
  }
  #looker?: SmallFileWorker;

  async release(): Promise<void> {
    await Promise.all([...this.#writers, this.#looker, this.#small].map((w) => w?.closeIfIdle()));
  }

  /** Each step goes to a worker with nothing to do (a new one, up to SMALL_WRITERS), else to the least busy. */
  #idleWriter(): SmallFileWorker {
    let w = this.#writers.find((x) => x.pending === 0);
    if (!w && this.#writers.length < SMALL_WRITERS) this.#writers.push(w = new SmallFileWorker());
    return w ?? this.#writers.reduce((a, b) => (b.pending < a.pending ? b : a));
  }

  async adoptAtomic(tmp: string, target: string, o: FsAttrs = {}): Promise<AtomicWriter> {
    const fh = await open(tmp, constants.O_RDWR | (constants.O_NOFOLLOW ?? 0));
    try {
      if (!(await fh.stat()).isFile()) throw Object.assign(new Error(`${tmp} is not a file`), { code: 'EINVAL' });
    } catch (e) {
      await fh.close();
      throw e;
    }
    return atomicWriter(fh, tmp, target, o, { adopted: true });
  }

  async readFile(path: string): Promise<Uint8Array> {
    const fh = await open(path, READ_NOFOLLOW);
    try {
      if ((await fh.stat()).size >= BIG_READ) {
        const w = new SmallFileWorker(); // its own, let go at once: a worker holds ~10 MB, and this is a rare call
        try { return await w.readWhole(fh.fd, path); } finally { await w.close(); }
      }
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async *readStream(path: string, chunkSize = 1 << 20): AsyncIterable<Uint8Array> {
    const fh = await open(path, READ_NOFOLLOW);
    try {
      // Small files get small buffers: a resync of 20,000 files should not zero-fill 20 GB.
      const size = Math.max(1, Math.min(chunkSize, (await fh.stat()).size + 1));
      chunkSize = size;
      for (;;) {
        // Not zero-filled (a 1 GiB read would zero 1 GiB for nothing), and full-size chunks come from the pool
        // (chunk-pool.ts): a short read's unused tail is cleared, so no earlier file's bytes are ever handed on.
        const buf = chunkSize === POOL_CHUNK ? takeChunk() : Buffer.allocUnsafeSlow(chunkSize);
        const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
        if (bytesRead === 0) { giveChunk(buf); return; } // nobody else has seen it
        yield bytesRead === chunkSize ? buf : buf.fill(0, bytesRead).subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  async stat(path: string): Promise<FsStat> {
    return statOf(await lstat(path));
  }

  /** This drive's worker for many small files at once (small-file-worker.ts). */
  #small?: SmallFileWorker;
  hashSmallFiles(paths: readonly string[], maxBytes: number, within?: string): Promise<SmallFileHash[]> {
    return (this.#small ??= new SmallFileWorker()).hash(paths, maxBytes, { within });
  }
  readSmallFiles(paths: readonly string[], maxBytes: number, within?: string): Promise<SmallFileHash[]> {
    return (this.#small ??= new SmallFileWorker()).hash(paths, maxBytes, { withData: true, within });
  }
  writeFileBulk(target: string, tmpDir: string, data: Uint8Array, attrs: FsAttrs, within?: string): Promise<FsStat> {
    return (this.#small ??= new SmallFileWorker()).write(target, tmpDir, data, attrs, within);
  }
  writeFilesBulk(files: readonly BulkFile[], tmpDir: string, within?: string): Promise<BulkWritten[]> {
    return (this.#small ??= new SmallFileWorker()).writeMany(files, tmpDir, within);
  }

  /** statEntries() in one worker call whatever the count, the folders below `within` checked there once (ConfinedFs). */
  statEntriesWithin(dir: string, names: readonly string[], within: string): Promise<(FsStat | null)[]> {
    return this.#statInWorker(dir, names, within);
  }

  async statEntries(dir: string, names: readonly string[]): Promise<(FsStat | null)[]> {
    // A big folder in one worker call (a photo folder of 2,000 names was 2,000 thread-pool round trips); a small one
    // is not worth the message, nor waking the worker.
    if (names.length >= 32) return this.#statInWorker(dir, names);
    const out: (FsStat | null)[] = [];
    for (const name of names) {
      try {
        out.push(await this.stat(join(dir, name)));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
        out.push(null);
      }
    }
    return out;
  }

  /** readdir() with the folders below `within` checked for links, in one call of the lookups' worker (ConfinedFs). */
  async readdirWithin(path: string, within: string): Promise<FsEntry[]> {
    return (await (this.#looker ??= new SmallFileWorker()).step('list', { path, within })).entries!;
  }

  async #statInWorker(dir: string, names: readonly string[], within?: string): Promise<(FsStat | null)[]> {
    const got = await (this.#small ??= new SmallFileWorker()).statMany(names.map((n) => join(dir, n)), within);
    return got.map((r, i) => {
      if (r.code) throw Object.assign(new Error(`${r.code}: cannot look at ${join(dir, names[i]!)}`), { code: r.code, link: (r as { link?: string }).link });
      return r.stat;
    });
  }

  async readdir(path: string): Promise<FsEntry[]> {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((d) => ({ name: d.name, type: typeOf(d) }));
  }

  async mkdir(path: string): Promise<void> {
    const first = await mkdir(path, { recursive: true });
    if (first === undefined) return;
    // Make each new folder durable in its parent, from the top of what was created down.
    for (let p = path; ; p = dirname(p)) {
      await fsyncDir(dirname(p));
      if (p === first || dirname(p) === p) break;
    }
  }

  async link(existing: string, newPath: string): Promise<void> {
    await link(existing, newPath);
    await fsyncDir(dirname(newPath));
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(from, to);
    await fsyncDir(dirname(to));
    if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true });
    await fsyncDir(dirname(path));
  }

  async fsyncDir(path: string): Promise<void> {
    await fsyncDir(path);
  }

  async setAttributes(path: string, a: FsAttrs): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(path, READ_NOFOLLOW);
    } catch (e) {
      // Not readable by us (or a link): set without the handle, never through a link, and without the fsync.
      if (errnoCode(e) !== 'EACCES') throw e;
      if ((await lstat(path)).isSymbolicLink()) throw Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' });
      if (a.mode !== undefined) await chmodWhereKept(() => chmod(path, a.mode!));
      if (a.mtimeMs !== undefined) await lutimes(path, Date.now() / 1000, seconds(a.mtimeMs));
      return;
    }
    try {
      await setHandleAttrs(fh, a);
      // A folder on some FUSE filesystems (exfat-fuse) refuses fsync, as in fsyncDir.
      await fh.sync().catch((e) => { if (!['EINVAL', 'ENOTSUP', 'EPERM', 'ENOSYS'].includes(errnoCode(e) ?? '')) throw e; });
    } finally {
      await fh.close();
    }
  }

  realpath(path: string): Promise<string> {
    return realpath(path);
  }

  async writable(path: string): Promise<boolean> {
    try {
      await access(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}
