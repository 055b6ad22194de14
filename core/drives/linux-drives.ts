// Linux discovery: node-disk-info's df listing, corrected and enriched with findmnt, lsblk, blkid and /sys/block.
import { readFile, realpath, statfs, access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DriveInfo } from '../api/types.ts';
import { tryStdout, type CommandRunner } from './command-runner.ts';
import {
  isDriveMount, isRemovable, joinDfWithMounts, parseFindmnt, parseLsblk, parseMountinfo, SYSTEM_MOUNTS, wholeDisk,
  type BlockDevice, type DfEntry, type MountEntry,
} from './linux-parse.ts';
import { findMembersOnDrive } from './member-probe.ts';

export const FINDMNT_COLUMNS = 'TARGET,SOURCE,FSTYPE,LABEL,UUID,SIZE,AVAIL,USED,OPTIONS';
const LSBLK_COLUMNS = 'NAME,PATH,PKNAME,TYPE,RM,ROTA,TRAN,HOTPLUG,RO,SIZE';

/** findmnt when present (it has sizes, labels and unmangled paths); /proc/self/mountinfo + statfs otherwise. */
async function readMounts(runner: CommandRunner): Promise<MountEntry[]> {
  const json = await tryStdout(runner, 'findmnt', ['-J', '-b', '-l', '-o', FINDMNT_COLUMNS]);
  if (json) return parseFindmnt(json);
  const mounts = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  await Promise.all(mounts.filter(isDriveMount).map(async (m) => {
    const s = await statfs(m.target).catch(() => null);
    if (s) { m.sizeBytes = s.blocks * s.bsize; m.availBytes = s.bavail * s.bsize; }
  }));
  return mounts;
}

async function readBlockDevices(runner: CommandRunner): Promise<Map<string, BlockDevice>> {
  const json = await tryStdout(runner, 'lsblk', ['-J', '-b', '-l', '-o', LSBLK_COLUMNS]);
  try {
    return json ? parseLsblk(json) : new Map();
  } catch {
    return new Map();
  }
}

/** /sys/block flags for a device, from the whole disk when it is a partition; the fallback when lsblk is missing. */
async function sysBlockFlags(devPath: string): Promise<{ removable?: boolean; rotational?: boolean }> {
  try {
    const name = basename(await realpath(devPath)); // /dev/mapper/x → dm-0
    let dir = await realpath(join('/sys/class/block', name));
    if (await access(join(dir, 'partition')).then(() => true, () => false)) dir = dirname(dir);
    const read = (f: string) => readFile(join(dir, f), 'utf8').then((s) => s.trim() === '1', () => undefined);
    return { removable: await read('removable'), rotational: await read('queue/rotational') };
  } catch {
    return {};
  }
}

/**
 * exfat-fuse and ntfs-3g show up as "fuseblk"; blkid reads the real type from the device (it also fills the label
 * when udev is not running to put it in lsblk).
 */
async function blkidValue(runner: CommandRunner, device: string, tag: 'TYPE' | 'LABEL'): Promise<string | undefined> {
  const out = await tryStdout(runner, 'blkid', ['-o', 'value', '-s', tag, device]);
  return out?.trim() || undefined;
}

/** Stacked mounts on one target: only the last one is visible, so only it is a drive. */
function lastPerTarget(mounts: MountEntry[]): MountEntry[] {
  const byTarget = new Map<string, MountEntry>();
  for (const m of mounts) { byTarget.delete(m.target); byTarget.set(m.target, m); }
  return [...byTarget.values()];
}

export async function listLinuxDrives(runner: CommandRunner, readDf: () => Promise<DfEntry[]>): Promise<DriveInfo[]> {
  const [df, mounts, devices] = await Promise.all([readDf().catch(() => []), readMounts(runner), readBlockDevices(runner)]);
  const drives = lastPerTarget(joinDfWithMounts(df, mounts).filter(isDriveMount));
  const systemDisks = new Set(mounts.filter((m) => SYSTEM_MOUNTS.has(m.target)).map((m) => wholeDisk(m.source, devices)));
  return Promise.all(drives.map(async (m): Promise<DriveInfo> => {
    const dev = devices.get(m.source);
    const sys = await sysBlockFlags(m.source);
    const isDev = m.source.startsWith('/dev/');
    const filesystem = m.fstype === 'fuseblk' && isDev ? (await blkidValue(runner, m.source, 'TYPE')) ?? m.fstype : m.fstype;
    const label = m.label ?? (isDev ? await blkidValue(runner, m.source, 'LABEL') : undefined);
    const members = await findMembersOnDrive(m.target);
    const drive: DriveInfo = {
      mountPoint: m.target,
      device: m.source,
      filesystem,
      sizeBytes: m.sizeBytes,
      freeBytes: m.availBytes,
      removable: isRemovable(m.source, devices) || sys.removable === true,
      readOnly: m.options.includes('ro') || dev?.readOnly === true,
      system: SYSTEM_MOUNTS.has(m.target) || systemDisks.has(wholeDisk(m.source, devices)),
    };
    if (label) drive.label = label;
    const rotational = dev?.rotational ?? sys.rotational;
    if (rotational !== undefined) drive.rotational = rotational;
    if (members[0]) drive.member = { mirrorId: members[0].mirrorId, memberId: members[0].memberId };
    return drive;
  }));
}
