// An append-only log of keyed records with group commit and atomic compaction: the store under the journal and manifest.
import { join } from 'node:path';
import { errnoCode, writeFileAtomic, type AppendHandle, type Filesystem } from '../fs/filesystem.ts';
import { CompactStore, type RecordStore } from './compact-store.ts';

/** One line per change: "+key\tvalue" sets, "-key" deletes. JSON-escaped keys keep any file name on one line. */
function encode(op: '+' | '-', key: string, value?: string): string {
  return op === '+' ? `+${JSON.stringify(key)}\t${value ?? ''}\n` : `-${JSON.stringify(key)}\n`;
}

/**
 * The key of a line, written by encode() as a JSON string from `from` to `to`. Most names need no escape: those are
 * cut out as they are (JSON.parse per line was most of a manifest's open time); one with a backslash is parsed.
 */
function keyOf(line: string, from: number, to: number): string {
  if (line[from] !== '"' || line[to - 1] !== '"' || to - from < 2) throw new SyntaxError('torn line');
  const inner = line.slice(from + 1, to - 1);
  return inner.includes('\\') || inner.includes('"') ? (JSON.parse(line.slice(from, to)) as string) : inner;
}

/** Replays the lines of `text` into a store: the lines counted (a line that cannot be read is skipped, as a torn one). */
function replay(map: RecordStore, text: string): number {
  let lines = 0;
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end);
    at = end + 1;
    if (line.length < 3) continue;
    lines++;
    try {
      if (line[0] === '+') {
        const tab = line.lastIndexOf('\t');
        if (tab >= 0) map.set(keyOf(line, 1, tab), line.slice(tab + 1));
      } else if (line[0] === '-') {
        map.delete(keyOf(line, 1, line.length));
      }
    } catch { /* torn line */ }
  }
  return lines;
}

export class RecordLog {
  #handle?: AppendHandle;
  #lines = 0;
  #pending: string[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushing?: Promise<void>;
  #closed = false;
  /** An append failed (a full drive): the file may end in a torn line, so the next flush rewrites it whole. */
  #torn = false;
  /** A compaction asked for: done by the flush loop, the one place that touches the file (see #flushLoop). */
  #compactWanted = false;
  /** Where the content ends: a durable handle writes from here (what follows it, if anything, is zeros). */
  #end = 0;
  /** The file may end in preallocated zeros: only a handle that writes at #end may append to it (see #openHandle). */
  #padded = false;

  private constructor(readonly fs: Filesystem, readonly file: string, readonly tmpDir: string, readonly map: RecordStore,
    readonly durableAppends = false) {}

  /**
   * Opens the log, replaying it; a torn last line (crash mid-append) is ignored, and the file is rewritten before the
   * next append (else that append would be glued to it and lost). Compacted at open only when it has grown: rewriting
   * a manifest of 200,000 entries at every open cost ~0.5 s per member.
   */
  static async open(fs: Filesystem, file: string, tmpDir: string, o: { compact?: boolean; durableAppends?: boolean } = {}): Promise<RecordLog> {
    const log = new RecordLog(fs, file, tmpDir, o.compact ? new CompactStore() : new Map<string, string>(), o.durableAppends);
    let bytes: Buffer = Buffer.alloc(0);
    try {
      const read = await fs.readFile(file);
      bytes = Buffer.from(read.buffer, read.byteOffset, read.byteLength); // a view: no copy of it
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    // The content ends at the first zero byte: a durable log preallocates zeros past its end (node-fs.ts), and no line
    // holds one (keys are JSON strings). Anything but zeros after it is a torn preallocated append.
    const zero = bytes.indexOf(0);
    const content = zero < 0 ? bytes.length : zero;
    const tornTail = zero >= 0 && bytes.subarray(zero).some((b) => b !== 0);
    // A last line without its newline was never finished: its change is not taken (a value may be cut short).
    const torn = tornTail || (content > 0 && bytes[content - 1] !== 10);
    const whole = !torn ? content : content > 0 ? bytes.lastIndexOf(10, content - 1) + 1 : 0;
    if (log.map instanceof CompactStore) log.#lines = log.map.load(bytes, whole);
    else log.#lines = replay(log.map, bytes.toString('utf8', 0, whole));
    if (torn) log.#torn = true;
    log.#end = whole;
    log.#padded = zero >= 0;
    if (log.#torn || log.#lines > 2 * log.map.size + 1000) await log.compact();
    return log;
  }

  /**
   * Rewrites the log as just its live records, atomically (temp + fsync + rename + fsync folder). Done by the flush
   * loop, in line with appends: resolves once the rewrite (and whatever was committed meanwhile) is durable.
   */
  compact(): Promise<void> {
    this.#compactWanted = true;
    return this.commit();
  }

  async #rewrite(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
    const body = Buffer.from([...this.map].map(([k, v]) => encode('+', k, v)).join(''));
    await writeFileAtomic(this.fs, this.file, this.tmpDir, body);
    this.#lines = this.map.size;
    this.#end = body.byteLength;
    this.#padded = false;
  }

  /**
   * Opens the handle appends go through; false when it cannot append to this file: a padded file (its content ends
   * before its zeros) and a handle that writes at the file's size (a drive without O_DSYNC, a wrapping test drive)
   * would put new lines after the zeros, where a replay never reads them. The file is then rewritten instead.
   */
  async #openHandle(): Promise<boolean> {
    if (this.#handle) return true;
    const h = await this.fs.openAppend(this.file, { durable: this.durableAppends, ...(this.durableAppends ? { end: this.#end } : {}) });
    if (this.#padded && !h.preallocated) { await h.close(); return false; }
    this.#handle = h;
    if (h.preallocated) this.#padded = true;
    return true;
  }

  /** Changes made and not yet durable (pending, being flushed, or lost to a failed append). */
  get unsynced(): boolean { return this.#pending.length > 0 || this.#flushing !== undefined || this.#torn; }

  set(key: string, value: string): void { this.map.set(key, value); this.#pending.push(encode('+', key, value)); }
  delete(key: string): void { if (this.map.delete(key)) this.#pending.push(encode('-', key)); }

  /**
   * Makes every change so far durable. Concurrent callers share one append + fsync (group commit): while one flush
   * runs, later changes gather for the next.
   */
  commit(): Promise<void> {
    if (this.#pending.length === 0 && !this.#flushing && !this.#torn && !this.#compactWanted) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#flushing) this.#startFlush(true);
    return p;
  }

  /**
   * Starts the flush loop. It always yields once before its first check, so `#flushing` is assigned before the loop
   * can end and clear it (a closed log rejects without any other await; clearing first and assigning after would
   * leave a settled promise there for good: later commits would wait on it, close() would spin on it). And it clears
   * `#flushing` in the same step that it sees nothing left, so a commit that comes right after starts a new loop.
   */
  #startFlush(sync: boolean): void {
    this.#flushing = this.#flushLoop(sync);
  }

  /** Appends without waiting for durability (clears: losing one only costs a needless resync). */
  lazyFlush(): void {
    if (this.#closed) { this.#pending.length = 0; return; }
    if (this.#pending.length > 0 && !this.#flushing) this.#startFlush(false);
  }

  /**
   * The one place the file is written. Rule: every append, fsync and rewrite of the file happens here, one at a time
   * (a compaction run beside the loop closed the handle under a later commit's append: both members' journals then
   * failed with "file closed" after ~5,800 writes, and lines appended to the old file were lost by the rename).
   */
  async #flushLoop(sync: boolean): Promise<void> {
    await undefined; // see #startFlush
    let grown = false; // the size check asks for one compaction per loop (a failing one is not retried in a spin)
    try {
      for (;;) {
        // Keep the file proportional to what is live, not to its history.
        if (!grown && !this.#closed && this.#lines > 4 * this.map.size + 10_000) { grown = true; this.#compactWanted = true; }
        if (this.#pending.length === 0 && this.#waiters.length === 0 && !this.#compactWanted) break;
        const lines = this.#pending.splice(0);
        const waiters = this.#waiters.splice(0);
        try {
          if (this.#closed) { this.#compactWanted = false; throw new Error(`${this.file} is closed (its member left the mirror)`); }
          if (this.#torn || this.#compactWanted || (lines.length > 0 && !(await this.#openHandle()))) {
            this.#compactWanted = false;
            await this.#rewrite(); // the map holds these lines' changes too: rewritten whole, atomically
            this.#torn = false;
          } else if (lines.length) {
            const data = Buffer.from(lines.join(''));
            await this.#handle!.append(data);
            this.#lines += lines.length;
            this.#end += data.byteLength;
          }
          // A handle whose appends are durable as they land (durableAppends) has nothing left to flush: every append
          // made through it, lazy ones too, was durable when it resolved — one call to the drive instead of two.
          if ((sync || waiters.length) && !this.#handle?.durable) await this.#handle?.sync();
          for (const w of waiters) w.resolve();
        } catch (e) {
          // Not durable: the map already holds these changes, so a later commit must not think them written.
          if (!this.#closed) { this.#torn = true; await this.#handle?.close().catch(() => {}); this.#handle = undefined; }
          for (const w of waiters) w.reject(e);
        }
      }
    } finally {
      this.#flushing = undefined; // in the same step as the loop's last check: see #startFlush
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

export const journalDir = (root: string) => join(root, '.nas-mirror');
