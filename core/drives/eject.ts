// ejectDrive: the engine's eject (drain, fsync, clean superblock) with progress, then unmount; "done" only after that.
import { realpath } from 'node:fs/promises';
import type { DriveInfo, EjectProgress } from '../contract/types.ts';
import { MirrorError } from '../contract/errors.ts';
import { engineEject, memberToEject } from '../mirror/engine-eject.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { nodeCommandRunner, type CommandRunner } from './command-runner.ts';
import { listDrives } from './list-drives.ts';
import { driveOf } from './placement.ts';
import { unmountDrive } from './unmount.ts';

export interface EjectOptions { runner?: CommandRunner; drives?: DriveInfo[] }

/**
 * Everything that would make the unmount impossible is checked before the engine ejects, so a refused eject changes
 * nothing: no drive found, the system drive, or another active member of this mirror on the same drive.
 */
async function driveToEject(mirror: Mirror, memberId: string, o: EjectOptions): Promise<DriveInfo> {
  const status = mirror.status();
  const member = memberToEject(mirror, memberId);
  const drives = o.drives ?? await listDrives(o.runner);
  const real = await realpath(member.path).catch(() => member.path);
  const drive = driveOf(real, drives);
  const where = { memberId, path: member.path };
  if (!drive) throw new MirrorError('EUNMOUNT', `No mounted drive holds "${member.path}"; it may already be unplugged.`, where);
  if (drive.system) {
    throw new MirrorError('EUNMOUNT', `"${member.label}" is on the system drive (${drive.mountPoint}), which cannot be ejected. Use "fail" or remove the member instead.`, where);
  }
  const neighbours = await Promise.all(status.members
    .filter((m) => m.id !== memberId && m.state !== 'removed' && m.state !== 'faulty')
    .map(async (m) => ({ m, drive: driveOf(await realpath(m.path).catch(() => m.path), drives) })));
  const sharing = neighbours.filter((n) => n.drive?.mountPoint === drive.mountPoint).map((n) => `"${n.m.label}"`);
  if (sharing.length) {
    throw new MirrorError('EBUSY', `${drive.mountPoint} also holds ${sharing.join(', ')} of this mirror; unmounting it would take ${sharing.length > 1 ? 'them' : 'it'} away too. Eject ${sharing.length > 1 ? 'those' : 'that'} member first.`, where);
  }
  return drive;
}

export async function ejectDrive(mirror: Mirror, memberId: string, onProgress: (p: EjectProgress) => void = () => {},
  o: EjectOptions = {}): Promise<void> {
  const runner = o.runner ?? nodeCommandRunner;
  const drive = await driveToEject(mirror, memberId, { ...o, runner });
  // The engine's own eject reports the flush (ETA from the member's measured rate); its "done" is not ours yet.
  try {
    await engineEject(mirror, memberId, (p) => { if (p.phase !== 'done') onProgress(p); });
  } catch (e) {
    // The drive did not end clean and complete (full, failed, not caught up): never "safe to remove" as a backup.
    // If the engine let go of it all the same, it is still unmounted, so pulling it cannot damage its filesystem;
    // the error says what the drive does not hold. A drive that stopped answering is left alone (umount would hang).
    const st = mirror.status().members.find((m) => m.id === memberId)?.state;
    const detached = st === 'removed' || st === 'faulty';
    if (detached && (e as { code?: string }).code !== 'ETIMEDOUT') {
      onProgress({ phase: 'unmounting', behindWrites: 0, behindBytes: 0, etaMs: 0 });
      await unmountDrive(runner, drive, { memberId }).catch(() => {});
    }
    throw e;
  }
  onProgress({ phase: 'unmounting', behindWrites: 0, behindBytes: 0, etaMs: 0 });
  await unmountDrive(runner, drive, { memberId });
  onProgress({ phase: 'done', behindWrites: 0, behindBytes: 0, etaMs: 0 });
}
