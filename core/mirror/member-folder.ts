// A member's folder: the checks before a folder may join a mirror, its metadata folder, and what its filesystem accepts.
import { randomBytes } from 'node:crypto';
import { readdir, realpath, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorError } from '../api/errors.ts';
import type { MemberSpec } from '../api/types.ts';
import { errnoCode, writeFileAtomic, type Filesystem } from '../fs/filesystem.ts';
import { ConfinedFs } from '../fs/confined-fs.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { SlowFs } from '../fs/slow-fs.ts';
import { DEFAULT_STALL_MS, WatchdogFs } from '../fs/watchdog-fs.ts';
import { readSuperblock, tmpDirOf } from '../journal/superblock.ts';
import { isInside, META_DIR, POSIX_RULES, type NameRules } from './paths.ts';

const MSDOS_SUPER_MAGIC = 0x4d44;
const FAT32_MAX = 4 * 1024 ** 3 - 1;

/** A member spec as the engine takes it: tests and benchmarks may hand in a wrapped filesystem (FaultyFs). */
export interface EngineMemberSpec extends MemberSpec { fs?: Filesystem }

/**
 * The member's filesystem: the real one (or the one given), behind a SlowFs when the spec simulates a slow drive,
 * and behind a watchdog that turns a drive that stopped answering into errors (see watchdog-fs.ts).
 */
export function memberFs(spec: EngineMemberSpec, stallMs = DEFAULT_STALL_MS, root?: string): Filesystem {
  const real = spec.fs ?? new NodeFs();
  const t = spec.throttle;
  const device = t && ((t.latencyMs ?? 0) > 0 || (t.bytesPerSecond ?? 0) > 0) ? new SlowFs(real, t) : real;
  // Inside the folder, no symbolic link is ever followed (confined-fs.ts); the watchdog times the whole call.
  const confined = root ? new ConfinedFs(device, root) : device;
  return stallMs > 0 ? new WatchdogFs(confined, { stallMs }) : confined;
}

/** Removes a folder of ours if it is there (through the member's filesystem, so a hung drive cannot hang us). */
async function removeIfThere(fs: Filesystem, path: string): Promise<void> {
  await fs.remove(path).catch((e) => { if (errnoCode(e) !== 'ENOENT') throw e; });
}

/**
 * Creates .nas-mirror/tmp, clears temp files and half-emptied trash a crash left behind, and learns the filesystem's
 * name rules. The caller makes sure nothing of the mirror still runs on this folder (mirror.ts #quiet).
 */
export async function prepareMemberFolder(fs: Filesystem, root: string): Promise<NameRules> {
  const tmp = tmpDirOf(root);
  await removeIfThere(fs, tmp);
  await fs.mkdir(tmp);
  const meta = join(root, META_DIR);
  for (const e of await fs.readdir(meta)) if (e.name.startsWith('purge-')) await removeIfThere(fs, join(meta, e.name));
  return probeNameRules(fs, root);
}

/** Learns by trying, not by filesystem name: a FUSE exFAT mount calls itself "fuseblk". */
async function probeNameRules(fs: Filesystem, root: string): Promise<NameRules> {
  const tmp = tmpDirOf(root);
  const name = `probe-${randomBytes(4).toString('hex')}-aB`;
  await writeFileAtomic(fs, join(tmp, name), tmp, new Uint8Array(0));
  const caseInsensitive = await fs.stat(join(tmp, name.toUpperCase())).then(() => true, () => false);
  let windowsNames = false;
  try {
    await writeFileAtomic(fs, join(tmp, `${name}:?`), tmp, new Uint8Array(0));
  } catch {
    windowsNames = true;
  }
  await removeIfThere(fs, tmp);
  await fs.mkdir(tmp);
  let maxFileSize = POSIX_RULES.maxFileSize;
  try {
    if ((await statfs(root)).type === MSDOS_SUPER_MAGIC) maxFileSize = FAT32_MAX;
  } catch { /* statfs unsupported: assume no limit */ }
  return { caseInsensitive, windowsNames: windowsNames || caseInsensitive && process.platform !== 'darwin', maxFileSize };
}

/** Refuses what would break a mirror: the same folder twice, nested folders, another mirror's folder, a read-only or non-empty folder. */
export async function checkNewMemberFolder(real: string, existingRoots: readonly string[], spec: MemberSpec): Promise<void> {
  const where = { path: spec.path };
  const s = await stat(real).catch(() => null);
  if (!s) throw new MirrorError('ENOTFOUND', `The folder "${spec.path}" does not exist. Create it (or mount its drive) first.`, where);
  if (!s.isDirectory()) throw new MirrorError('ENOTDIR', `"${spec.path}" is a file; choose a folder.`, where);
  for (const other of existingRoots) {
    if (other === real) throw new MirrorError('EDUPLICATE', `"${spec.path}" is already a member; the same folder cannot hold two copies.`, where);
    if (isInside(real, other) || isInside(other, real)) {
      throw new MirrorError('ENESTED', `"${spec.path}" and "${other}" are inside one another; members must be separate folders.`, where);
    }
  }
  const sb = await readSuperblock(new NodeFs(), real).catch(() => null);
  if (sb) throw new MirrorError('EFOREIGN', `"${spec.path}" already belongs to mirror "${sb.mirrorLabel}" (${sb.mirrorId}). Open that mirror, or choose another folder.`, where);
  if (!(await new NodeFs().writable(real))) throw new MirrorError('EREADONLY', `"${spec.path}" is read-only. Choose a folder on a writable drive.`, where);
  const entries = (await readdir(real)).filter((n) => n !== META_DIR && n !== 'lost+found');
  if (entries.length > 0) {
    throw new MirrorError('EBUSY', `"${spec.path}" is not empty (${entries.length} item${entries.length > 1 ? 's' : ''}); a new member must start empty so nothing in it is overwritten. Choose an empty folder.`, where);
  }
}

export async function resolveFolder(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}
