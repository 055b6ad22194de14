// Symbolic links and other special entries inside a member are never followed nor changed (invariant 24): a path
// that meets one is refused with a clear error, and listings leave such entries out (the mirror holds files and folders).
import { MirrorError } from '../contract/errors.ts';
import { errnoCode } from '../fs/filesystem.ts';
import type { Member } from './member.ts';

/** A symbolic link (or device, socket) met on the way to a path, or as its last name (invariant 24). */
export const isLinkError = (e: unknown) => errnoCode(e) === 'ESYMLINK' || errnoCode(e) === 'ELOOP';
export const linkAt = (path: string) => Object.assign(new Error(`"${path}" is a symbolic link or special file; NAS Mirror never follows links. It was left untouched`), { code: 'ESYMLINK' });

/** The refusal of a path that leads through a link: nothing is read or changed, no member is blamed. */
export function linkRefusal(e: unknown, path: string, m: Member): MirrorError {
  const why = errnoCode(e) === 'ELOOP' ? linkAt(path).message : (e as Error).message;
  return new MirrorError('EINVALIDPATH', `${why} (on "${m.label}"). Replace the link with a real folder or file on that drive if it should be in the mirror.`, { path, memberId: m.id });
}

