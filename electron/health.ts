// Electron-free wording of mirror health for the tray, and native notifications from the event history's entries.
import type { AppPhase } from '../core/contract/contract.ts';
import type { MirrorStatus } from '../core/contract/types.ts';
import type { HistoryEntry } from '../core/contract/history.ts';

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
 * The native notification of an event history entry, or null: the entries marked `notify` (a drive failing, reads
 * falling back to a lagging drive, a drive safe to remove, a catch-up finished, the mirror filling up, a scheduled
 * scrub that left problems) — the same entries Recent activity shows, so the two agree (core/app/history-feed.ts).
 */
export function noticeOf(entry: HistoryEntry): NativeNotice | null {
  return entry.notify ? { title: entry.title, body: entry.message } : null;
}
