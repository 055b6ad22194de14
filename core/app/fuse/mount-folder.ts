// Whether a folder the user picked may take the mount (the Sharing section's switch): absolute, there, an empty
// folder, inside no member's folder and on no member's removable drive. Each refusal says what to do instead.
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { z } from 'zod';
import { MirrorError } from '../../contract/errors.ts';

/** A member of the open mirror, and the drive it is on (from the drives list), when known. */
export interface MemberPlace { label: string; path: string; drive?: { mountPoint: string; system: boolean } }

const inside = (p: string, parent: string) => p === parent || p.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/**
 * The checks, as one zod schema (async: they look at the disk). `members` are the open mirror's members: the mount
 * may not be inside one (the mirror would hold itself) nor on a member's drive that is not a system disk (the mount
 * would keep that drive busy, so it could not be ejected).
 */
export function mountFolderSchema(members: readonly MemberPlace[]) {
  return z.string().superRefine(async (dir, ctx) => {
    const fail = (message: string) => { ctx.addIssue({ code: 'custom', message }); };
    if (!isAbsolute(dir)) return fail(`${dir} is not an absolute path: give the whole path, starting with /.`);
    const real = await realpath(dir).catch(() => resolve(dir));
    for (const m of members) {
      const member = resolve(m.path);
      if (inside(real, member) || inside(dir, member)) {
        return fail(`${dir} is inside the folder of the member ${m.label} (${member}): the mirror would hold itself. Choose a folder outside every member drive, e.g. /srv/nas.`);
      }
      const drive = m.drive;
      if (drive && !drive.system && (inside(real, drive.mountPoint) || inside(dir, drive.mountPoint))) {
        return fail(`${dir} is on the drive of the member ${m.label} (mounted at ${drive.mountPoint}): the mount would keep that drive busy, so it could not be ejected. Choose a folder on another drive, e.g. /srv/nas.`);
      }
    }
    const st = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) {
      // A dead mount a crash left behind is cleared by the mount itself.
      if (st.code === 'ENOTCONN') return;
      return fail(st.code === 'ENOENT'
        ? `There is no folder ${dir}: create it first (mkdir -p '${dir}'), or choose another.`
        : `${dir} cannot be used: ${st.message}.`);
    }
    if (!st.isDirectory()) return fail(`${dir} is a file, not a folder: choose an empty folder.`);
    const entries = await readdir(dir).catch(() => null);
    if (entries === null) return fail(`${dir} cannot be read: choose a folder this server's user can open.`);
    if (entries.length > 0) {
      return fail(`${dir} is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}): the mount would hide what is there. Choose an empty folder, or create one (mkdir -p '${dir}/nas').`);
    }
  });
}

/** Checks `dir` (see mountFolderSchema); throws EINVALIDOPTION with the first reason. */
export async function checkMountFolder(dir: string, members: readonly MemberPlace[]): Promise<void> {
  const r = await mountFolderSchema(members).safeParseAsync(dir);
  if (!r.success) throw new MirrorError('EINVALIDOPTION', r.error.issues[0]?.message ?? `${dir} cannot take the mount.`, { path: dir });
}

/** Each member with the drive it is on: the listed drive whose mount point is the longest prefix of its path. */
export function placeMembers(members: readonly { label: string; path: string }[], drives: readonly { mountPoint: string; system: boolean }[]): MemberPlace[] {
  return members.map((m) => {
    const drive = drives.filter((d) => inside(resolve(m.path), d.mountPoint)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    return { label: m.label, path: m.path, ...(drive ? { drive: { mountPoint: drive.mountPoint, system: drive.system } } : {}) };
  });
}
