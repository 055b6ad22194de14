// A scrub (check or repair) in progress or finished: paths compared, and every finding with what repair does about it
// (DESIGN §6, §8a). A check's findings are the plan a repair is confirmed against.
import type { FindingAction, ScrubFinding, ScrubResult } from '../../../core/contract/types.ts';

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

/** What a repair of these findings will do, counted by action, for the confirmation. */
export function planSummary(findings: readonly ScrubFinding[]): Record<FindingAction, number> {
  const n: Record<FindingAction, number> = { heal: 0, take: 0, conflict: 0, none: 0 };
  for (const f of findings) if (!f.done) n[f.action]++;
  return n;
}

const key = (f: ScrubFinding) => `${f.path}\u0000${f.memberId}`;

export class ScrubState {
  #view = $state.raw<ScrubView | null>(null);
  #findings = $state.raw<ScrubFinding[]>([]);

  get view(): ScrubView | null { return this.#view; }
  get running(): boolean { return this.#view?.running ?? false; }
  /** The findings of the scrub shown: live while it runs, then as its result lists them. */
  get findings(): ScrubFinding[] { return this.#findings; }
  /** The findings repair can still act on (not done): the plan. */
  get open(): ScrubFinding[] { return this.#findings.filter((f) => !f.done); }

  begin(repair: boolean): void {
    this.#view = { repair, running: true, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
    // A repair keeps the plan on screen until its own result replaces it; a check starts afresh.
    if (!repair) this.#findings = [];
  }

  progress(p: { donePaths: number; totalPaths: number; mismatches: number; repaired: number; done: boolean }, now: number): void {
    const v = this.#view ?? { repair: p.repaired > 0, running: true, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
    this.#view = { ...v, donePaths: p.donePaths, totalPaths: p.totalPaths, mismatches: p.mismatches, repaired: p.repaired,
      running: !p.done, finishedAt: p.done ? now : undefined };
  }

  /** One finding as the scrub finds it (a repair's replaces the check's entry for the same copy). */
  found(f: ScrubFinding): void {
    const k = key(f);
    const i = this.#findings.findIndex((x) => key(x) === k);
    this.#findings = i < 0 ? [...this.#findings, f] : this.#findings.map((x, j) => (j === i ? f : x));
  }

  finish(r: ScrubResult, now: number): void {
    const v = this.#view ?? { repair: false, running: false, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0 };
    this.#view = { ...v, running: false, donePaths: r.checkedPaths, totalPaths: Math.max(v.totalPaths, r.checkedPaths),
      mismatches: r.mismatches, repaired: r.repaired, finishedAt: now };
    if (r.findings) {
      if (v.repair) for (const f of r.findings) this.found(f);
      else this.#findings = r.findings;
    }
  }

  /** The findings still open, as the core knows them (after a reload the list comes back from there). */
  adopt(open: ScrubFinding[]): void {
    if (!this.running && this.#findings.length === 0) this.#findings = open;
  }

  fail(error: string): void {
    if (this.#view) this.#view = { ...this.#view, running: false, error };
    else this.#view = { repair: false, running: false, donePaths: 0, totalPaths: 0, mismatches: 0, repaired: 0, error };
  }
}
