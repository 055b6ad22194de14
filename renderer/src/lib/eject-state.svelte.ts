// Eject of one member: requested → flushing → unmounting → done ("safe to remove"), or failed with a reason.
import type { EjectProgress } from '../../../core/contract/types.ts';

export interface EjectRun {
  memberId: string;
  /** Behind writes and bytes when the eject was asked for: the base of the flush progress. */
  startWrites: number;
  startBytes: number;
  progress?: EjectProgress;
  error?: string;
}

export type EjectStage = 'idle' | 'requested' | 'flushing' | 'unmounting' | 'done' | 'failed';

export class EjectState {
  #runs = $state.raw<Record<string, EjectRun>>({});

  run(memberId: string): EjectRun | undefined { return this.#runs[memberId]; }

  stage(memberId: string): EjectStage {
    const r = this.#runs[memberId];
    if (!r) return 'idle';
    if (r.error) return 'failed';
    return r.progress?.phase ?? 'requested';
  }

  /**
   * Fraction of the flush done: behind bytes (or writes) drained since the eject began. `live` is the member's current
   * backlog from 'behind' events when known; it is preferred because the first progress report may not carry counts.
   */
  fraction(memberId: string, live?: { writes: number; bytes: number }): number {
    const r = this.#runs[memberId];
    if (!r) return 0;
    const phase = r.progress?.phase;
    if (phase === 'unmounting' || phase === 'done') return 1;
    if (live && r.startBytes > 0) return Math.min(1, Math.max(0, 1 - live.bytes / r.startBytes));
    if (live && r.startWrites > 0) return Math.min(1, Math.max(0, 1 - live.writes / r.startWrites));
    const left = r.progress?.behindBytes ?? r.startBytes;
    if (r.startBytes > 0) return Math.min(1, Math.max(0, 1 - left / r.startBytes));
    const leftWrites = r.progress?.behindWrites ?? r.startWrites;
    return r.startWrites > 0 ? Math.min(1, Math.max(0, 1 - leftWrites / r.startWrites)) : 0;
  }

  begin(memberId: string, startWrites: number, startBytes: number): void {
    this.#runs = { ...this.#runs, [memberId]: { memberId, startWrites, startBytes } };
  }

  update(memberId: string, progress: EjectProgress): void {
    const r = this.#runs[memberId] ?? { memberId, startWrites: progress.behindWrites, startBytes: progress.behindBytes };
    this.#runs = { ...this.#runs, [memberId]: { ...r, progress, error: undefined } };
  }

  fail(memberId: string, error: string): void {
    const r = this.#runs[memberId] ?? { memberId, startWrites: 0, startBytes: 0 };
    this.#runs = { ...this.#runs, [memberId]: { ...r, error } };
  }

  clear(memberId: string): void {
    const { [memberId]: _gone, ...rest } = this.#runs;
    this.#runs = rest;
  }
}
