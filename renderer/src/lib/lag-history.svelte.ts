// Per-member lag samples over the last few minutes, for the live chart on each member card.

export interface LagSample { t: number; writes: number; bytes: number }

export class LagHistory {
  readonly windowMs: number;
  /** Samples closer than this are merged, so a burst of events cannot grow the series without bound. */
  readonly resolutionMs: number;
  #series = $state.raw<Record<string, LagSample[]>>({});

  constructor(o: { windowMs?: number; resolutionMs?: number } = {}) {
    this.windowMs = o.windowMs ?? 2 * 60_000;
    this.resolutionMs = o.resolutionMs ?? 250;
  }

  series(memberId: string): LagSample[] { return this.#series[memberId] ?? []; }

  record(memberId: string, t: number, writes: number, bytes: number): void {
    const old = this.#series[memberId] ?? [];
    const cutoff = t - this.windowMs;
    let keep = old.filter((s) => s.t >= cutoff);
    const last = keep.at(-1);
    if (last && t - last.t < this.resolutionMs) {
      // Inside one resolution step the newest value wins, at the step's time, so the series stays evenly spaced.
      keep = [...keep.slice(0, -1), { t: last.t, writes, bytes }];
    } else {
      keep = [...keep, { t, writes, bytes }];
    }
    this.#series = { ...this.#series, [memberId]: keep };
  }

  forget(memberId: string): void {
    const { [memberId]: _gone, ...rest } = this.#series;
    this.#series = rest;
  }
}
