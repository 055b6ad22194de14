// What the user chose for one drive in the picker, and how that becomes a MemberSpec.
import type { DriveInfo, FolderContents, MemberSpec } from '../../../../core/contract/types.ts';
import { holdsUserData } from './holdings.ts';

export interface DriveChoice {
  path: string;
  label: string;
  writeMostly: boolean;
  simulateSlow: boolean;
  slowKBps: number;
  slowLatencyMs: number;
  /** The user set the folder (typed, browsed, or chose a new one): it is no longer moved to where the data is. */
  pathEdited?: boolean;
}

export function driveName(d: DriveInfo): string {
  if (d.label) return d.label;
  const parts = d.mountPoint.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? (d.system ? 'System drive' : d.mountPoint);
}

/** `<mountPoint>/NAS Mirror`, with the platform's separator. */
export function defaultFolder(mountPoint: string): string {
  const sep = mountPoint.includes('\\') && !mountPoint.includes('/') ? '\\' : '/';
  return mountPoint.endsWith(sep) ? `${mountPoint}NAS Mirror` : `${mountPoint}${sep}NAS Mirror`;
}

/** Slow drives (USB, spinning) are suggested as write-mostly: md's use case for a backup disk. */
export function suggestWriteMostly(d: DriveInfo): boolean {
  return d.removable || d.rotational === true;
}

/**
 * Where the mirror's folder goes by default: where the data is — the drive's root when it holds files of the user's
 * (they become the mirror's, or the picker says they cannot), otherwise a new "NAS Mirror" folder.
 */
export function defaultPath(d: DriveInfo, root: FolderContents | undefined): string {
  return holdsUserData(root) ? d.mountPoint : defaultFolder(d.mountPoint);
}

export function initialChoice(d: DriveInfo, root?: FolderContents): DriveChoice {
  return { path: defaultPath(d, root), label: driveName(d), writeMostly: suggestWriteMostly(d), simulateSlow: false,
    slowKBps: 512, slowLatencyMs: 20 };
}

export function toSpec(c: DriveChoice): MemberSpec {
  const spec: MemberSpec = { path: c.path.trim(), writeMostly: c.writeMostly };
  if (c.label.trim()) spec.label = c.label.trim();
  if (c.simulateSlow) spec.throttle = { bytesPerSecond: Math.max(1, c.slowKBps) * 1024, latencyMs: Math.max(0, c.slowLatencyMs) };
  return spec;
}
