// Unmounting (and powering off) a member's drive on each platform: the command plan is pure, running it is not.
import type { DriveInfo } from '../contract/types.ts';
import { MirrorError } from '../contract/errors.ts';
import type { CommandRunner } from './command-runner.ts';
import { describeHolders, findHolders, type Holder } from './holders.ts';
import { POWERSHELL_ARGS } from './windows-drives.ts';

export interface Command { cmd: string; args: string[]; /** A failure here does not undo a good unmount (power-off). */ optional?: boolean }

export interface LinuxTools { udisks: boolean; fusermount3: boolean }

/**
 * udisks when its daemon answers: it unmounts as the desktop would and powers the disk down so the user can pull it.
 * Otherwise umount(8); FUSE mounts (exfat-fuse, ntfs-3g) through fusermount3 so a non-root user can release them.
 */
export function linuxUnmountPlan(drive: DriveInfo, fstype: string, tools: LinuxTools): Command[] {
  const isFuse = fstype === 'fuseblk' || fstype.startsWith('fuse.');
  if (tools.udisks && drive.device.startsWith('/dev/') && !isFuse) {
    const plan: Command[] = [{ cmd: 'udisksctl', args: ['unmount', '--no-user-interaction', '-b', drive.device] }];
    // A loop image has no disk to power off; udisks would refuse.
    if (!drive.device.startsWith('/dev/loop')) plan.push({ cmd: 'udisksctl', args: ['power-off', '--no-user-interaction', '-b', drive.device], optional: true });
    return plan;
  }
  if (isFuse && tools.fusermount3) return [{ cmd: 'fusermount3', args: ['-u', drive.mountPoint] }];
  return [{ cmd: 'umount', args: [drive.mountPoint] }];
}

/** diskutil eject unmounts every volume of the disk and spins it down: what Finder's eject button does. */
export function macUnmountPlan(drive: DriveInfo): Command[] {
  return [{ cmd: 'diskutil', args: ['eject', drive.device || drive.mountPoint] }];
}

/**
 * Windows: the Shell "Eject" verb (what Explorer's "Eject" does: flush, dismount, prepare for removal), then wait for
 * the volume to go away, because the verb itself returns at once and reports nothing. Exit 5 means "still there".
 */
export function windowsUnmountPlan(drive: DriveInfo): Command[] {
  const letter = /^([A-Za-z]):/.exec(drive.mountPoint)?.[1]?.toUpperCase();
  if (!letter) throw new MirrorError('EUNMOUNT', `Cannot eject ${drive.mountPoint}: only drives with a letter can be ejected here.`);
  const script = [
    "$ErrorActionPreference = 'Stop'",
    `(New-Object -ComObject Shell.Application).Namespace(17).ParseName('${letter}:').InvokeVerb('Eject')`,
    '$deadline = (Get-Date).AddSeconds(20)',
    `while ((Get-Date) -lt $deadline) { if (-not (Get-Volume -DriveLetter '${letter}' -ErrorAction SilentlyContinue)) { exit 0 }; Start-Sleep -Milliseconds 250 }`,
    `[Console]::Error.WriteLine('${letter}: is still in use'); exit 5`,
  ].join('; ');
  return [{ cmd: 'powershell.exe', args: [...POWERSHELL_ARGS, script] }];
}

/** "target is busy" (umount), "Device or resource busy" (fusermount3), DeviceBusy (udisks), "dissented" (diskutil). */
export function isBusyFailure(stderr: string, code: number, platform: NodeJS.Platform): boolean {
  return /busy|dissented|in use/i.test(stderr) || (platform === 'win32' && code === 5);
}

/** diskutil names the dissenting process itself: "dissented by PID 812 (/Applications/Preview.app/...)". */
export function parseDiskutilDissenters(text: string): Holder[] {
  return [...text.matchAll(/dissented by PID (\d+)(?: \(([^)]*)\))?/g)].map((m) => ({ pid: Number(m[1]), command: m[2]?.split('/').pop() || '?' }));
}

async function linuxTools(runner: CommandRunner): Promise<LinuxTools> {
  const [udisks, fuse] = await Promise.all([runner.run('udisksctl', ['status']), runner.run('fusermount3', ['-V'])]);
  return { udisks: udisks.code === 0, fusermount3: fuse.code !== 127 };
}

async function mountedFstype(runner: CommandRunner, mountPoint: string): Promise<string> {
  const r = await runner.run('findmnt', ['-n', '-o', 'FSTYPE', '-M', mountPoint]);
  return r.code === 0 ? r.stdout.trim() : '';
}

export async function planFor(runner: CommandRunner, drive: DriveInfo, platform = process.platform): Promise<Command[]> {
  if (platform === 'darwin') return macUnmountPlan(drive);
  if (platform === 'win32') return windowsUnmountPlan(drive);
  return linuxUnmountPlan(drive, await mountedFstype(runner, drive.mountPoint), await linuxTools(runner));
}

/**
 * Waits between tries of a step that failed "busy": a drive is often held for a moment only (udev's blkid probing
 * it, a findmnt or file manager looking, a watcher closing; CI once saw `findmnt` holding a loop drive). About 2 s
 * in all, then the holders are named.
 */
export const BUSY_RETRY_MS = [100, 250, 500, 1000];

/** Runs the plan; on "busy" tries again a few times, then names the processes that hold the drive. Throws EBUSY or EUNMOUNT. */
export async function unmountDrive(runner: CommandRunner, drive: DriveInfo, where: { memberId?: string } = {}, retryMs: readonly number[] = BUSY_RETRY_MS): Promise<void> {
  for (const step of await planFor(runner, drive)) {
    let r = await runner.run(step.cmd, step.args, { timeoutMs: 60_000 });
    for (const wait of retryMs) {
      if (r.code === 0 || step.optional || !isBusyFailure((r.stderr || r.stdout).trim(), r.code, process.platform)) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
      r = await runner.run(step.cmd, step.args, { timeoutMs: 60_000 });
    }
    if (r.code === 0 || step.optional) continue;
    const detail = (r.stderr || r.stdout).trim();
    if (isBusyFailure(detail, r.code, process.platform)) {
      const holders = process.platform === 'darwin' ? parseDiskutilDissenters(detail) : await findHolders(runner, drive.mountPoint);
      const who = holders.length ? `it is in use by ${describeHolders(holders)}` : 'a program still has a file open on it';
      throw new MirrorError('EBUSY', `Cannot unmount ${drive.mountPoint}: ${who}. Close ${holders.length > 1 ? 'them' : 'it'} and eject again; ` +
        'the member was already flushed and marked clean, so nothing is lost and it can be re-added.', where);
    }
    throw new MirrorError('EUNMOUNT', `Cannot unmount ${drive.mountPoint} (${step.cmd} failed: ${detail || `exit ${r.code}`}). ` +
      'The member was flushed and marked clean; unmount the drive yourself before unplugging it.', where);
  }
}
