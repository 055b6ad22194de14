// Runs the scheduled scrub (issue 15, item 9) when it is due: on a timer, and at once when it is overdue (the app was
// off at the time). The clock and the timers are injected, so tests move time instead of waiting for it.

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers that never keep the process alive on their own. */
export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Longest single wait: a timer cannot wait a month (it overflows past ~24.8 days), and a sleeping computer's clock jumps. */
export const MAX_WAIT_MS = 6 * 60 * 60 * 1000;
/** After a scheduled scrub that could not run or failed, it is tried again this much later, not at once. */
export const RETRY_MS = 60 * 60 * 1000;

export interface ScrubSchedulerOptions {
  clock: () => number;
  timers: Timers;
  /** When the next scrub is due (ms since the epoch), or null: none (schedule off, or no mirror open). */
  due(): number | null;
  /** Runs the scrub; a successful one moves `due()` on. */
  run(): Promise<void>;
}

export class ScrubScheduler {
  #handle: unknown;
  #running: Promise<void> | undefined;
  #retryAt: number | undefined;
  #stopped = false;

  constructor(private readonly o: ScrubSchedulerOptions) {}

  /** The scheduled scrub running now, if any. */
  get running(): Promise<void> | undefined { return this.#running; }

  /** Looks at when the next scrub is due and waits for it (or runs it now); call again whenever that may change. */
  arm(): void {
    this.#clear();
    if (this.#stopped || this.#running) return;
    const due = this.o.due();
    if (due === null) return;
    const at = Math.max(due, this.#retryAt ?? 0);
    const wait = at - this.o.clock();
    if (wait <= 0) { this.#start(due); return; }
    this.#handle = this.o.timers.set(() => { this.#handle = undefined; this.arm(); }, Math.min(wait, MAX_WAIT_MS));
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #start(due: number): void {
    this.#running = this.o.run().catch(() => {}).finally(() => {
      this.#running = undefined;
      // Still due (it failed, or could not start): try again later instead of spinning.
      const next = this.o.due();
      this.#retryAt = next !== null && next <= due ? this.o.clock() + RETRY_MS : undefined;
      this.arm();
    });
  }

  #clear(): void {
    if (this.#handle !== undefined) this.o.timers.clear(this.#handle);
    this.#handle = undefined;
  }
}
