// The ETA of a member's resync (an adoption, a catch-up): the rate over the last few seconds of progress events, so a
// resumed run that skips what it already copied, or a drive that slows down, does not skew it for long.
import type { ResyncProgress } from '../../../core/contract/types.ts';

/** Samples older than this are forgotten: the estimate follows the drive's recent speed. */
const WINDOW_MS = 15_000;
/** Less than this much history is too little to promise anything. */
const MIN_SPAN_MS = 1500;

interface Sample { t: number; bytes: number; paths: number }

export class ResyncEta {
  #samples = $state.raw<Record<string, Sample[]>>({});

  /** One progress event of `memberId` at time `t` (ms). A restart (progress going back) starts a new window. */
  record(memberId: string, t: number, p: ResyncProgress): void {
    const old = this.#samples[memberId] ?? [];
    const last = old.at(-1);
    const kept = last && last.paths <= p.donePaths ? old.filter((s) => t - s.t <= WINDOW_MS) : [];
    this.#samples = { ...this.#samples, [memberId]: [...kept, { t, bytes: p.doneBytes, paths: p.donePaths }] };
  }

  /** Milliseconds left at the recent rate (bytes when sizes are known, else paths); null while it cannot be told. */
  etaMs(memberId: string, p: ResyncProgress | undefined): number | null {
    const s = this.#samples[memberId];
    if (!p || !s || s.length < 2) return null;
    const first = s[0]!, last = s.at(-1)!;
    const span = last.t - first.t;
    if (span < MIN_SPAN_MS) return null;
    const byBytes = p.totalBytes > 0 && last.bytes > first.bytes;
    const done = byBytes ? last.bytes - first.bytes : last.paths - first.paths;
    if (done <= 0) return null;
    const left = byBytes ? p.totalBytes - p.doneBytes : p.totalPaths - p.donePaths;
    return Math.max(0, (left / done) * span);
  }

  forget(memberId: string): void {
    if (!(memberId in this.#samples)) return;
    const { [memberId]: _gone, ...rest } = this.#samples;
    this.#samples = rest;
  }
}
