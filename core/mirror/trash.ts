// Two-phase deletes (invariant 10, 27): what a remove or a replacing rename takes away waits in .nas-mirror/trash on
// its own drive until every member has applied the delete; then the trash is emptied.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { errnoCode } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { META_DIR } from './paths.ts';

const trashName = (m: Member) => join(m.trashDir, `${Date.now()}-${randomBytes(4).toString('hex')}`);

/** Moves `path` into the member's trash (a rename: atomic and cheap). Already gone: the outcome is the same. */
export async function quarantine(m: Member, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await m.fs.mkdir(m.trashDir);
    try {
      await m.fs.rename(m.abs(path), trashName(m));
      return;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
      // ENOENT is the file already gone (a member that caught up through a resync) — or the trash folder emptied
      // between our mkdir and rename: then the file is still there, and the move is tried again.
      if ((await m.statOrNull(path)) === null) return;
      if (attempt >= 3) throw e;
    }
  }
}

/** Keeps a second name in the trash for a file a rename is about to replace (no hard links on exFAT/FAT: no copy). */
export async function keepReplaced(m: Member, path: string): Promise<void> {
  await m.fs.mkdir(m.trashDir);
  await m.fs.link(m.abs(path), trashName(m)).catch(() => {});
}

/** Empties the trash: renamed aside first, so a delete quarantining at the same moment starts a new trash. */
export async function emptyTrash(m: Member): Promise<void> {
  const aside = join(m.root, META_DIR, `purge-${randomBytes(4).toString('hex')}`);
  try {
    await m.fs.rename(m.trashDir, aside);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw e;
  }
  await m.fs.remove(aside);
}
