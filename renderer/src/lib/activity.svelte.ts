// Recent activity: the core's event history (issue 15, item 5), loaded at start so a reload or a restart still shows
// it, then kept current by the live 'history' events; filtered by drive and by kind, newest first.
import type { HistoryEntry, HistoryKind, HistoryQuery } from '../../../core/contract/history.ts';
import { HISTORY_LIMIT, matchesHistory } from '../../../core/contract/history.ts';
import type { Client } from './client.ts';
import { errorMessage } from './client.ts';

export interface ActivityFilter { memberId?: string; kinds?: readonly HistoryKind[] }

export class ActivityLog {
  /** Entries asked for at once (a page). */
  readonly limit: number;
  readonly #client: Client | null;
  #items = $state.raw<HistoryEntry[]>([]);
  #filter = $state.raw<ActivityFilter>({});
  #error = $state<string | null>(null);
  #loaded = $state(false);
  /** The core may hold older entries than those shown (the last page it sent was full). */
  #more = $state(false);
  /** Only the answer to the latest load counts (filters changed quickly, a reload meanwhile). */
  #loadSeq = 0;

  constructor(client: Client | null = null, limit = 200) {
    this.#client = client;
    this.limit = limit;
  }

  /** The entries that match the filter, newest first. */
  get items(): HistoryEntry[] { return this.#items; }
  get filter(): ActivityFilter { return this.#filter; }
  get loaded(): boolean { return this.#loaded; }
  get error(): string | null { return this.#error; }
  get hasOlder(): boolean { return this.#more; }

  /** Fetches the history for the filter now (at start, after missed events, when the filter changes). */
  async load(): Promise<void> {
    if (!this.#client) return;
    const seq = ++this.#loadSeq;
    try {
      const entries = await this.#client.call('history.list', this.#query());
      if (seq !== this.#loadSeq) return;
      // Live entries that came while the list was on its way stay.
      const newest = entries[0]?.id ?? 0;
      this.#items = [...this.#items.filter((e) => e.id > newest && this.#matches(e)), ...entries];
      this.#more = entries.length === this.limit;
      this.#error = null;
      this.#loaded = true;
    } catch (e) {
      if (seq === this.#loadSeq) this.#error = errorMessage(e);
    }
  }

  /** The next page of older entries, below those shown. */
  async loadOlder(): Promise<void> {
    const oldest = this.#items.at(-1)?.id;
    if (!this.#client || oldest === undefined) return;
    const seq = this.#loadSeq;
    try {
      const entries = await this.#client.call('history.list', { ...this.#query(), before: oldest });
      if (seq !== this.#loadSeq) return; // the filter changed meanwhile
      this.#items = [...this.#items, ...entries.filter((e) => e.id < oldest)];
      this.#more = entries.length === this.limit;
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  #query(): HistoryQuery {
    const f = this.#filter;
    return { limit: this.limit, ...(f.memberId ? { memberId: f.memberId } : {}), ...(f.kinds?.length ? { kinds: [...f.kinds] } : {}) };
  }

  setFilter(f: ActivityFilter): Promise<void> {
    this.#filter = f;
    this.#items = this.#items.filter((e) => this.#matches(e));
    return this.load();
  }

  /** A live entry: shown at the top when it matches the filter. */
  add(entry: HistoryEntry): void {
    if (!this.#matches(entry) || this.#items.some((e) => e.id === entry.id)) return;
    this.#items = [entry, ...this.#items].slice(0, HISTORY_LIMIT);
  }

  #matches(e: HistoryEntry): boolean {
    const f = this.#filter;
    return matchesHistory(e, { memberId: f.memberId, kinds: f.kinds?.length ? [...f.kinds] : undefined });
  }
}
