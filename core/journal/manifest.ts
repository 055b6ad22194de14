// The checksum manifest: each member's record of what every file's content should hash to (bit-rot detection).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Filesystem } from '../fs/filesystem.ts';
import { RecordLog } from './record-log.ts';
import { tmpDirOf } from './superblock.ts';

export const hashOf = (data: Uint8Array): string => createHash('sha256').update(data).digest('base64url');

/** The same checksum, of content read in chunks (scrub, manifest repair). */
export async function hashStream(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of chunks) h.update(chunk);
  return h.digest('base64url');
}

export class Manifest {
  private constructor(readonly log: RecordLog) {}

  static async open(fs: Filesystem, root: string): Promise<Manifest> {
    return new Manifest(await RecordLog.open(fs, join(root, '.nas-mirror', 'manifest.log'), tmpDirOf(root)));
  }

  get(path: string): string | undefined { return this.log.map.get(path); }

  /**
   * Recorded with the file, durably only lazily: a crash that loses an update leaves the path's intent record set,
   * and the open-time resync rewrites both the file and its entry.
   */
  set(path: string, hash: string): void { this.log.set(path, hash); this.log.lazyFlush(); }

  /** Removes a file's entry, or a folder's entries. */
  remove(path: string): void {
    // A file has its own entry: no scan. Only a folder (no entry of its own) costs a pass over the manifest.
    if (this.log.map.has(path)) { this.log.delete(path); this.log.lazyFlush(); } else this.removeTree(path);
  }

  /** Removes the entry of `path` and every entry below it, whatever it was. */
  removeTree(path: string): void {
    this.log.delete(path);
    const prefix = path + '/';
    for (const k of [...this.log.map.keys()]) if (k.startsWith(prefix)) this.log.delete(k);
    this.log.lazyFlush();
  }

  /** Moves a file's entry, or a folder's entries, to a new name. */
  rename(from: string, to: string): void {
    this.remove(to);
    const file = this.log.map.get(from);
    if (file !== undefined) {
      this.log.delete(from);
      this.log.set(to, file);
    } else {
      const prefix = from + '/';
      for (const [k, v] of [...this.log.map]) {
        if (k.startsWith(prefix)) { this.log.delete(k); this.log.set(to + k.slice(from.length), v); }
      }
    }
    this.log.lazyFlush();
  }

  /** Makes every entry so far durable. */
  commit(): Promise<void> { return this.log.commit(); }

  paths(): IterableIterator<string> { return this.log.map.keys(); }
  get size(): number { return this.log.map.size; }
  close(): Promise<void> { return this.log.close(); }
}
