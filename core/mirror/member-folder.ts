// A member's folder: the checks before a folder may join a mirror, its metadata folder, and what its filesystem accepts.
import { randomBytes } from 'node:crypto';
import { readdir, realpath, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorError } from '../contract/errors.ts';
import type { MemberSpec } from '../contract/types.ts';
import { errnoCode, writeFileAtomic, type Filesystem } from '../fs/filesystem.ts';
import { ConfinedFs } from '../fs/confined-fs.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { SlowFs } from '../fs/slow-fs.ts';
import { DEFAULT_STALL_MS, WatchdogFs } from '../fs/watchdog-fs.ts';
import { readSuperblock, tmpDirOf } from '../journal/superblock.ts';
import { isInside, META_DIR, POSIX_RULES, type NameRules } from './paths.ts';
import { isSystemName } from './system-names.ts';
import { describeContents, inspectFolder } from './inspect-folder.ts';

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

/** The user's entries at the top of a folder: everything but our metadata and the system names (system-names.ts). */
export async function userEntries(real: string): Promise<string[]> {
  return (await readdir(real)).filter((n) => n !== META_DIR && !isSystemName(n, ''));
}

/** '"/media/usb" holds 2,000 files in 40 folders (1.2 GB), such as "Photos", "Notes.txt"' (counted within bounds). */
export async function describeFolder(spec: MemberSpec, real: string): Promise<string> {
  const c = await inspectFolder(real, { maxEntries: 10_000, maxMs: 1000 });
  const names = c.sample.slice(0, 3).map((n) => `"${n}"`).join(', ');
  return `"${spec.path}" holds ${describeContents(c)}${names ? `, such as ${names}` : ''}`;
}

/**
 * The refusal for a folder that holds files of its own where the mirror would put its copy: named, counted, and
 * left untouched. `why` says where the mirror's files come from.
 */
export async function holdsFilesError(spec: MemberSpec, real: string, why: string): Promise<MirrorError> {
  return new MirrorError('EBUSY', `${await describeFolder(spec, real)}. ${why} Nothing was changed and its files were left untouched: choose an empty (or new) folder on that drive, or move those files away first.`, { path: spec.path });
}

/**
 * Refuses what would break a mirror: the same folder twice, nested folders, another mirror's folder, a read-only
 * folder, and a folder holding files unless `mayHoldFiles` (createMirror decides itself which folder's files it adopts).
 */
export async function checkNewMemberFolder(real: string, existingRoots: readonly string[], spec: MemberSpec, o: { mayHoldFiles?: boolean } = {}): Promise<void> {
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
  if (!o.mayHoldFiles && (await userEntries(real)).length > 0) {
    throw await holdsFilesError(spec, real, 'A drive added to a mirror receives the mirror\'s files, so its folder must start empty.');
  }
}

export async function resolveFolder(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}
