// SlowFs: a real filesystem behind one slow device queue — latency per operation and a bandwidth cap (a USB disk).
import type { AppendHandle, AtomicWriter, Filesystem, FsAttrs, FsEntry, FsStat } from './filesystem.ts';

export interface SlowFsOptions { latencyMs?: number; bytesPerSecond?: number }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SlowFs implements Filesystem {
  /** One operation at a time, in arrival order, as a single spindle or USB bridge serves them. */
  #queue: Promise<void> = Promise.resolve();
  readonly #latencyMs: number;
  readonly #bytesPerSecond: number;

  constructor(readonly inner: Filesystem, o: SlowFsOptions) {
    this.#latencyMs = Math.max(0, o.latencyMs ?? 0);
    this.#bytesPerSecond = o.bytesPerSecond && o.bytesPerSecond > 0 ? o.bytesPerSecond : Infinity;
  }

  #device<T>(bytes: number, withLatency: boolean, op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const delay = (withLatency ? this.#latencyMs : 0) + (bytes / this.#bytesPerSecond) * 1000;
      if (delay > 0) await sleep(delay);
      return op();
    });
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  async openAppend(path: string, o?: { durable?: boolean; end?: number }): Promise<AppendHandle> {
    const h = await this.inner.openAppend(path, o);
    return {
      ...(h.durable ? { durable: true } : {}),
      ...(h.preallocated ? { preallocated: true } : {}),
      // A durable append is the flush too: the drive's per-flush latency is paid there.
      append: (data) => this.#device(data.byteLength, h.durable === true, () => h.append(data)),
      sync: () => this.#device(0, true, () => h.sync()),
      close: () => h.close(),
    };
  }

  syncFilesystem(path: string): Promise<boolean> { return this.#device(0, true, () => this.inner.syncFilesystem(path)); }

  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    const w = await this.inner.createAtomic(target, tmpDir, o);
    return {
      write: (chunk) => this.#device(chunk.byteLength, false, () => w.write(chunk)),
      // The per-operation latency is paid once per file, where the drive makes it durable.
      commit: () => this.#device(0, true, () => w.commit()),
      abort: () => w.abort(),
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#device(0, true, async () => {
      const data = await this.inner.readFile(path);
      if (this.#bytesPerSecond !== Infinity) await sleep((data.byteLength / this.#bytesPerSecond) * 1000);
      return data;
    });
  }

  async *readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    await this.#device(0, true, async () => {});
    for await (const chunk of this.inner.readStream(path, chunkSize)) {
      yield await this.#device(chunk.byteLength, false, async () => chunk);
    }
  }

  stat(path: string): Promise<FsStat> { return this.inner.stat(path); }
  readdir(path: string): Promise<FsEntry[]> { return this.inner.readdir(path); }
  mkdir(path: string): Promise<void> { return this.#device(0, true, () => this.inner.mkdir(path)); }
  link(existing: string, newPath: string): Promise<void> { return this.#device(0, true, () => this.inner.link(existing, newPath)); }
  rename(from: string, to: string): Promise<void> { return this.#device(0, true, () => this.inner.rename(from, to)); }
  remove(path: string): Promise<void> { return this.#device(0, true, () => this.inner.remove(path)); }
  fsyncDir(path: string): Promise<void> { return this.inner.fsyncDir(path); }
  writable(path: string): Promise<boolean> { return this.inner.writable(path); }
  setAttributes(path: string, a: FsAttrs): Promise<void> { return this.#device(0, true, () => this.inner.setAttributes(path, a)); }
  realpath(path: string): Promise<string> { return this.inner.realpath(path); }
  async release(): Promise<void> { await this.inner.release?.(); }
}
