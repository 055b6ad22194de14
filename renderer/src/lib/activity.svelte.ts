// Recent activity: the core's event history (issue 15, item 5), loaded at start so a reload or a restart still shows
// it, then kept current by the live 'history' events; filtered by drive and by kind, newest first.
import type { HistoryEntry, HistoryKind, HistoryQuery } from '../../../core/contract/history.ts';
import { matchesHistory } from '../../../core/contract/history.ts';
import type { Client } from './client.ts';
import { errorMessage } from './client.ts';

export interface ActivityFilter { memberId?: string; kinds?: readonly HistoryKind[] }

export class ActivityLog {
  readonly limit: number;
  readonly #client: Client | null;
  #items = $state.raw<HistoryEntry[]>([]);
  #filter = $state.raw<ActivityFilter>({});
  #error = $state<string | null>(null);
  #loaded = $state(false);
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

  /** Fetches the history for the filter now (at start, after missed events, when the filter changes). */
  async load(): Promise<void> {
    if (!this.#client) return;
    const seq = ++this.#loadSeq;
    const f = this.#filter;
    const q: HistoryQuery = { limit: this.limit, ...(f.memberId ? { memberId: f.memberId } : {}), ...(f.kinds?.length ? { kinds: [...f.kinds] } : {}) };
    try {
      const entries = await this.#client.call('history.list', q);
      if (seq !== this.#loadSeq) return;
      // Live entries that came while the list was on its way stay.
      const newest = entries[0]?.id ?? 0;
      this.#items = [...this.#items.filter((e) => e.id > newest && this.#matches(e)), ...entries].slice(0, this.limit);
      this.#error = null;
      this.#loaded = true;
    } catch (e) {
      if (seq === this.#loadSeq) this.#error = errorMessage(e);
    }
  }

  setFilter(f: ActivityFilter): Promise<void> {
    this.#filter = f;
    this.#items = this.#items.filter((e) => this.#matches(e));
    return this.load();
  }

  /** A live entry: shown at the top when it matches the filter. */
  add(entry: HistoryEntry): void {
    if (!this.#matches(entry) || this.#items.some((e) => e.id === entry.id)) return;
    this.#items = [entry, ...this.#items].slice(0, this.limit);
  }

  #matches(e: HistoryEntry): boolean {
    const f = this.#filter;
    return matchesHistory(e, { memberId: f.memberId, kinds: f.kinds?.length ? [...f.kinds] : undefined });
  }
}
