// FaultyFs: a real filesystem that fails on purpose — after N operations, for chosen paths, everything (yanked), or
// that stops answering (hung) until resumed.
import type { AppendHandle, AtomicWriter, Filesystem, FsEntry, FsStat } from './filesystem.ts';

export interface FaultyFsOptions {
  /** Mutating operations allowed before every later one fails with EIO. */
  failWritesAfter?: number;
  /** Fail any operation whose path matches. */
  failPath?: (path: string) => boolean;
  /** Simulates a pulled drive: every operation fails with ENOENT/EIO. */
  yanked?: boolean;
  /** Extra latency per operation, randomised in [0, jitterMs), to reorder concurrent operations. */
  jitterMs?: number;
}

function ioError(code: 'EIO' | 'ENOENT', op: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = path;
  return e;
}

export class FaultyFs implements Filesystem {
  #writes = 0;
  #hung?: { resumed: Promise<void>; resume(): void; match?: (path: string) => boolean };
  /** Operations started since hang() that have not been let through yet. */
  stuck = 0;
  constructor(readonly inner: Filesystem, public options: FaultyFsOptions = {}) {}

  /** Pull the drive now: every later operation fails. */
  yank(): void { this.options.yanked = true; }

  /**
   * The drive stops answering: every later operation (or those on paths that match) waits, neither failing nor
   * finishing, until resume().
   */
  hang(match?: (path: string) => boolean): void {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    this.#hung ??= { resumed, resume, match };
  }
  resume(): void { this.#hung?.resume(); this.#hung = undefined; }

  async #check(op: string, path: string, mutating: boolean): Promise<void> {
    const hung = this.#hung;
    if (hung && (!hung.match || hung.match(path))) { this.stuck++; await hung.resumed; this.stuck--; }
    const o = this.options;
    if (o.jitterMs) await new Promise((r) => setTimeout(r, Math.random() * o.jitterMs!));
    if (o.yanked) throw ioError(op === 'stat' || op === 'readdir' ? 'ENOENT' : 'EIO', op, path);
    if (o.failPath?.(path)) throw ioError('EIO', op, path);
    if (mutating && o.failWritesAfter !== undefined && ++this.#writes > o.failWritesAfter) throw ioError('EIO', op, path);
  }

  async openAppend(path: string): Promise<AppendHandle> {
    await this.#check('open', path, true);
    const h = await this.inner.openAppend(path);
    return {
      append: async (data) => { await this.#check('append', path, false); return h.append(data); },
      sync: async () => { await this.#check('fsync', path, false); return h.sync(); },
      close: () => h.close(),
    };
  }

  async syncFilesystem(path: string): Promise<boolean> { await this.#check('syncfs', path, false); return this.inner.syncFilesystem(path); }

  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    await this.#check('open', target, true);
    const w = await this.inner.createAtomic(target, tmpDir, o);
    return {
      write: async (chunk) => { await this.#check('write', target, false); return w.write(chunk); },
      commit: async () => {
        try { await this.#check('commit', target, false); } catch (e) { await w.abort(); throw e; }
        return w.commit();
      },
      abort: () => w.abort(),
    };
  }

  async readFile(path: string): Promise<Uint8Array> { await this.#check('read', path, false); return this.inner.readFile(path); }
  async *readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    await this.#check('read', path, false);
    for await (const chunk of this.inner.readStream(path, chunkSize)) {
      await this.#check('read', path, false);
      yield chunk;
    }
  }

  async stat(path: string): Promise<FsStat> { await this.#check('stat', path, false); return this.inner.stat(path); }
  async readdir(path: string): Promise<FsEntry[]> { await this.#check('readdir', path, false); return this.inner.readdir(path); }
  async mkdir(path: string): Promise<void> { await this.#check('mkdir', path, true); return this.inner.mkdir(path); }
  async link(existing: string, newPath: string): Promise<void> { await this.#check('link', newPath, true); return this.inner.link(existing, newPath); }
  async rename(from: string, to: string): Promise<void> { await this.#check('rename', from, true); return this.inner.rename(from, to); }
  async remove(path: string): Promise<void> { await this.#check('remove', path, true); return this.inner.remove(path); }
  async fsyncDir(path: string): Promise<void> { await this.#check('fsync', path, false); return this.inner.fsyncDir(path); }
  async writable(path: string): Promise<boolean> { return !this.options.yanked && this.inner.writable(path); }
}
