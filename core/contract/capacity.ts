// How full the mirror is: each member's drive space, and a warning before the mirror fills — one rule for the
// dashboard and the desktop notification.
import { formatBytes } from './format-bytes.ts';
import type { DriveInfo, MemberStatus, MirrorStatus } from './types.ts';

/** Warn from here, and louder from here: fractions of a member drive used. */
export const FULL_WARN = 0.9;
export const FULL_ALARM = 0.95;

export interface MemberSpace { sizeBytes: number; freeBytes: number; usedFraction: number }

export interface CapacityWarning {
  level: 'warn' | 'alarm';
  memberId: string;
  label: string;
  usedFraction: number;
  freeBytes: number;
  /** One sentence: which drive, how full, what happens and what to do. */
  text: string;
}

const sepOf = (p: string) => (p.includes('\\') && !p.includes('/') ? '\\' : '/');

/** Whether `path` is the mount point or inside it (Windows drive letters compared without case). */
function isOnMount(path: string, mount: string): boolean {
  const windows = /^[a-z]:/i.test(mount);
  const [p, m] = windows ? [path.toLowerCase(), mount.toLowerCase()] : [path, mount];
  if (p === m) return true;
  const sep = sepOf(m);
  return p.startsWith(m.endsWith(sep) ? m : m + sep);
}

/** The drive a folder is on: the one with the longest mount point holding its path. */
export function driveOf(path: string, drives: readonly DriveInfo[]): DriveInfo | undefined {
  let best: DriveInfo | undefined;
  for (const d of drives) {
    if (isOnMount(path, d.mountPoint) && (!best || d.mountPoint.length > best.mountPoint.length)) best = d;
  }
  return best;
}

/** The space of the drive a member's folder is on; null when none is known (or it does not answer). */
export function memberSpace(member: MemberStatus, drives: readonly DriveInfo[]): MemberSpace | null {
  const best = member.path ? driveOf(member.path, drives) : undefined;
  if (!best || best.notResponding || !(best.sizeBytes > 0)) return null;
  return { sizeBytes: best.sizeBytes, freeBytes: best.freeBytes, usedFraction: Math.min(1, Math.max(0, 1 - best.freeBytes / best.sizeBytes)) };
}

/** 0.915 → "91 %": rounded down (a drive 99.6 % full is not "100 %"), past float noise (0.19999… is 20 %). */
export const percentUsed = (f: number): string => `${Math.floor(f * 100 + 1e-6)} %`;

/**
 * The mirror fills when its first member drive does: for drives that hold only the mirror, the smallest. So the
 * fullest attached member decides — a warning from 90 % used, an alarm from 95 %; null below, or when no size is known.
 */
export function capacityWarning(mirror: MirrorStatus | null, drives: readonly DriveInfo[]): CapacityWarning | null {
  let worst: { m: MemberStatus; s: MemberSpace } | undefined;
  for (const m of mirror?.members ?? []) {
    if (m.state === 'removed' || m.state === 'faulty') continue;
    const s = memberSpace(m, drives);
    if (s && (!worst || s.usedFraction > worst.s.usedFraction)) worst = { m, s };
  }
  if (!worst || worst.s.usedFraction < FULL_WARN) return null;
  const { m, s } = worst;
  const level = s.usedFraction >= FULL_ALARM ? 'alarm' : 'warn';
  const text = `${m.label} is ${percentUsed(s.usedFraction)} full (${formatBytes(s.freeBytes)} free), and the mirror is full when any of its drives is. `
    + (level === 'alarm' ? 'Writes will soon be refused: free some space on it, or replace it with a bigger drive, now.'
      : 'Free some space on it, or plan a bigger drive.');
  return { level, memberId: m.id, label: m.label, usedFraction: s.usedFraction, freeBytes: s.freeBytes, text };
}
