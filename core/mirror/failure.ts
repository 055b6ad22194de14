// Why a member failed, in the words a user acts on: unplugged, stopped answering, full, read-only, an I/O error.
import { MirrorError } from '../contract/errors.ts';
import { errnoCode } from '../fs/filesystem.ts';
import type { Member } from './member.ts';

export type FailureCause = 'user' | 'unplugged' | 'not-responding' | 'full' | 'read-only' | 'io' | 'incomplete';

/** The cause an error from a member's filesystem points to. */
export function causeOf(e: unknown): FailureCause {
  switch (errnoCode(e)) {
    case 'ENOSPC': case 'EDQUOT': return 'full';
    case 'ETIMEDOUT': return 'not-responding';
    case 'EROFS': return 'read-only';
    case 'ENODEV': case 'ENXIO': return 'unplugged';
    default: return 'io';
  }
}

/** How far a catch-up got, for messages. */
export function describeProgress(m: Member): string {
  const r = m.resync;
  return r ? `${r.donePaths} of ${r.totalPaths} paths copied` : 'its copy had not started';
}

const CAUSE_TEXT: Record<FailureCause, string> = {
  user: 'it was marked failed',
  unplugged: 'it was unplugged or its folder vanished',
  'not-responding': 'it stopped answering',
  full: 'it is full',
  'read-only': 'it became read-only',
  io: 'it failed with an I/O error',
  incomplete: 'it had not finished catching up',
};

/**
 * The error of an eject that could not end clean and complete (invariant 26): it names the drive and the cause, and
 * says what to do. The code follows the cause, so a caller can tell a full drive from a dead one.
 */
export function incompleteEject(m: Member): MirrorError {
  const cause = m.failure ?? (m.state === 'resyncing' ? 'incomplete' : 'io');
  const code = cause === 'full' ? 'ENOSPC' : cause === 'not-responding' ? 'ETIMEDOUT' : cause === 'incomplete' ? 'EINCOMPLETE' : 'EIO';
  const detail = m.error ? ` ${m.error}` : '';
  return new MirrorError(code, `"${m.label}" is not safe to remove as a backup: ${CAUSE_TEXT[cause]}, so it does not hold a complete copy of the mirror.${detail} It was left out of the mirror; add it again to bring it up to date.`, { memberId: m.id, path: m.root });
}
