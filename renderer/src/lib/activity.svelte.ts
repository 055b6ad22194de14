// A short log of what happened (drives changing state, fallback reads, heals, ejects, scrubs), newest first.
import type { AppEvent } from '../../../core/contract/contract.ts';
import type { MirrorStatus } from '../../../core/contract/types.ts';
import { formatDuration, plural } from '../ui/format.ts';
import { memberStateText, type Tone } from './health.ts';

export interface Activity { key: number; at: number; tone: Tone; text: string }

export class ActivityLog {
  readonly limit: number;
  #items = $state.raw<Activity[]>([]);
  #nextKey = 1;

  constructor(limit = 30) { this.limit = limit; }

  get items(): Activity[] { return this.#items; }

  add(at: number, tone: Tone, text: string): void {
    this.#items = [{ key: this.#nextKey++, at, tone, text }, ...this.#items].slice(0, this.limit);
  }

  /** Records the events worth a line; progress counters and snapshots are not. */
  note(e: AppEvent, at: number, label: (memberId: string) => string, before: MirrorStatus | null): void {
    switch (e.type) {
      case 'mirror-changed':
        if (!before && e.mirror) this.add(at, 'ok', `Mirror "${e.mirror.label}" opened with ${plural(e.mirror.members.length, 'drive')}`);
        else if (before && !e.mirror) this.add(at, 'neutral', `Mirror "${before.label}" stopped`);
        break;
      case 'member-state': {
        const s = memberStateText[e.state];
        const was = before?.members.find((m) => m.id === e.memberId)?.state;
        if (e.state === 'in_sync' && was === 'resyncing') { this.add(at, 'ok', `${label(e.memberId)}: caught up, in sync`); return; }
        // 'behind' ⇄ 'in_sync' flips with every burst of writes: too chatty for a log.
        if (e.state === 'behind' || e.state === 'in_sync') return;
        this.add(at, s.tone, `${label(e.memberId)}: ${s.text.toLowerCase()}`);
        break;
      }
      case 'read-fallback-done':
        if (e.waitedMs >= 50) this.add(at, 'warn', `Read ${e.path} from ${label(e.memberId)} after waiting ${formatDuration(e.waitedMs)}`);
        break;
      case 'read-healed':
        this.add(at, 'info', `Healed ${e.path} on ${label(e.memberId)} (${e.reason === 'checksum' ? 'checksum mismatch' : 'read error'})`);
        break;
      case 'eject-progress':
        if (e.progress.phase === 'done') this.add(at, 'ok', `${label(e.memberId)} is safe to remove`);
        break;
      case 'outside-change': {
        const how = e.change === 'added' ? 'added' : e.change === 'deleted' ? 'deleted' : 'changed';
        if (e.outcome === 'taken') this.add(at, 'info', `${e.path} ${how} directly on ${label(e.memberId)}: mirrored to the other drives`);
        else this.add(at, 'warn', `${e.path} ${how} directly on ${label(e.memberId)}: a conflict to resolve`);
        break;
      }
      case 'scrub-progress':
        if (e.done) this.add(at, e.mismatches > e.repaired ? 'warn' : 'ok', `Scrub finished: ${plural(e.mismatches, 'mismatch', 'mismatches')}, ${e.repaired} repaired`);
        break;
      default:
        break;
    }
  }
}
