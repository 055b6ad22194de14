// macOS discovery: node-disk-info's df listing, each /dev/disk* volume described by `diskutil info -plist`.
import type { DriveInfo } from '../contract/types.ts';
import type { CommandRunner } from './command-runner.ts';
import type { DfEntry } from './linux-parse.ts';
import { findMembersOnDrive } from './member-probe.ts';
import { parsePlist, type PlistValue } from './plist.ts';

type Dict = { [key: string]: PlistValue };
const bool = (v: PlistValue | undefined) => (typeof v === 'boolean' ? v : undefined);
const numOf = (v: PlistValue | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strOf = (v: PlistValue | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

/** One volume from `diskutil info -plist <dev>`; null when it is not mounted. df (512-byte blocks) fills gaps. */
export function driveFromDiskutil(info: Dict, df?: DfEntry): Omit<DriveInfo, 'system' | 'member'> & { wholeDisk?: string } | null {
  const mountPoint = strOf(info.MountPoint);
  if (!mountPoint) return null;
  const internal = bool(info.Internal);
  const solid = bool(info.SolidState);
  // APFS volumes share their container's space: FreeSpace is 0 or stale there, APFSContainerFree is the truth.
  const free = numOf(info.APFSContainerFree) ?? numOf(info.FreeSpace) ?? (df ? df.available * 512 : 0);
  const size = numOf(info.TotalSize) ?? numOf(info.Size) ?? numOf(info.VolumeSize) ?? (df ? df.blocks * 512 : 0);
  const drive: Omit<DriveInfo, 'system' | 'member'> & { wholeDisk?: string } = {
    mountPoint,
    device: strOf(info.DeviceNode) ?? df?.filesystem ?? '',
    filesystem: strOf(info.FilesystemType) ?? strOf(info.FilesystemName)?.toLowerCase() ?? 'unknown',
    sizeBytes: size,
    freeBytes: free,
    removable: bool(info.RemovableMediaOrExternalDevice) === true || bool(info.Ejectable) === true
      || bool(info.Removable) === true || internal === false,
    readOnly: bool(info.WritableVolume) === false,
  };
  const label = strOf(info.VolumeName);
  if (label) drive.label = label;
  if (solid !== undefined) drive.rotational = !solid;
  // For APFS the container is what shares space and fate; otherwise the whole disk.
  const whole = strOf(info.APFSContainerReference) ?? strOf(info.ParentWholeDisk);
  if (whole) drive.wholeDisk = whole;
  return drive;
}

/** Parses one plist and maps it, for tests and for listMacDrives. */
export function parseDiskutilInfo(xml: string, df?: DfEntry) {
  const v = parsePlist(xml);
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('diskutil info -plist: expected a dict');
  return driveFromDiskutil(v, df);
}

/**
 * Since Catalina "/" is a sealed read-only snapshot and the user's files live on the Data volume behind firmlinks;
 * folders under /Users resolve to "/" by path, so "/" must carry the Data volume's writability.
 */
const DATA_VOLUME = '/System/Volumes/Data';

export function assembleMacDrives(volumes: (ReturnType<typeof driveFromDiskutil>)[]): DriveInfo[] {
  const mounted = volumes.filter((v): v is NonNullable<typeof v> => v !== null);
  const root = mounted.find((v) => v.mountPoint === '/');
  const data = mounted.find((v) => v.mountPoint === DATA_VOLUME);
  const systemWhole = root?.wholeDisk;
  return mounted
    // The other /System/Volumes/* (VM, Preboot, Update…) are macOS internals nobody should pick.
    .filter((v) => !v.mountPoint.startsWith('/System/Volumes/'))
    .map(({ wholeDisk, ...v }) => {
      const drive: DriveInfo = { ...v, system: v.mountPoint === '/' || (systemWhole !== undefined && wholeDisk === systemWhole) };
      if (v.mountPoint === '/' && data) { drive.readOnly = data.readOnly; drive.freeBytes = data.freeBytes; }
      return drive;
    });
}

export async function listMacDrives(runner: CommandRunner, readDf: () => Promise<DfEntry[]>): Promise<DriveInfo[]> {
  const df = (await readDf()).filter((d) => d.filesystem.startsWith('/dev/disk'));
  const volumes = await Promise.all(df.map(async (d) => {
    const r = await runner.run('diskutil', ['info', '-plist', d.filesystem]);
    return r.code === 0 ? parseDiskutilInfo(r.stdout, d) : null;
  }));
  const drives = assembleMacDrives(volumes);
  await Promise.all(drives.map(async (d) => {
    const m = (await findMembersOnDrive(d.mountPoint))[0];
    if (m) d.member = { mirrorId: m.mirrorId, memberId: m.memberId };
  }));
  return drives;
}
