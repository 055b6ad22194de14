// ConfinedFs: a member's filesystem that never follows a symbolic link inside the member folder (invariant 24).
//
// Anyone who can write to a drive can plant `photos -> /etc` in a member folder. Followed, a read, a listing, a write or
// a remove through it would act on files outside the mirror, and through `serve` or a share any client could make it
// do so. Here every call on a path under the member's root first checks that no folder on the way is a link (one
// realpath of the folder, which must come back unchanged), and the last name is never followed: stat is lstat, files
// are opened with O_NOFOLLOW (node-fs.ts), a listing shows a link as 'other', and rename and remove act on the link
// itself. A path through a link fails with code ESYMLINK; the engine turns that into a clear refusal and leaves the link
// alone. (A link swapped in between the check and the call is a race this does not close; openat2's RESOLVE_NO_SYMLINKS
// would, but Node has no binding for it.)
import { dirname, relative, sep } from 'node:path';
import { errnoCode, type AppendHandle, type AtomicWriter, type Filesystem, type FsAttrs, type FsEntry, type FsStat } from './filesystem.ts';

/** The error a path through a symbolic link gets. */
export class ThroughLink extends Error {
  readonly code = 'ESYMLINK';
  constructor(readonly path: string, readonly link: string) {
    super(`"${link}" is a symbolic link (or other special entry) inside the member folder; NAS Mirror never follows links, so "${path}" cannot be used. The link was left untouched`);
  }
}

export class ConfinedFs implements Filesystem {
  /** The batch calls: present when the filesystem below has them (a slowed or faulty test wrapper may not). */
  readonly hashSmallFiles?: Filesystem['hashSmallFiles'];
  readonly readSmallFiles?: Filesystem['readSmallFiles'];
  readonly writeFileBulk?: Filesystem['writeFileBulk'];
  readonly writeFilesBulk?: Filesystem['writeFilesBulk'];
  readonly adoptAtomic?: Filesystem['adoptAtomic'];
  readonly createSmallAtomic?: Filesystem['createSmallAtomic'];

  constructor(readonly inner: Filesystem, readonly root: string) {
    const { hashSmallFiles, readSmallFiles, writeFileBulk, writeFilesBulk, adoptAtomic, createSmallAtomic } = inner;
    if (createSmallAtomic) {
      // The writer's worker checks each folder right before it uses it (the temp folder when the file is written, the
      // target's when it is renamed there): no realpath round trips on a small write's acknowledgement path.
      this.createSmallAtomic = (target, tmpDir, o) => {
        const w = createSmallAtomic.call(inner, target, tmpDir, o, root);
        const linked = (e: unknown) => this.#linked(target, e);
        return {
          write: (chunk) => w.write(chunk),
          flush: () => w.flush!().catch(linked),
          commit: () => w.commit().catch(linked),
          abort: () => w.abort(),
          get landed() { return w.landed; },
        };
      };
    }
    if (adoptAtomic) {
      this.adoptAtomic = async (tmp, target, attrs) => {
        // Both folders checked, as createAtomic checks its own: the staged file is opened without following a link.
        await Promise.all([this.#parent(target), this.#parent(tmp)]);
        return adoptAtomic.call(inner, tmp, target, attrs);
      };
    }
    // The link check is made by the call itself, right before each path is touched (small-file-worker.ts): one call
    // per batch instead of a realpath per folder first, and no gap between the check and the use.
    if (hashSmallFiles) this.hashSmallFiles = (paths, maxBytes) => hashSmallFiles.call(inner, paths, maxBytes, root);
    if (readSmallFiles) this.readSmallFiles = (paths, maxBytes) => readSmallFiles.call(inner, paths, maxBytes, root);
    if (writeFileBulk) {
      this.writeFileBulk = (target, tmpDir, data, attrs) => writeFileBulk.call(inner, target, tmpDir, data, attrs, root).catch((e: unknown) => this.#linked(target, e));
    }
    // Each file answers for itself there (code ESYMLINK with the `link` it met): nothing to map.
    if (writeFilesBulk) this.writeFilesBulk = (files, tmpDir) => writeFilesBulk.call(inner, files, tmpDir, root);
  }

  #rel(p: string): string { return relative(this.root, p).split(sep).join('/'); }

  /** A batch or worker call's ESYMLINK (with the `link` it met) as the ThroughLink this class throws. */
  #linked(path: string, e: unknown): never {
    if (errnoCode(e) !== 'ESYMLINK') throw e;
    throw new ThroughLink(this.#rel(path), this.#rel((e as { link?: string }).link ?? dirname(path)));
  }
  #inside(p: string): boolean { return p.startsWith(this.root + sep); }

  /** Throws ThroughLink if a folder from the root down to `dir` is a link; a missing part is looked at from above. */
  async #checkDir(dir: string, target: string): Promise<void> {
    if (dir === this.root || !this.#inside(dir)) return;
    let real: string;
    try {
      real = await this.inner.realpath(dir);
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      // Missing (or a dangling link): nothing below it exists to be followed into; look at what does exist above it.
      await this.#checkDir(dirname(dir), target);
      const s = await this.inner.stat(dir).catch(() => null);
      if (s?.type === 'other') throw new ThroughLink(this.#rel(target), this.#rel(dir));
      return; // missing, or a file in the way: the call itself fails with ENOENT/ENOTDIR, following nothing
    }
    if (real !== dir) throw new ThroughLink(this.#rel(target), this.#rel(await this.#firstLink(dir)));
  }

  /** The first folder on the way from the root to `dir` that is not a plain folder (for the message). */
  async #firstLink(dir: string): Promise<string> {
    const parts = this.#rel(dir).split('/');
    let p = this.root;
    for (const name of parts) {
      p = `${p}${sep}${name}`;
      const s = await this.inner.stat(p).catch(() => null);
      if (!s || s.type !== 'dir') return p;
    }
    return dir;
  }

  /** The folder holding `p` must be reached without a link. */
  #parent(p: string): Promise<void> { return this.#checkDir(dirname(p), p); }

  async openAppend(path: string, o?: { durable?: boolean; end?: number }): Promise<AppendHandle> { await this.#parent(path); return this.inner.openAppend(path, o); }
  syncFilesystem(path: string): Promise<boolean> { return this.inner.syncFilesystem(path); }
  async createAtomic(target: string, tmpDir: string, o?: { durable?: boolean }): Promise<AtomicWriter> {
    // The temp file's folder (ours) is checked on every write too: a link swapped in later must not be followed.
    await Promise.all([this.#parent(target), this.#checkDir(tmpDir, tmpDir)]);
    return this.inner.createAtomic(target, tmpDir, o);
  }
  async readFile(path: string): Promise<Uint8Array> { await this.#parent(path); return this.inner.readFile(path); }
  async *readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    await this.#parent(path);
    yield* this.inner.readStream(path, chunkSize);
  }
  async stat(path: string): Promise<FsStat> {
    // One call where the drive can check and look at once (NodeFs's worker), the same rule.
    if (this.inner.statWithin && this.#inside(dirname(path))) return this.inner.statWithin(path, this.root).catch((e: unknown) => this.#linked(path, e));
    await this.#parent(path);
    return this.inner.stat(path);
  }
  async readdir(path: string): Promise<FsEntry[]> {
    // Checked by the drive's worker in the same call where it can (NodeFs), else here first.
    if (this.inner.readdirWithin && (path === this.root || this.#inside(path))) return this.inner.readdirWithin(path, this.root).catch((e: unknown) => this.#linked(path, e));
    await this.#checkDir(path, path);
    return this.inner.readdir(path);
  }
  /** The folder is checked once; each name is looked at with lstat (never followed), as stat() does. */
  async statEntries(dir: string, names: readonly string[]): Promise<(FsStat | null)[]> {
    // The folder checked by the drive's worker in the same call where it can (NodeFs), else here first.
    if (this.inner.statEntriesWithin && names.length > 0 && (dir === this.root || this.#inside(dir))) {
      return this.inner.statEntriesWithin(dir, names, this.root).catch((e: unknown) => this.#linked(dir, e));
    }
    await this.#checkDir(dir, dir);
    if (this.inner.statEntries) return this.inner.statEntries(dir, names);
    const out: (FsStat | null)[] = [];
    for (const name of names) out.push(await this.inner.stat(`${dir}${sep}${name}`).catch((e: unknown) => { if (errnoCode(e) === 'ENOENT') return null; throw e; }));
    return out;
  }
  async mkdir(path: string): Promise<void> {
    await this.#checkDir(path, path);
    return this.inner.mkdir(path);
  }
  async link(existing: string, newPath: string): Promise<void> {
    await Promise.all([this.#parent(existing), this.#parent(newPath)]);
    return this.inner.link(existing, newPath);
  }
  async rename(from: string, to: string): Promise<void> {
    await Promise.all([this.#parent(from), this.#parent(to)]);
    return this.inner.rename(from, to);
  }
  async remove(path: string): Promise<void> { await this.#parent(path); return this.inner.remove(path); }
  async fsyncDir(path: string): Promise<void> { await this.#checkDir(path, path); return this.inner.fsyncDir(path); }
  writable(path: string): Promise<boolean> { return this.inner.writable(path); }
  async setAttributes(path: string, a: FsAttrs): Promise<void> { await this.#parent(path); return this.inner.setAttributes(path, a); }
  realpath(path: string): Promise<string> { return this.inner.realpath(path); }
  async release(): Promise<void> { await this.inner.release?.(); }
}
