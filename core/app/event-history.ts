// The event history's store (issue 15, item 5): the last HISTORY_LIMIT entries, in memory and in an append log beside
// the config (a RecordLog: a torn last line from a crash is ignored, compaction replaces the file atomically).
import { join } from 'node:path';
import { historyEntrySchema, HISTORY_LIMIT, matchesHistory, type HistoryEntry, type HistoryQuery } from '../contract/history.ts';
import type { Filesystem } from '../fs/filesystem.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { RecordLog } from '../journal/record-log.ts';

export const HISTORY_FILE = 'history.log';

/** An entry before the store numbers it. */
export type HistoryDraft = Omit<HistoryEntry, 'id' | 'at'>;

/** Keys sort as numbers and as text alike, so the log's order and the ids' agree. */
const keyOf = (id: number) => String(id).padStart(15, '0');

export class EventHistory {
  /** Oldest first. */
  #entries: HistoryEntry[] = [];
  #nextId = 1;
  #appended = 0;
  #closed = false;

  private constructor(private readonly log: RecordLog, readonly limit: number) {}

  /** Opens (or starts) the history in `dir`; entries that do not parse (a torn line) are dropped. */
  static async open(dir: string, o: { limit?: number; fs?: Filesystem } = {}): Promise<EventHistory> {
    const fs = o.fs ?? new NodeFs();
    await fs.mkdir(dir);
    const log = await RecordLog.open(fs, join(dir, HISTORY_FILE), dir);
    const history = new EventHistory(log, o.limit ?? HISTORY_LIMIT);
    for (const [key, value] of [...log.map]) {
      let entry: HistoryEntry | undefined;
      try {
        const parsed = historyEntrySchema.safeParse(JSON.parse(value));
        if (parsed.success && keyOf(parsed.data.id) === key) entry = parsed.data;
      } catch { /* a line cut short by a crash */ }
      if (entry) history.#entries.push(entry);
      else log.delete(key);
    }
    history.#entries.sort((a, b) => a.id - b.id);
    history.#nextId = (history.#entries.at(-1)?.id ?? 0) + 1;
    history.#trim();
    if (log.unsynced) await log.compact();
    return history;
  }

  /** Records an entry now; written to the log without waiting (a crash may lose the last few, never the file). */
  append(draft: HistoryDraft, at: number): HistoryEntry {
    const entry: HistoryEntry = { id: this.#nextId++, at, ...draft };
    if (this.#closed) return entry; // told to the clients still listening, not kept: the file is closed
    this.#entries.push(entry);
    this.log.set(keyOf(entry.id), JSON.stringify(entry));
    this.#trim();
    // Every entry added also drops one: compact once the log holds as many dropped lines as live ones.
    if (++this.#appended >= this.limit) {
      this.#appended = 0;
      void this.log.compact().catch(() => {});
    } else {
      this.log.lazyFlush();
    }
    return entry;
  }

  /** Newest first, filtered. */
  list(q: HistoryQuery = {}): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const limit = q.limit ?? this.limit;
    for (let i = this.#entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#entries[i]!;
      if (matchesHistory(e, q)) out.push(e);
    }
    return out;
  }

  get size(): number { return this.#entries.length; }

  /** Makes every entry so far durable. */
  flush(): Promise<void> { return this.log.commit(); }

  /** Leaves the file holding exactly the live entries (a rewrite, atomic), then closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.log.compact().catch(() => {});
    await this.log.close();
  }

  #trim(): void {
    const extra = this.#entries.length - this.limit;
    if (extra <= 0) return;
    for (const e of this.#entries.splice(0, extra)) this.log.delete(keyOf(e.id));
  }
}
