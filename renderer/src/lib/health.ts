// One sentence of mirror health for the dashboard header and the window title: tone, headline, detail.
import type { MemberState, MemberStatus, MirrorState, MirrorStatus } from '../../../core/contract/types.ts';
import { formatBytes, plural } from '../ui/format.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

export interface Health { tone: Tone; headline: string; detail: string }

export const memberStateText: Record<MemberState, { text: string; tone: Tone }> = {
  in_sync: { text: 'In sync', tone: 'ok' },
  behind: { text: 'Behind', tone: 'warn' },
  resyncing: { text: 'Catching up', tone: 'info' },
  faulty: { text: 'Faulty', tone: 'bad' },
  removed: { text: 'Removed', tone: 'neutral' },
};

/** The mirror's state in words a person knows (md's "clean" and "active" are not), with what each means. */
export const mirrorStateText: Record<MirrorState, { text: string; explain: string }> = {
  clean: { text: 'All written', explain: 'Nothing is waiting to be written: every drive holds every change.' },
  // Not "Writing": the engine stays active from its first write until it stops, so an idle mirror showed "Writing".
  active: { text: 'In use', explain: 'Open for changes: the drives are marked "all written" again when the mirror stops, so a crash or power cut is noticed.' },
  degraded: { text: 'Degraded', explain: 'A drive is missing or has failed; the other drives hold your files.' },
  resyncing: { text: 'Catching up', explain: 'A drive is being brought up to date from the others.' },
  stopped: { text: 'Stopped', explain: 'The files are not served; every drive was left clean.' },
};

const isFast = (m: MemberStatus) => !m.writeMostly && (m.state === 'in_sync' || m.state === 'behind');
const isCurrent = (m: MemberStatus) => m.state === 'in_sync' || m.state === 'behind';

export function mirrorHealth(mirror: MirrorStatus): Health {
  const ms = mirror.members;
  const faulty = ms.filter((m) => m.state === 'faulty');
  const removed = ms.filter((m) => m.state === 'removed');
  const resyncing = ms.filter((m) => m.state === 'resyncing');
  const behind = ms.filter((m) => m.behindWrites > 0 && isCurrent(m));
  const current = ms.filter(isCurrent);
  const names = (l: MemberStatus[]) => l.map((m) => m.label).join(', ');

  if (mirror.state === 'stopped') return { tone: 'neutral', headline: 'Stopped', detail: 'The mirror is stopped; every drive was left clean.' };
  if (current.length === 0) return { tone: 'bad', headline: 'No usable drive', detail: 'Every drive is missing or faulty. Reconnect a drive to get your files back.' };
  if (faulty.length > 0) {
    return { tone: 'bad', headline: 'Degraded', detail: `${names(faulty)} ${faulty.length === 1 ? 'has' : 'have'} failed; your files are served from ${names(current)}.` };
  }
  if (!ms.some(isFast)) {
    return { tone: 'warn', headline: 'Running on a slow drive', detail: `No fast drive is left: reads come from ${names(current)} and wait for its pending writes.` };
  }
  if (resyncing.length > 0) return { tone: 'info', headline: 'Catching up', detail: `${names(resyncing)} ${resyncing.length === 1 ? 'is' : 'are'} being brought up to date.` };
  // Outside changes and scrub findings: never "Healthy" while one is open (issue 11, part 2).
  const attention = needsAttention(mirror);
  if (attention) return attention;
  if (removed.length > 0) {
    return { tone: 'info', headline: `${current.length} of ${ms.length} drives attached`, detail: `${names(removed)} ${removed.length === 1 ? 'is' : 'are'} ejected; changes are recorded so ${removed.length === 1 ? 'it catches' : 'they catch'} up when reconnected.` };
  }
  if (behind.length > 0) {
    const writes = behind.reduce((a, m) => a + m.behindWrites, 0);
    const bytes = behind.reduce((a, m) => a + m.behindBytes, 0);
    return { tone: 'ok', headline: 'Healthy', detail: `${ms.length === 2 ? 'Both' : `All ${ms.length}`} drives attached; ${plural(writes, 'write')} (${formatBytes(bytes)}) on the way to ${names(behind)}.` };
  }
  return { tone: 'ok', headline: 'Healthy', detail: ms.length === 2 ? 'Both drives are in sync.' : `All ${ms.length} drives are in sync.` };
}

/** Conflicts to resolve or scrub findings still open: what the header says instead of "Healthy". */
export function needsAttention(mirror: MirrorStatus): Health | null {
  const conflicts = mirror.conflicts ?? 0, findings = mirror.openFindings ?? 0;
  if (conflicts === 0 && findings === 0) return null;
  const parts = [
    conflicts > 0 ? `${plural(conflicts, 'file')} changed directly on a drive ${conflicts === 1 ? 'waits' : 'wait'} for you to choose which version to keep (Conflicts)` : '',
    findings > 0 ? `the last scrub found ${plural(findings, 'problem')} not yet repaired (Scrub)` : '',
  ].filter(Boolean);
  const text = parts.join('; ');
  return { tone: 'warn', headline: 'Needs attention', detail: text.charAt(0).toUpperCase() + text.slice(1) + '.' };
}
