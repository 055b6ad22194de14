// FoldingFs: a real folder that compares names as exFAT, NTFS and APFS do — ignoring case and Unicode form — while
// keeping each name as it was first written (case-preserving). For tests: a case-insensitive member on any machine,
// without a loop device (cf. Syncthing's fakefs "insens"). Below `root` only; other paths pass straight through.
import { basename, dirname, join, sep } from 'node:path';
import { errnoCode, type AppendHandle, type AtomicWriter, type Filesystem, type FsAttrs, type FsEntry, type FsStat } from '../../../core/fs/filesystem.ts';

const fold = (name: string) => name.normalize('NFC').toLowerCase();

export class FoldingFs implements Filesystem {
  constructor(readonly inner: Filesystem, readonly root: string) {}

  /** The stored spelling of `path`: each name that matches an existing entry when folded takes that entry's name. */
  async #resolve(path: string): Promise<string> {
    if (!path.startsWith(this.root + sep)) return path;
    let at = this.root;
    for (const name of path.slice(this.root.length + 1).split(sep)) {
      let entries: FsEntry[];
      try {
        entries = await this.inner.readdir(at);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
        entries = [];
      }
      const key = fold(name);
      const hit = entries.find((e) => e.name === name) ?? entries.find((e) => fold(e.name) === key);
      at = join(at, hit ? hit.name : name);
    }
    return at;
  }

  async openAppend(path: string): Promise<AppendHandle> { return this.inner.openAppend(await this.#resolve(path)); }
  syncFilesystem(path: string): Promise<boolean> { return this.inner.syncFilesystem(path); }
  /**
   * The name is looked up when the file lands, as a case-insensitive filesystem does at rename(2): "d0/A" written
   * while "d0/a" existed, and landing after "d0/a" was renamed away, is "A" (long run seed 20261201 met a FoldingFs
   * that resolved it when the temp file was opened, and kept the old spelling).
   */
  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    const opened = await this.#resolve(target);
    const w = await this.inner.createAtomic(opened, await this.#resolve(tmpDir), o);
    return {
      write: (chunk) => w.write(chunk),
      ...(w.flush ? { flush: () => w.flush!() } : {}),
      commit: async () => {
        const now = await this.#resolve(target);
        await w.commit();
        if (now !== opened) await this.inner.rename(opened, now); // the spelling it has at landing, not at opening
      },
      abort: () => w.abort(),
      get landed() { return w.landed; },
    };
  }
  async readFile(path: string): Promise<Uint8Array> { return this.inner.readFile(await this.#resolve(path)); }
  async *readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    yield* this.inner.readStream(await this.#resolve(path), chunkSize);
  }
  async stat(path: string): Promise<FsStat> { return this.inner.stat(await this.#resolve(path)); }
  async readdir(path: string): Promise<FsEntry[]> { return this.inner.readdir(await this.#resolve(path)); }
  async mkdir(path: string): Promise<void> { return this.inner.mkdir(await this.#resolve(path)); }
  async link(existing: string, newPath: string): Promise<void> {
    return this.inner.link(await this.#resolve(existing), await this.#resolve(newPath));
  }
  async rename(from: string, to: string): Promise<void> {
    const src = await this.#resolve(from);
    const dst = await this.#resolve(to);
    if (src === dst && from !== to) {
      // The same entry under another case or form: a rename that changes only the spelling, as exFAT allows.
      return this.inner.rename(src, join(dirname(src), basename(to)));
    }
    return this.inner.rename(src, dst);
  }
  async remove(path: string): Promise<void> { return this.inner.remove(await this.#resolve(path)); }
  async fsyncDir(path: string): Promise<void> { return this.inner.fsyncDir(await this.#resolve(path)); }
  async writable(path: string): Promise<boolean> { return this.inner.writable(await this.#resolve(path)); }
  async setAttributes(path: string, a: FsAttrs): Promise<void> { return this.inner.setAttributes(await this.#resolve(path), a); }
  /** Links resolved, but the spelling asked for kept: a folder matched by case is not a link. */
  async realpath(path: string): Promise<string> {
    const stored = await this.#resolve(path);
    const real = await this.inner.realpath(stored);
    return real === stored ? path : real;
  }
}
