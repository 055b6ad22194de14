// The manifest: each member's record of what the engine wrote there — every file's checksum (bit-rot detection) with
// the size, modification time and inode it had when it landed (outside changes, SnapRAID's rule), and its folders.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Filesystem, FsStat } from '../fs/filesystem.ts';
import { RecordLog } from './record-log.ts';
import { CompactStore } from './compact-store.ts';
import { tmpDirOf } from './superblock.ts';
import { giveChunk } from '../fs/chunk-pool.ts';

export const hashOf = (data: Uint8Array): string => createHash('sha256').update(data).digest('base64url');

/** The same checksum, of content read in chunks (scrub, manifest repair). */
export async function hashStream(chunks: AsyncIterable<Uint8Array>, o: { owned?: boolean } = {}): Promise<string> {
  const h = createHash('sha256');
  // owned: the chunks are a member's readStream that nobody else holds; each goes back to the pool once hashed.
  for await (const chunk of chunks) { h.update(chunk); if (o.owned) giveChunk(chunk); }
  return h.digest('base64url');
}

/** What a file looked like on its drive when the engine last wrote it (or last saw it unchanged). */
export interface FileMeta { size: number; mtimeMs: number; ino?: number }

/** A file the engine wrote (meta is absent in manifests written before it was recorded), or a folder it made. */
export type ManifestEntry = { type: 'file'; hash: string; meta?: FileMeta } | { type: 'dir' };

/**
 * One line per path in the record log (record-log.ts): "HASH" (old manifests: a checksum only), "HASH SIZE MTIME INO"
 * (INO 0 when unknown), or "/" for a folder. Space-separated numbers keep it compact; a checksum never has a space.
 */
const DIR = '/';
function encodeEntry(hash: string, meta?: FileMeta): string {
  return meta ? `${hash} ${meta.size} ${meta.mtimeMs} ${meta.ino ?? 0}` : hash;
}
function decodeEntry(v: string): ManifestEntry {
  if (v === DIR) return { type: 'dir' };
  const [hash, size, mtime, ino] = v.split(' ');
  if (size === undefined || mtime === undefined) return { type: 'file', hash: hash! };
  const meta: FileMeta = { size: Number(size), mtimeMs: Number(mtime) };
  if (ino && ino !== '0') meta.ino = Number(ino);
  return { type: 'file', hash: hash!, meta };
}

/** The recorded shape of a stat, for a comparison later. */
export const metaOf = (s: FsStat): FileMeta => ({ size: s.size, mtimeMs: s.mtimeMs, ...(s.ino ? { ino: s.ino } : {}) });

/**
 * How a copy on the drive stands against what was recorded for it (SnapRAID's rule): the same size and modification
 * time (and inode, where the filesystem keeps inode numbers) is the file the engine wrote — if its content differs now,
 * the drive damaged it; any of them different is an edit made outside the app. `trustInode` is false on FAT, exFAT
 * and NTFS, whose drivers number inodes afresh at every mount. 'inode' is an inode change alone: a copy with the same
 * size and time (cp -p, rsync -a) or a renumbering — only its content can tell.
 */
export function compareMeta(recorded: FileMeta, now: FsStat, trustInode: boolean): 'same' | 'changed' | 'inode' {
  // Times within 2 µs are one time: a date set to the recorded one (rot simulated, a copy that keeps dates) passes
  // through a double of seconds; any real edit moves it by far more.
  if (now.type !== 'file' || recorded.size !== now.size || Math.abs(recorded.mtimeMs - now.mtimeMs) > 0.002) return 'changed';
  if (trustInode && recorded.ino !== undefined && now.ino !== undefined && recorded.ino !== now.ino) return 'inode';
  return 'same';
}

export class Manifest {
  /** The log's map: always a compact store (open() makes it so), which the walk's marks need. */
  readonly #store: CompactStore;
  private constructor(readonly log: RecordLog, readonly fs: Filesystem, readonly root: string) {
    if (!(log.map instanceof CompactStore)) throw new Error('a manifest is kept in a compact store');
    this.#store = log.map;
  }

  static async open(fs: Filesystem, root: string): Promise<Manifest> {
    // A compact store: a manifest has an entry per file, a million on a big photo library (compact-store.ts).
    return new Manifest(await RecordLog.open(fs, join(root, '.nas-mirror', 'manifest.log'), tmpDirOf(root), { compact: true }), fs, root);
  }

  /** The checksum recorded for a file (undefined for a folder or an unknown path). */
  get(path: string): string | undefined {
    const v = this.log.map.get(path);
    if (v === undefined || v === DIR) return undefined;
    const space = v.indexOf(' ');
    return space < 0 ? v : v.slice(0, space);
  }

  entry(path: string): ManifestEntry | undefined {
    const v = this.log.map.get(path);
    return v === undefined ? undefined : decodeEntry(v);
  }

  /**
   * Recorded with the file, durably only lazily: a crash that loses an update leaves the path's intent record set,
   * and the open-time resync rewrites both the file and its entry. Without `meta` the entry says "content known,
   * metadata not": the next look at the drive records what it finds.
   */
  set(path: string, hash: string, meta?: FileMeta): void {
    const v = encodeEntry(hash, meta);
    if (this.log.map.get(path) === v) return;
    this.log.set(path, v);
    this.#folders(path);
    this.log.lazyFlush();
  }

  /**
   * The file the engine just wrote at `path` landed: its checksum with the size, time and inode it has now, so that a
   * later edit made outside the app can be told from this write. Called before the path's place in line is released.
   * `known`: that stat, when the writer has it already (AtomicWriter.landed), so the file is not looked at again.
   */
  async landed(path: string, hash: string, known?: FsStat): Promise<void> {
    let s: FsStat | null = known ?? null;
    if (!known) {
      try {
        s = await this.fs.stat(join(this.root, path));
      } catch { /* gone already (a later operation in line is not possible here: only a failing drive) */ }
    }
    this.set(path, hash, s?.type === 'file' ? metaOf(s) : undefined);
  }

  /** Records a folder the engine made (and the folders above it). */
  setDir(path: string): void {
    if (path === '' || this.log.map.get(path) === DIR) return;
    this.log.set(path, DIR);
    this.#folders(path);
    this.log.lazyFlush();
  }

  /** The folders above a path the engine wrote are the engine's too (a write makes its parents). */
  #folders(path: string): void {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const dir = path.slice(0, i);
      if (this.log.map.get(dir) === DIR) return; // recorded with its own parents already
      this.log.set(dir, DIR);
    }
  }

  /** Removes a file's entry, or a folder's entries. */
  remove(path: string): void {
    // A file has its own entry: no scan. Only a folder costs a pass over the manifest.
    const v = this.log.map.get(path);
    if (v !== undefined && v !== DIR) { this.log.delete(path); this.log.lazyFlush(); } else this.removeTree(path);
  }

  /** Removes the entry of `path` and every entry below it, whatever it was. */
  removeTree(path: string): void {
    this.log.delete(path);
    const prefix = path + '/';
    for (const k of [...this.log.map.keys()]) if (k.startsWith(prefix)) this.log.delete(k);
    this.log.lazyFlush();
  }

  /** Moves a file's entry, or a folder's entries, to a new name (rename(2) keeps size, time and inode). */
  rename(from: string, to: string): void {
    this.remove(to);
    const own = this.log.map.get(from);
    if (own !== undefined) {
      this.log.delete(from);
      this.log.set(to, own);
    }
    if (own === undefined || own === DIR) {
      const prefix = from + '/';
      for (const [k, v] of [...this.log.map]) {
        if (k.startsWith(prefix)) { this.log.delete(k); this.log.set(to + k.slice(from.length), v); }
      }
    }
    this.#folders(to);
    this.log.lazyFlush();
  }

  /** Makes every entry so far durable. */
  commit(): Promise<void> { return this.log.commit(); }

  /** Every recorded path, files and folders. */
  paths(): IterableIterator<string> { return this.log.map.keys(); }

  // A walk of the drive (outside.ts) ticks off the recorded paths it meets, then lists those it did not: a byte per
  // entry in the compact store (compact-store.ts marks).
  startWalk(): void { this.#store.startMarks(); }
  endWalk(): void { this.#store.endMarks(); }
  /** entry(), ticking the path off for the walk. */
  entryMet(path: string): ManifestEntry | undefined {
    const v = this.#store.getMarking(path);
    return v === undefined ? undefined : decodeEntry(v);
  }
  /** Whether the walk met this recorded path. */
  met(path: string): boolean { return this.#store.isMarked(path); }
  /** The recorded paths the walk did not meet (no set or delete while iterating: compact-store.ts rule). */
  notMet(): IterableIterator<string> { return this.#store.unmarkedKeys(); }
  /** Every recorded file path. */
  *files(): IterableIterator<string> {
    for (const [k, v] of this.log.map) if (v !== DIR) yield k;
  }
  get size(): number { return this.log.map.size; }
  close(): Promise<void> { return this.log.close(); }
}
