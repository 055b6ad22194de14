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

/** What happened, after the drive's name: "\"USB\" is full". */
const HEADLINE: Record<FailureCause, string> = {
  user: 'was marked failed by the user',
  unplugged: 'was unplugged or its folder vanished',
  'not-responding': 'stopped answering',
  full: 'is full',
  'read-only': 'became read-only',
  io: 'reported an I/O error',
  incomplete: 'was ejected before it had caught up',
};

/** What to do about it: each cause has its own remedy (a full drive needs space, not a new cable). */
const ADVICE: Record<FailureCause, string> = {
  user: 'Re-add it to bring it back; it catches up with what changed.',
  unplugged: 'Plug it back in: it catches up with only what changed.',
  'not-responding': 'Check its cable and power (or the network share); once it answers again, re-add it to catch it up.',
  full: 'Free some space on it (or replace it with a bigger drive), then re-add it to catch it up.',
  'read-only': 'A drive with errors is often remounted read-only: check it (and any lock switch), then re-add it.',
  io: 'Check the drive (cable, health), then re-add it to catch it up; replace it if the errors come back.',
  incomplete: 'Plug it back in and add it again to finish.',
};

/**
 * Why a member failed, as the user reads it: what happened to which drive, what was being done (`detail`), and what
 * to do. Its copy is no longer updated from this moment; the other drives serve the files.
 */
export function failureMessage(label: string, cause: FailureCause, detail?: string): string {
  return `"${label}" ${HEADLINE[cause]}${detail ? ` (${detail})` : ''}. Its copy is no longer updated. ${ADVICE[cause]}`;
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

/** A member id the mirror does not have (a stale page, a drive forgotten meanwhile): said one way everywhere. */
export function noSuchMember(memberId: string, mirrorLabel: string): MirrorError {
  return new MirrorError('ENOMEMBER', `No drive with id "${memberId}" in the mirror "${mirrorLabel}"; refresh the page and try again.`, { memberId });
}
