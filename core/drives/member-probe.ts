// Recognising a mirror member on a drive: a .nas-mirror/superblock.json at the mount point or in a folder just below it.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { superblockPath } from '../journal/superblock.ts';
import { META_DIR } from '../mirror/paths.ts';

export interface FoundMember { path: string; mirrorId: string; memberId: string; mirrorLabel?: string }

/**
 * Reads just the identity out of a folder's superblock; null when there is none or it is not ours. Deliberately
 * lenient (no schema): discovery must not fail on a superblock from a newer format, it only needs the two ids.
 */
export async function readMemberIdentity(folder: string): Promise<FoundMember | null> {
  try {
    const sb = JSON.parse(await readFile(superblockPath(folder), 'utf8')) as Record<string, unknown>;
    if (typeof sb.mirrorId === 'string' && sb.mirrorId && typeof sb.memberId === 'string' && sb.memberId) {
      return { path: folder, mirrorId: sb.mirrorId, memberId: sb.memberId, ...(typeof sb.mirrorLabel === 'string' ? { mirrorLabel: sb.mirrorLabel } : {}) };
    }
  } catch {
    // Missing, unreadable or not JSON: not a member, whatever the folder contains (DESIGN §3).
  }
  return null;
}

/**
 * Members on a drive: the mount point itself, then each folder directly inside it (the picker's default is
 * "<drive>/NAS Mirror"). One level only, so a big drive costs one readdir.
 */
export async function findMembersOnDrive(mountPoint: string): Promise<FoundMember[]> {
  const found: FoundMember[] = [];
  const top = await readMemberIdentity(mountPoint);
  if (top) found.push(top);
  let names: string[] = [];
  try {
    names = (await readdir(mountPoint, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== META_DIR).map((d) => d.name);
  } catch {
    return found;
  }
  const children = await Promise.all(names.map((n) => readMemberIdentity(join(mountPoint, n))));
  for (const c of children) if (c) found.push(c);
  return found;
}
