// Windows discovery: one PowerShell call (Get-Volume, Get-Partition, Get-Disk, Get-PhysicalDisk) joined into DriveInfo.
import type { DriveInfo } from '../contract/types.ts';
import type { CommandRunner } from './command-runner.ts';
import { findMembersOnDrive } from './member-probe.ts';

/**
 * Enums are cast to strings in the script: ConvertTo-Json writes CIM enums as numbers, and which one depends on the
 * PowerShell version. @() keeps one-element lists as arrays. node-disk-info's wmic is gone from recent Windows 11.
 */
export const WINDOWS_LIST_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  '$v = @(Get-Volume | Where-Object { $_.DriveLetter } | Select-Object @{n=\'DriveLetter\';e={[string]$_.DriveLetter}}, FileSystemLabel, @{n=\'FileSystem\';e={[string]$_.FileSystemType}}, @{n=\'DriveType\';e={[string]$_.DriveType}}, Size, SizeRemaining, Path)',
  '$p = @(Get-Partition | Where-Object { $_.DriveLetter } | Select-Object @{n=\'DriveLetter\';e={[string]$_.DriveLetter}}, DiskNumber, IsBoot, IsSystem)',
  '$d = @(Get-Disk | Select-Object Number, @{n=\'BusType\';e={[string]$_.BusType}}, IsBoot, IsSystem, IsReadOnly, FriendlyName)',
  '$pd = @(Get-PhysicalDisk | Select-Object DeviceId, @{n=\'MediaType\';e={[string]$_.MediaType}})',
  '[pscustomobject]@{ volumes = $v; partitions = $p; disks = $d; physical = $pd } | ConvertTo-Json -Depth 4 -Compress',
].join('; ');

export const POWERSHELL_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command'] as const;

type Row = Record<string, unknown>;
/** ConvertTo-Json writes a lone element as an object on PowerShell 5.1 even when it came from @() in some cases. */
const rows = (v: unknown): Row[] => (Array.isArray(v) ? v as Row[] : v && typeof v === 'object' ? [v as Row] : []);
const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const n = (v: unknown) => (typeof v === 'number' ? v : Number(v) || 0);

/** MSFT_Disk.BusType when it still arrives as a number. */
const BUS_TYPES: Record<string, string> = { 7: 'USB', 12: 'SD', 13: 'MMC', 4: '1394', 11: 'SATA', 17: 'NVMe', 3: 'ATA', 10: 'SAS' };
/** MSFT_Volume.DriveType numbers, in case a cast is lost. */
const DRIVE_TYPES: Record<string, string> = { 2: 'Removable', 3: 'Fixed', 4: 'Remote', 5: 'CD-ROM', 6: 'RAM Disk' };

export function parseWindowsVolumes(json: string): DriveInfo[] {
  const o = JSON.parse(json.replace(/^\uFEFF/, '')) as Row;
  const partitions = rows(o.partitions);
  const disks = rows(o.disks);
  const physical = rows(o.physical);
  const out: DriveInfo[] = [];
  for (const v of rows(o.volumes)) {
    const letter = s(v.DriveLetter).toUpperCase();
    if (!/^[A-Z]$/.test(letter)) continue;
    const driveType = DRIVE_TYPES[s(v.DriveType)] ?? s(v.DriveType);
    if (driveType === 'CD-ROM' || driveType === 'RAM Disk') continue;
    const part = partitions.find((p) => s(p.DriveLetter).toUpperCase() === letter);
    const disk = part ? disks.find((d) => n(d.Number) === n(part.DiskNumber)) : undefined;
    const phys = part ? physical.find((d) => s(d.DeviceId) === s(part.DiskNumber)) : undefined;
    const bus = disk ? BUS_TYPES[s(disk.BusType)] ?? s(disk.BusType) : '';
    const media = phys ? s(phys.MediaType) : '';
    const drive: DriveInfo = {
      mountPoint: `${letter}:\\`,
      device: s(v.Path) || `${letter}:`,
      filesystem: s(v.FileSystem).toLowerCase() || 'unknown',
      sizeBytes: n(v.Size),
      freeBytes: n(v.SizeRemaining),
      removable: driveType === 'Removable' || ['USB', 'SD', 'MMC', '1394'].includes(bus),
      readOnly: disk?.IsReadOnly === true,
      // The drive Windows boots from or runs from, like "/" on Linux.
      system: part?.IsBoot === true || part?.IsSystem === true || disk?.IsBoot === true || disk?.IsSystem === true,
    };
    const label = s(v.FileSystemLabel);
    if (label) drive.label = label;
    if (media === 'HDD' || media === '3') drive.rotational = true;
    else if (media === 'SSD' || media === 'SCM' || media === '4' || media === '5') drive.rotational = false;
    out.push(drive);
  }
  return out;
}

export async function listWindowsDrives(runner: CommandRunner): Promise<DriveInfo[]> {
  const r = await runner.run('powershell.exe', [...POWERSHELL_ARGS, WINDOWS_LIST_SCRIPT], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`Listing drives with PowerShell failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  const drives = parseWindowsVolumes(r.stdout);
  await Promise.all(drives.map(async (d) => {
    const m = (await findMembersOnDrive(d.mountPoint))[0];
    if (m) d.member = { mirrorId: m.mirrorId, memberId: m.memberId };
  }));
  return drives;
}
