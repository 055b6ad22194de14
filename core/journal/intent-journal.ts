// The intent journal (cf. md's write-intent bitmap, for paths): "this path may differ between members", durable first.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Filesystem } from '../fs/filesystem.ts';
import { tmpDirOf } from './superblock.ts';
import { RecordLog } from './record-log.ts';

/** Buckets a write-mostly member's coarse records fall into (cf. a bitmap chunk): once set, a write costs it no I/O. */
export const COARSE_BUCKETS = 64;
const BUCKET_PREFIX = '#bucket:';

/** Files of one folder share a bucket, as neighbouring sectors share a bitmap chunk. */
export function bucketOf(path: string): string {
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  return BUCKET_PREFIX + (createHash('sha1').update(parent).digest().readUInt16BE(0) % COARSE_BUCKETS);
}

/** One member's journal. Exact on fast members (the path), coarse on write-mostly ones (a bucket of paths). */
export class MemberJournal {
  private constructor(readonly log: RecordLog, readonly coarse: boolean) {}

  static async open(fs: Filesystem, root: string, coarse: boolean): Promise<MemberJournal> {
    // A fast member's every mark waits for its record to be durable, and a clear is appended at most once a tick: each
    // append is made durable as it is written (one call to the drive on the acknowledgement path instead of a write,
    // then a flush). A slow member's coarse journal appends once per active period: its clears stay lazy, so a clear
    // never costs the slow drive a flush that a write's mark could then wait behind.
    return new MemberJournal(await RecordLog.open(fs, join(root, '.nas-mirror', 'intent.log'), tmpDirOf(root), { durableAppends: !coarse }), coarse);
  }

  keyOf(path: string): string { return this.coarse ? bucketOf(path) : path; }

  /** Sets records for these paths at `generation`; resolves when durable. A key already set at `minGeneration` or later costs nothing. */
  mark(paths: readonly string[], generation: number, minGeneration: number): Promise<void> {
    if (this.coarse) return this.#markCoarse(paths);
    let changed = false;
    for (const p of paths) {
      const k = this.keyOf(p);
      const g = this.log.map.get(k);
      if (g !== undefined && Number(g) >= minGeneration) continue;
      this.log.set(k, String(generation));
      changed = true;
    }
    // Already set by another write whose commit has not finished (or failed): durable only once that commit is.
    return changed || this.log.unsynced ? this.log.commit() : Promise.resolve();
  }

  /**
   * A slow member's journal is set whole on the first write after it was clear: one fsync on the slow drive per
   * active period, instead of one per newly touched folder on the acknowledgement path (the bench's p99 tail).
   */
  #markCoarse(paths: readonly string[]): Promise<void> {
    if (paths.every((p) => this.log.map.has(bucketOf(p)))) return this.log.unsynced ? this.log.commit() : Promise.resolve();
    for (let b = 0; b < COARSE_BUCKETS; b++) if (!this.log.map.has(BUCKET_PREFIX + b)) this.log.set(BUCKET_PREFIX + b, '0');
    return this.log.commit();
  }

  /** Clears records lazily (a lost clear only means a needless resync after a crash). */
  clear(keys: Iterable<string>): void {
    for (const k of keys) this.log.delete(k);
    this.log.lazyFlush();
  }

  /** Exact records: path → generation at which it was marked. */
  exactRecords(): Map<string, number> {
    const out = new Map<string, number>();
    if (this.coarse) return out;
    for (const [k, g] of this.log.map) out.set(k, Number(g));
    return out;
  }

  keys(): string[] { return [...this.log.map.keys()]; }
  get size(): number { return this.log.map.size; }
  close(): Promise<void> { return this.log.close(); }
}
