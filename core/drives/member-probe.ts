// Recognising a mirror member on a drive: a .nas-mirror/superblock.json at the mount point or in a folder just below it.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { META_DIR } from '../journal/meta-dir.ts';
import { readMemberIdentity, type FoundMember } from '../journal/superblock-identity.ts';

export type { FoundMember };

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
