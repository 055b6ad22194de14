// The full resync's checkpoint on its target: which copies are known durable there, so a resync cut short (a crash,
// a power cut, the app closed, the drive pulled) resumes without copying them again.
//
// Why not trust size and date alone? A copy gets the source's modification time (copyFile) and takes its name by an
// atomic rename, so after a process crash (SIGKILL) a target file with the source's size and date is whole: the kernel
// kept every byte written. A power cut or a pulled drive is different: bulk copies skip per-file fsyncs (one syncfs
// makes them durable), and a filesystem may have kept the rename, size and date of a copy but not its data — ext4
// without delayed allocation, exFAT and FAT can show a file of the right size full of zeros. So an entry is written
// here only after a syncfs that came after the copy finished: a path listed here with a size and date that still
// match both the source and the target is trusted; anything else is copied again. What a cut loses is at most the
// copies of the last checkpoint interval.
import { join } from 'node:path';
import { errnoCode, type Filesystem, type FsStat } from '../fs/filesystem.ts';
import { RecordLog } from '../journal/record-log.ts';
import { META_DIR } from '../mirror/paths.ts';
import { tmpDirOf } from '../journal/superblock.ts';

const FILE = 'resync-done.log';
/** A checkpoint every this many copies or this much time, whichever comes first. */
// Each costs a syncfs of the target (a `sync -f` process: ~25 ms of the main thread to start here); a crash costs at
// most the copies of one interval. Copies in bulk run at thousands per second: 500 made 40 checkpoints per 20,000.
const CHECKPOINT_COPIES = 5000;
const CHECKPOINT_MS = 2000;

export interface CopyRecord { size: number; mtimeMs: number; hash: string }

/**
 * Dates equal as the target's filesystem stores them: FAT keeps 2 s, exFAT 10 ms, others nanoseconds (a copied
 * date may also lose its sub-microsecond part on the way).
 */
export function sameDate(a: number, b: number, coarse: boolean): boolean {
  return Math.abs(a - b) < (coarse ? 2000 : 1);
}

export class ResumeLog {
  #pending: [string, CopyRecord][] = [];
  #lastCheckpoint = Date.now();
  #running?: Promise<void>;

  private constructor(readonly log: RecordLog, readonly fs: Filesystem, readonly root: string, readonly coarseDates: boolean) {}

  /** Opens the target's log (what an earlier run of this resync made durable), or starts an empty one. */
  static async open(fs: Filesystem, root: string, coarseDates: boolean): Promise<ResumeLog> {
    return new ResumeLog(await RecordLog.open(fs, join(root, META_DIR, FILE), tmpDirOf(root)), fs, root, coarseDates);
  }

  /** Removes a target's log: its resync finished, or a new one starts from nothing (createMirror). */
  static async discard(fs: Filesystem, root: string): Promise<void> {
    await fs.remove(join(root, META_DIR, FILE)).catch((e) => { if (errnoCode(e) !== 'ENOENT') throw e; });
  }

  get size(): number { return this.log.map.size; }

  /** The recorded copy of `path` when both the source's and the target's files still are that copy. */
  trusted(path: string, source: FsStat, target: FsStat): CopyRecord | null {
    const raw = this.log.map.get(path);
    if (raw === undefined) return null;
    const [size, mtime, hash] = raw.split(':');
    const r: CopyRecord = { size: Number(size), mtimeMs: Number(mtime), hash: hash ?? '' };
    if (!r.hash || source.size !== r.size || target.size !== r.size) return null;
    if (!sameDate(source.mtimeMs, r.mtimeMs, false) || !sameDate(target.mtimeMs, r.mtimeMs, this.coarseDates)) return null;
    return r;
  }

  /** A copy finished (not yet durable: it is written down at the next checkpoint, after a syncfs). */
  copied(path: string, r: CopyRecord): void {
    this.#pending.push([path, r]);
  }

  get due(): boolean {
    return this.#pending.length >= CHECKPOINT_COPIES || (this.#pending.length > 0 && Date.now() - this.#lastCheckpoint >= CHECKPOINT_MS);
  }

  /**
   * Makes the copies finished so far durable (`flush`: syncfs of the target, or nothing when each copy was fsynced),
   * then records them, durably. One checkpoint at a time; copies finishing meanwhile wait for the next.
   */
  checkpoint(flush: () => Promise<boolean>): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).then(async () => {
      const batch = this.#pending.splice(0);
      this.#lastCheckpoint = Date.now();
      if (batch.length === 0) return;
      if (!(await flush())) return; // not known durable: left out, so copied again by a resumed run
      for (const [p, r] of batch) this.log.set(p, `${r.size}:${r.mtimeMs}:${r.hash}`);
      await this.log.commit();
    });
    this.#running = run.catch(() => {});
    return run;
  }

  /**
   * The end of its resync. Complete (every copy durable): the log goes; a crash before the member is recorded in sync
   * then restarts the resync whole, which is only slower. Cut short or failed: a last checkpoint, for the next run.
   */
  async finish(complete: boolean, flush: () => Promise<boolean>): Promise<void> {
    if (!complete) await this.checkpoint(flush).catch(() => {}); // a lost checkpoint only costs copying again
    await this.#running;
    await this.log.close();
    if (complete) await ResumeLog.discard(this.fs, this.root);
  }
}
