// Linux discovery: node-disk-info's df listing, corrected and enriched with findmnt, lsblk, blkid and /sys/block.
import { readFile, realpath, access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DriveInfo } from '../contract/types.ts';
import { tryStdout, type CommandRunner } from './command-runner.ts';
import {
  isDriveMount, isRemovable, joinDfWithMounts, pairDfWithMounts, parseFindmnt, parseLsblk, parseMountinfo, SYSTEM_MOUNTS, wholeDisk,
  type BlockDevice, type DfEntry, type MountEntry,
} from './linux-parse.ts';
import { findMembersOnDrive } from './member-probe.ts';

export const FINDMNT_COLUMNS = 'TARGET,SOURCE,FSTYPE,LABEL,UUID,SIZE,AVAIL,USED,OPTIONS';
const LSBLK_COLUMNS = 'NAME,PATH,PKNAME,TYPE,RM,ROTA,TRAN,HOTPLUG,RO,SIZE';

/** How long one listing tool may take: a hung NFS share or a stopped FUSE daemon blocks statfs(2) forever. */
export const LIST_TIMEOUT_MS = 5000;
const SIZE_COLUMNS = new Set(['SIZE', 'AVAIL', 'USED']);
const NO_STATFS_COLUMNS = FINDMNT_COLUMNS.split(',').filter((c) => !SIZE_COLUMNS.has(c)).join(',');

interface Mounts {
  mounts: MountEntry[];
  /**
   * Where the sizes came from. 'findmnt': every mount answered statfs just now, so a `df` run will not hang either.
   * 'df': no findmnt here, df is the only source, run without that guarantee. 'each': findmnt timed out; each drive
   * was sized on its own and df must not run.
   */
  sizes: 'findmnt' | 'df' | 'each';
  /** Targets whose filesystem did not answer within LIST_TIMEOUT_MS. */
  notResponding: Set<string>;
}

/**
 * findmnt when present (it has sizes, labels and unmangled paths), run in a child with a timeout so a drive that
 * does not answer cannot stall us. If it times out, the table is read again without sizes (no statfs) and each drive
 * is sized on its own, so one hung share marks one drive "not responding" and the rest are listed as usual. Without
 * findmnt: /proc/self/mountinfo, sized by df.
 */
async function readMounts(runner: CommandRunner): Promise<Mounts> {
  const full = await runner.run('findmnt', ['-J', '-b', '-l', '-o', FINDMNT_COLUMNS], { timeoutMs: LIST_TIMEOUT_MS });
  if (full.code === 0) return { mounts: parseFindmnt(full.stdout), sizes: 'findmnt', notResponding: new Set() };
  const bare = full.code === 127 ? null : await tryStdout(runner, 'findmnt', ['-J', '-l', '-o', NO_STATFS_COLUMNS]);
  const mounts = bare ? parseFindmnt(bare) : parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  if (full.code === 127) return { mounts, sizes: 'df', notResponding: new Set() };
  const notResponding = new Set<string>();
  await Promise.all(mounts.filter(isDriveMount).map(async (m) => {
    const r = await runner.run('findmnt', ['-J', '-b', '-o', 'SIZE,AVAIL', '-M', m.target], { timeoutMs: LIST_TIMEOUT_MS });
    const sized = r.code === 0 ? parseFindmnt(r.stdout)[0] : undefined;
    if (sized) { m.sizeBytes = sized.sizeBytes; m.availBytes = sized.availBytes; } else notResponding.add(m.target);
  }));
  return { mounts, sizes: 'each', notResponding };
}

/** Sizes from df for mounts that have none (findmnt missing); df's Linux rows are 1K blocks. */
function sizeFromDf(mounts: MountEntry[], df: DfEntry[]): void {
  for (const [d, m] of pairDfWithMounts(df, mounts)) { m.sizeBytes = d.blocks * 1024; m.availBytes = d.available * 1024; }
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
  const [{ mounts, sizes, notResponding }, devices] = await Promise.all([readMounts(runner), readBlockDevices(runner)]);
  // node-disk-info runs `df -P` synchronously: on a hung mount it would freeze this whole process (the Electron main
  // process, timers and all), and it would deadlock on this process's own FUSE mount of the mirror (df's statfs of
  // it waits for an answer this process cannot give while it waits for df). So it runs only when findmnt is missing
  // and df is the only source of sizes; findmnt's sizes need nothing from it.
  const df = sizes === 'df' ? await readDf().catch(() => []) : [];
  if (sizes === 'df') sizeFromDf(mounts, df);
  const drives = lastPerTarget(joinDfWithMounts(df, mounts).filter(isDriveMount));
  const systemDisks = new Set(mounts.filter((m) => SYSTEM_MOUNTS.has(m.target)).map((m) => wholeDisk(m.source, devices)));
  return Promise.all(drives.map(async (m): Promise<DriveInfo> => {
    const dev = devices.get(m.source);
    const hung = notResponding.has(m.target);
    const sys = await sysBlockFlags(m.source);
    const isDev = m.source.startsWith('/dev/');
    const filesystem = m.fstype === 'fuseblk' && isDev ? (await blkidValue(runner, m.source, 'TYPE')) ?? m.fstype : m.fstype;
    const label = m.label ?? (isDev ? await blkidValue(runner, m.source, 'LABEL') : undefined);
    // A drive that does not answer is not read: each read would park one of libuv's four I/O threads for good.
    const members = hung ? [] : await findMembersOnDrive(m.target);
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
    if (hung) drive.notResponding = true;
    const rotational = dev?.rotational ?? sys.rotational;
    if (rotational !== undefined) drive.rotational = rotational;
    if (members[0]) drive.member = { mirrorId: members[0].mirrorId, memberId: members[0].memberId };
    return drive;
  }));
}
