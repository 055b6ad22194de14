// Reads falling back to a lagging write-mostly drive: which drive, what they wait for, and how long it took (DESIGN §5).

export interface FallbackWait {
  key: number;
  memberId: string;
  path: string;
  waitingWrites: number;
  waitingBytes: number;
  startedAt: number;
  /** The member's behind writes when the wait began: the drain since then is the banner's progress. */
  startBehindWrites: number;
  waitedMs?: number;
  doneAt?: number;
}

export class FallbackState {
  /** How long a finished wait stays on screen. */
  readonly keepDoneMs: number;
  #waits = $state.raw<FallbackWait[]>([]);
  #nextKey = 1;

  constructor(o: { keepDoneMs?: number } = {}) { this.keepDoneMs = o.keepDoneMs ?? 15_000; }

  get waits(): FallbackWait[] { return this.#waits; }
  get active(): FallbackWait[] { return this.#waits.filter((w) => w.waitedMs === undefined); }
  get finished(): FallbackWait[] { return this.#waits.filter((w) => w.waitedMs !== undefined); }
  /** Waits a person should hear about: those that had writes to wait for (a read with nothing pending is instant). */
  get noticeable(): FallbackWait[] { return this.#waits.filter((w) => w.waitingWrites > 0 || (w.waitedMs ?? 0) >= 50); }

  begin(e: { memberId: string; path: string; waitingWrites: number; waitingBytes: number }, now: number, startBehindWrites: number): void {
    const w: FallbackWait = { key: this.#nextKey++, memberId: e.memberId, path: e.path, waitingWrites: e.waitingWrites,
      waitingBytes: e.waitingBytes, startedAt: now, startBehindWrites: Math.max(startBehindWrites, e.waitingWrites) };
    this.#waits = [...this.#waits, w];
  }

  end(e: { memberId: string; path: string; waitedMs: number }, now: number): void {
    const i = this.#waits.findIndex((w) => w.waitedMs === undefined && w.memberId === e.memberId && w.path === e.path);
    if (i < 0) {
      // The start was missed (e.g. before a refetch): still say that a fallback happened and how long it waited.
      this.#waits = [...this.#waits, { key: this.#nextKey++, memberId: e.memberId, path: e.path, waitingWrites: 0, waitingBytes: 0,
        startedAt: now - e.waitedMs, startBehindWrites: 0, waitedMs: e.waitedMs, doneAt: now }];
      return;
    }
    this.#waits = this.#waits.map((w, j) => (j === i ? { ...w, waitedMs: e.waitedMs, doneAt: now } : w));
  }

  /** Fraction drained since the wait began, from the member's current behind writes. */
  progress(w: FallbackWait, currentBehindWrites: number): number {
    if (w.waitedMs !== undefined) return 1;
    if (w.startBehindWrites <= 0) return 0;
    return Math.min(1, Math.max(0, (w.startBehindWrites - currentBehindWrites) / w.startBehindWrites));
  }

  prune(now: number): void {
    if (this.#waits.some((w) => w.doneAt !== undefined && now - w.doneAt > this.keepDoneMs)) {
      this.#waits = this.#waits.filter((w) => w.doneAt === undefined || now - w.doneAt <= this.keepDoneMs);
    }
  }

  dismiss(key: number): void { this.#waits = this.#waits.filter((w) => w.key !== key); }
}
