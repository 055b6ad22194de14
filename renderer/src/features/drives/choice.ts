// What the user chose for one drive in the picker, and how that becomes a MemberSpec.
import type { DriveInfo, MemberSpec } from '../../../../core/api/types.ts';

export interface DriveChoice {
  path: string;
  label: string;
  writeMostly: boolean;
  simulateSlow: boolean;
  slowKBps: number;
  slowLatencyMs: number;
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

export function initialChoice(d: DriveInfo): DriveChoice {
  return { path: defaultFolder(d.mountPoint), label: driveName(d), writeMostly: suggestWriteMostly(d), simulateSlow: false,
    slowKBps: 512, slowLatencyMs: 20 };
}

export function toSpec(c: DriveChoice): MemberSpec {
  const spec: MemberSpec = { path: c.path.trim(), writeMostly: c.writeMostly };
  if (c.label.trim()) spec.label = c.label.trim();
  if (c.simulateSlow) spec.throttle = { bytesPerSecond: Math.max(1, c.slowKBps) * 1024, latencyMs: Math.max(0, c.slowLatencyMs) };
  return spec;
}
