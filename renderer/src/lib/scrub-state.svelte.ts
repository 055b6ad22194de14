// A scrub (check or repair) in progress or finished: paths compared, mismatches found and repaired (DESIGN §6).

export interface ScrubView {
  repair: boolean;
  running: boolean;
  donePaths: number;
  totalPaths: number;
  mismatches: number;
  repaired: number;
  error?: string;
  finishedAt?: number;
}

export class ScrubState {
  #view = $state.raw<ScrubView | null>(null);

  get view(): ScrubView | null { return this.#view; }
  get running(): boolean { return this.#view?.running ?? false; }

  begin(repair: boolean): void {
    this.#view = { repair, running: true, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
  }

  progress(p: { donePaths: number; totalPaths: number; mismatches: number; repaired: number; done: boolean }, now: number): void {
    const v = this.#view ?? { repair: p.repaired > 0, running: true, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
    this.#view = { ...v, donePaths: p.donePaths, totalPaths: p.totalPaths, mismatches: p.mismatches, repaired: p.repaired,
      running: !p.done, finishedAt: p.done ? now : undefined };
  }

  finish(r: { checkedPaths: number; mismatches: number; repaired: number }, now: number): void {
    const v = this.#view ?? { repair: false, running: false, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
    this.#view = { ...v, running: false, donePaths: r.checkedPaths, totalPaths: Math.max(v.totalPaths, r.checkedPaths),
      mismatches: r.mismatches, repaired: r.repaired, finishedAt: now };
  }

  fail(error: string): void {
    if (this.#view) this.#view = { ...this.#view, running: false, error };
    else this.#view = { repair: false, running: false, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0, error };
  }
}
