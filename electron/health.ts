// Electron-free wording of mirror health for the tray and native notifications, from the same events the UI gets.
import type { AppEvent, AppPhase } from '../core/contract/contract.ts';
import type { DriveInfo, MemberState, MirrorStatus } from '../core/contract/types.ts';
import { capacityWarning, type CapacityWarning } from '../core/contract/capacity.ts';

export type HealthLevel = 'ok' | 'busy' | 'warning' | 'off';
export interface TrayHealth { level: HealthLevel; tooltip: string; lines: string[] }

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

function memberLine(m: MirrorStatus['members'][number]): string {
  switch (m.state) {
    case 'in_sync': return `${m.label}: in sync`;
    case 'behind': return `${m.label}: ${m.behindWrites} writes (${mb(m.behindBytes)}) behind`;
    case 'resyncing': {
      const r = m.resync;
      return `${m.label}: resyncing${r && r.totalBytes > 0 ? ` ${Math.floor((r.doneBytes / r.totalBytes) * 100)}%` : ''}`;
    }
    case 'faulty': return `${m.label}: failed${m.error ? ` (${m.error})` : ''}`;
    case 'removed': return `${m.label}: removed`;
  }
}

export function trayHealth(mirror: MirrorStatus | null, appState: AppPhase): TrayHealth {
  if (appState === 'flushing') return { level: 'busy', tooltip: 'NAS Mirror — flushing behind writes before quitting…', lines: [] };
  if (appState === 'stopped') return { level: 'off', tooltip: 'NAS Mirror — stopped', lines: [] };
  if (mirror === null) return { level: 'off', tooltip: 'NAS Mirror — no mirror open', lines: [] };
  const lines = mirror.members.map(memberLine);
  const faulty = mirror.members.filter((m) => m.state === 'faulty');
  const resyncing = mirror.members.filter((m) => m.state === 'resyncing');
  const behind = mirror.members.filter((m) => m.state === 'behind');
  const summary = faulty.length ? `${faulty.map((m) => m.label).join(', ')} failed`
    : resyncing.length ? `resyncing ${resyncing.map((m) => m.label).join(', ')}`
    : behind.length ? `healthy, ${behind.map((m) => m.label).join(', ')} catching up`
    : 'healthy, every member in sync';
  const level: HealthLevel = faulty.length ? 'warning' : resyncing.length ? 'busy' : 'ok';
  return { level, tooltip: `NAS Mirror — ${mirror.label}: ${summary}`, lines };
}

export interface NativeNotice { title: string; body: string }

/**
 * Decides which events deserve a native notification: a member failing, reads falling back to a lagging drive
 * (once per drive per quiet period, not per read), a drive safe to remove, a resync finished, the mirror filling up.
 */
export class NotificationPolicy {
  readonly #labels = new Map<string, string>();
  readonly #states = new Map<string, MemberState>();
  readonly #lastFallback = new Map<string, number>();
  #mirror: MirrorStatus | null = null;
  #drives: DriveInfo[] = [];
  /** The capacity level last told: told again only when it gets worse (90 % → 95 %), or after it went below. */
  #capacity: CapacityWarning['level'] | null = null;

  constructor(private readonly now: () => number = Date.now, private readonly fallbackQuietMs = 60_000) {}

  seed(mirror: MirrorStatus | null, drives?: DriveInfo[]): void {
    this.#mirror = mirror;
    if (drives) this.#drives = drives;
    for (const m of mirror?.members ?? []) { this.#labels.set(m.id, m.label); this.#states.set(m.id, m.state); }
  }

  /** A notice when the mirror crosses 90 % or 95 % full (capacityWarning, the dashboard's rule). */
  #capacityNotice(): NativeNotice | null {
    const w = capacityWarning(this.#mirror, this.#drives);
    const was = this.#capacity;
    this.#capacity = w?.level ?? null;
    if (!w || w.level === was || (was === 'alarm' && w.level === 'warn')) return null;
    return { title: w.level === 'alarm' ? 'The mirror is almost full' : 'The mirror is filling up', body: w.text };
  }

  next(event: AppEvent): NativeNotice | null {
    switch (event.type) {
      case 'mirror-changed': this.seed(event.mirror); return this.#capacityNotice();
      case 'drives-changed': this.seed(this.#mirror, event.drives); return this.#capacityNotice();
      case 'member-state': {
        const before = this.#states.get(event.memberId);
        this.#states.set(event.memberId, event.state);
        const label = this.#label(event.memberId);
        if (event.state === 'faulty' && before !== 'faulty') {
          return { title: `Drive failed: ${label}`, body: event.error ?? `NAS Mirror stopped using ${label}. Your files are still served from the other drives.` };
        }
        if (event.state === 'in_sync' && before === 'resyncing') return { title: 'Resync finished', body: `${label} is up to date again.` };
        return null;
      }
      case 'read-fallback': {
        const last = this.#lastFallback.get(event.memberId);
        if (last !== undefined && this.now() - last < this.fallbackQuietMs) return null;
        this.#lastFallback.set(event.memberId, this.now());
        const label = this.#label(event.memberId);
        return { title: `Reading from ${label}`, body: `No fast drive is available. Reads wait for ${event.waitingWrites} writes (${mb(event.waitingBytes)}) to land on ${label}.` };
      }
      case 'eject-progress':
        if (event.progress.phase !== 'done') return null;
        return { title: `Safe to remove ${this.#label(event.memberId)}`, body: 'Every write has landed and the drive is unmounted. You can unplug it now.' };
      default: return null;
    }
  }

  #label(memberId: string): string { return this.#labels.get(memberId) ?? 'a drive'; }
}
