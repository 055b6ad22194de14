// Which app events become history entries, in what words (issue 15, item 5): a drive failing and why, coming back,
// catching up, ejected; outside changes; healed and slow reads; the mirror filling up. Entries marked `notify` are
// the desktop notifications, so the notifications and Recent activity say the same thing.
import type { AppEvent } from '../contract/contract.ts';
import type { DriveInfo, MemberState, MirrorStatus } from '../contract/types.ts';
import { capacityWarning, type CapacityWarning } from '../contract/capacity.ts';
import { formatBytes } from '../contract/format-bytes.ts';
import type { HistoryDraft } from './event-history.ts';

const away = (s: MemberState | undefined) => s === 'faulty' || s === 'removed';

export class HistoryFeed {
  readonly #labels = new Map<string, string>();
  readonly #states = new Map<string, MemberState>();
  readonly #lastSlowRead = new Map<string, number>();
  /** Drives whose eject went through an unmount (a real drive; the demo's folder drives are only detached). */
  readonly #unmounting = new Set<string>();
  #mirror: MirrorStatus | null = null;
  #drives: DriveInfo[] = [];
  /** The capacity level last told: told again only when it gets worse (90 % → 95 %), or after it went below. */
  #capacity: CapacityWarning['level'] | null = null;

  /**
   * `labelOf`: the open mirror's label for a member the feed has not seen yet (a drive just added announces its
   * state before the mirror's new status does).
   */
  constructor(private readonly now: () => number = Date.now, private readonly slowReadQuietMs = 60_000,
    private readonly labelOf: (memberId: string) => string | undefined = () => undefined) {}

  /** What is true now (the mirror and drives at start), so the first events are judged against it. */
  seed(mirror: MirrorStatus | null, drives?: DriveInfo[]): void {
    this.#mirror = mirror;
    if (drives) this.#drives = drives;
    for (const m of mirror?.members ?? []) {
      this.#labels.set(m.id, m.label);
      if (!this.#states.has(m.id)) this.#states.set(m.id, m.state);
    }
  }

  next(event: AppEvent): HistoryDraft[] {
    switch (event.type) {
      case 'mirror-changed': {
        const before = this.#mirror;
        // Member states come with their own events; a new mirror's members start from what it says.
        if (!before && event.mirror) this.#states.clear();
        this.seed(event.mirror);
        const out: HistoryDraft[] = [];
        if (!before && event.mirror) {
          out.push({ kind: 'mirror', tone: 'ok', title: `Mirror ${event.mirror.label} opened`, message: `Mirror "${event.mirror.label}" opened with ${event.mirror.members.length} drives.` });
          // A drive that opened behind the others starts catching up at once, before any state event.
          for (const m of event.mirror.members.filter((x) => x.state === 'resyncing')) {
            out.push({ kind: 'catch-up-start', tone: 'info', memberId: m.id, label: m.label, title: `Catching up: ${m.label}`, message: `${m.label} is catching up with what changed while it was away.` });
          }
        } else if (before && !event.mirror) {
          out.push({ kind: 'mirror', tone: 'neutral', title: `Mirror ${before.label} stopped`, message: `Mirror "${before.label}" stopped; every drive was left clean.` });
        }
        return [...out, ...this.#capacityEntry()];
      }
      case 'drives-changed': this.#drives = event.drives; return this.#capacityEntry();
      case 'member-state': return this.#memberState(event.memberId, event.state, event.error);
      case 'read-fallback': {
        const last = this.#lastSlowRead.get(event.memberId);
        if (last !== undefined && this.now() - last < this.slowReadQuietMs) return [];
        this.#lastSlowRead.set(event.memberId, this.now());
        const label = this.#label(event.memberId);
        return [{ kind: 'slow-read', tone: 'warn', ...this.#drive(event.memberId), notify: true, title: `Reading from ${label}`,
          // A read with nothing pending does not wait: "Reads wait for 0 writes (0 B)" was what the demo showed.
          message: event.waitingWrites > 0
            ? `No fast drive is available. Reads wait for ${event.waitingWrites === 1 ? '1 write' : `${event.waitingWrites} writes`} (${formatBytes(event.waitingBytes)}) to land on ${label}.`
            : `No fast drive is available: reads come from ${label}, a slow drive.` }];
      }
      case 'read-healed': {
        const label = this.#label(event.memberId);
        return [{ kind: 'read-healed', tone: 'info', ...this.#drive(event.memberId), title: `Healed a bad read on ${label}`,
          message: `Healed ${event.path} on ${label} (${event.reason === 'checksum' ? 'checksum mismatch' : 'read error'}) from a good copy.` }];
      }
      case 'eject-progress': {
        if (event.progress.phase === 'unmounting') this.#unmounting.add(event.memberId);
        if (event.progress.phase !== 'done') return [];
        const label = this.#label(event.memberId);
        const unmounted = this.#unmounting.delete(event.memberId);
        return [{ kind: 'eject', tone: 'ok', ...this.#drive(event.memberId), notify: true, title: `Safe to remove ${label}`,
          message: unmounted
            ? `${label} is safe to remove: every write has landed and the drive is unmounted. You can unplug it now.`
            : `${label} is safe to remove: every write has landed and the mirror no longer uses it.` }];
      }
      case 'outside-change': {
        const label = this.#label(event.memberId);
        const taken = event.outcome === 'taken';
        return [{ kind: 'outside-change', tone: taken ? 'info' : 'warn', ...this.#drive(event.memberId),
          title: taken ? `Changed on ${label}` : `Conflict on ${label}`,
          message: `${event.path} ${event.change} directly on ${label}: ${taken ? 'mirrored to the other drives' : 'a conflict to resolve (Conflicts)'}.` }];
      }
      default: return [];
    }
  }

  #memberState(memberId: string, state: MemberState, error: string | undefined): HistoryDraft[] {
    const before = this.#states.get(memberId);
    this.#states.set(memberId, state);
    if (state === before) return [];
    const label = this.#label(memberId);
    const drive = this.#drive(memberId);
    switch (state) {
      case 'faulty':
        return [{ kind: 'drive-failed', tone: 'bad', ...drive, notify: true, title: `Drive failed: ${label}`,
          message: error ?? `NAS Mirror stopped using ${label}. Your files are still served from the other drives.` }];
      case 'resyncing':
        return [{ kind: 'catch-up-start', tone: 'info', ...drive, title: `Catching up: ${label}`,
          message: away(before) ? `${label} is back and catching up with what changed while it was away.`
            : before === undefined ? `${label} joined the mirror and is being brought up to date.` : `${label} is being brought up to date.` }];
      case 'in_sync':
      case 'behind':
        if (before === 'resyncing') return [{ kind: 'catch-up-done', tone: 'ok', ...drive, notify: true, title: 'Resync finished', message: `${label} is up to date again.` }];
        if (away(before)) return [{ kind: 'drive-back', tone: 'ok', ...drive, title: `${label} is back`, message: `${label} is back; nothing changed while it was away.` }];
        return [];
      case 'removed':
        return [];
    }
  }

  /** A notice when the mirror crosses 90 % or 95 % full (capacityWarning, the dashboard's rule). */
  #capacityEntry(): HistoryDraft[] {
    const w = capacityWarning(this.#mirror, this.#drives);
    const was = this.#capacity;
    this.#capacity = w?.level ?? null;
    if (!w || w.level === was || (was === 'alarm' && w.level === 'warn')) return [];
    return [{ kind: 'capacity', tone: w.level === 'alarm' ? 'bad' : 'warn', memberId: w.memberId, label: w.label, notify: true,
      title: w.level === 'alarm' ? 'The mirror is almost full' : 'The mirror is filling up', message: w.text }];
  }

  #label(memberId: string): string { return this.#knownLabel(memberId) ?? 'a drive'; }

  #knownLabel(memberId: string): string | undefined {
    const label = this.#labels.get(memberId) ?? this.labelOf(memberId);
    if (label !== undefined) this.#labels.set(memberId, label);
    return label;
  }

  #drive(memberId: string): { memberId: string; label?: string } {
    const label = this.#knownLabel(memberId);
    return label === undefined ? { memberId } : { memberId, label };
  }
}
