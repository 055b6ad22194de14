// A folder's mirror identity read straight from its superblock: what drive discovery and adoption need to know.
import { readFile } from 'node:fs/promises';
import { superblockPath } from './superblock.ts';

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
