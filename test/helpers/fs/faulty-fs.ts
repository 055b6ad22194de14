// FaultyFs: a real filesystem that fails on purpose — after N operations, for chosen paths, everything (yanked), full
// after N bytes, or that stops answering (hung) until resumed — and that says when every call sent to it has returned.
import type { AppendHandle, AtomicWriter, Filesystem, FsAttrs, FsEntry, FsStat } from '../../../core/fs/filesystem.ts';

export interface FaultyFsOptions {
  /** Mutating operations allowed before every later one fails with EIO. */
  failWritesAfter?: number;
  /** Fail any operation whose path matches. */
  failPath?: (path: string, op: string) => boolean;
  /** Simulates a pulled drive: every operation fails with ENOENT/EIO. */
  yanked?: boolean;
  /** Extra latency per operation, randomised in [0, jitterMs), to reorder concurrent operations. */
  jitterMs?: number;
  /** Simulates a small drive: once this many bytes of file data were written, writes fail with ENOSPC. */
  fullAfterBytes?: number;
  /**
   * Offers the batch calls of the filesystem below (readSmallFiles, hashSmallFiles, writeFilesBulk), each path checked
   * as its own call would be ('read', 'stat', 'open'), so a catch-up copies small files in bulk as on a real drive.
   * Fixed at construction; off by default (the tests that hold one path's 'open' expect the copy one file at a time).
   */
  bulk?: boolean;
}

function ioError(code: 'EIO' | 'ENOENT' | 'ENOSPC', op: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = path;
  return e;
}

type Match = (path: string, op: string) => boolean;

export class FaultyFs implements Filesystem {
  #writes = 0;
  #hung?: { resumed: Promise<void>; resume(): void; match?: Match; held(): void };
  /** Operations started since hang() that have not been let through yet. */
  stuck = 0;
  /** File data written through this drive, for fullAfterBytes. */
  written = 0;
  #inflight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly readSmallFiles?: Filesystem['readSmallFiles'];
  readonly hashSmallFiles?: Filesystem['hashSmallFiles'];
  readonly writeFilesBulk?: Filesystem['writeFilesBulk'];

  constructor(readonly inner: Filesystem, public options: FaultyFsOptions = {}) {
    if (!options.bulk) return;
    const { readSmallFiles, hashSmallFiles, writeFilesBulk } = inner;
    if (readSmallFiles) this.readSmallFiles = (paths, max, within) => this.#each('read', paths, false, () => readSmallFiles.call(inner, paths, max, within));
    if (hashSmallFiles) this.hashSmallFiles = (paths, max, within) => this.#each(max < 0 ? 'stat' : 'read', paths, false, () => hashSmallFiles.call(inner, paths, max, within));
    if (writeFilesBulk) {
      this.writeFilesBulk = (files, tmpDir, within) => this.#each('open', files.map((f) => f.target), true, () => {
        const bytes = files.reduce((n, f) => n + f.data.byteLength, 0);
        const full = this.options.fullAfterBytes;
        if (full !== undefined && this.written + bytes > full) throw ioError('ENOSPC', 'write', files[0]!.target);
        this.written += bytes;
        return writeFilesBulk.call(inner, files, tmpDir, within);
      });
    }
  }

  /** One batch call, each of its paths checked (hang, jitter, failure) as a call of its own would be, at once. */
  #each<T>(op: string, paths: readonly string[], mutating: boolean, run: () => Promise<T>): Promise<T> {
    return this.#op(op, paths[0] ?? '', mutating, async () => {
      await Promise.all(paths.slice(1).map((p) => this.#check(op, p, mutating)));
      return run();
    });
  }

  /** Pull the drive now: every later operation fails. */
  yank(): void { this.options.yanked = true; }

  /**
   * The drive stops answering: every later operation (or those that match: path and operation name, e.g. 'commit',
   * 'rename', 'open') waits, neither failing nor finishing, until resume(). Resolves once the first operation is held
   * (a test forcing an overlap starts its second party then); never, if the drive hung already.
   */
  hang(match?: Match): Promise<void> {
    let resume!: () => void, held!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    const holding = new Promise<void>((r) => (held = r));
    this.#hung ??= { resumed, resume, match, held };
    return holding;
  }
  resume(): void { this.#hung?.resume(); this.#hung = undefined; }

  /** Resolves once no call sent to this drive is still running (a test's way to know a late write has landed). */
  idle(): Promise<void> {
    return this.#inflight === 0 ? Promise.resolve() : new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Runs one call, counted in flight from its first check until the real filesystem has answered. */
  async #op<T>(op: string, path: string, mutating: boolean, run: () => Promise<T>): Promise<T> {
    this.#inflight++;
    try {
      await this.#check(op, path, mutating);
      return await run();
    } finally {
      if (--this.#inflight === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  async #check(op: string, path: string, mutating: boolean): Promise<void> {
    const hung = this.#hung;
    if (hung && (!hung.match || hung.match(path, op))) { this.stuck++; hung.held(); await hung.resumed; this.stuck--; }
    const o = this.options;
    // Jitter reorders what reaches the drive; a path check (realpath) is not an operation on it.
    if (o.jitterMs && op !== 'realpath') await new Promise((r) => setTimeout(r, Math.random() * o.jitterMs!));
    if (o.yanked) throw ioError(op === 'stat' || op === 'readdir' || op === 'realpath' ? 'ENOENT' : 'EIO', op, path);
    if (o.failPath?.(path, op)) throw ioError('EIO', op, path);
    if (mutating && o.failWritesAfter !== undefined && ++this.#writes > o.failWritesAfter) throw ioError('EIO', op, path);
  }

  async openAppend(path: string): Promise<AppendHandle> {
    const h = await this.#op('open', path, true, () => this.inner.openAppend(path));
    return {
      append: (data) => this.#op('append', path, false, () => h.append(data)),
      sync: () => this.#op('fsync', path, false, () => h.sync()),
      close: () => h.close(),
    };
  }

  syncFilesystem(path: string): Promise<boolean> { return this.#op('syncfs', path, false, () => this.inner.syncFilesystem(path)); }

  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    const w = await this.#op('open', target, true, () => this.inner.createAtomic(target, tmpDir, o));
    return {
      write: (chunk) => this.#op('write', target, false, async () => {
        const full = this.options.fullAfterBytes;
        if (full !== undefined && this.written + chunk.byteLength > full) throw ioError('ENOSPC', 'write', target);
        this.written += chunk.byteLength;
        return w.write(chunk);
      }),
      // A temp file flushed ahead of its commit (mirror/prepared-write.ts): 'flush' names that step.
      ...(w.flush ? { flush: () => this.#op('flush', target, false, () => w.flush!()) } : {}),
      commit: async () => {
        try { await this.#op('commit', target, false, async () => {}); } catch (e) { await w.abort(); throw e; }
        return this.#op('committing', target, false, () => w.commit());
      },
      abort: () => w.abort(),
    };
  }

  /** A staged file landed without a copy (NodeFs.adoptAtomic): the same named steps as createAtomic's. */
  async adoptAtomic(tmp: string, target: string, o?: FsAttrs): Promise<AtomicWriter> {
    const w = await this.#op('open', target, true, () => this.inner.adoptAtomic!(tmp, target, o));
    return {
      write: (chunk) => w.write(chunk),
      ...(w.flush ? { flush: () => this.#op('flush', target, false, () => w.flush!()) } : {}),
      commit: async () => {
        try { await this.#op('commit', target, false, async () => {}); } catch (e) { await w.abort(); throw e; }
        return this.#op('committing', target, false, () => w.commit());
      },
      abort: () => w.abort(),
      get landed() { return w.landed; },
    };
  }

  readFile(path: string): Promise<Uint8Array> { return this.#op('read', path, false, () => this.inner.readFile(path)); }
  async *readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    await this.#op('read', path, false, async () => {});
    for await (const chunk of this.inner.readStream(path, chunkSize)) {
      await this.#op('read', path, false, async () => {});
      yield chunk;
    }
  }

  stat(path: string): Promise<FsStat> { return this.#op('stat', path, false, () => this.inner.stat(path)); }
  readdir(path: string): Promise<FsEntry[]> { return this.#op('readdir', path, false, () => this.inner.readdir(path)); }
  mkdir(path: string): Promise<void> { return this.#op('mkdir', path, true, () => this.inner.mkdir(path)); }
  link(existing: string, newPath: string): Promise<void> { return this.#op('link', newPath, true, () => this.inner.link(existing, newPath)); }
  rename(from: string, to: string): Promise<void> { return this.#op('rename', from, true, () => this.inner.rename(from, to)); }
  remove(path: string): Promise<void> { return this.#op('remove', path, true, () => this.inner.remove(path)); }
  fsyncDir(path: string): Promise<void> { return this.#op('fsync', path, false, () => this.inner.fsyncDir(path)); }
  async writable(path: string): Promise<boolean> { return !this.options.yanked && this.inner.writable(path); }
  setAttributes(path: string, a: FsAttrs): Promise<void> { return this.#op('attrs', path, true, () => this.inner.setAttributes(path, a)); }
  realpath(path: string): Promise<string> { return this.#op('realpath', path, false, () => this.inner.realpath(path)); }
}
