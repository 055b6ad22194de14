// What a program using the mount sees when the engine refuses or fails: each engine error as the errno it means.
import { constants } from 'node:os';
import { MirrorError } from '../../index.ts';

const E = constants.errno;

/** A negative errno (what FUSE answers with) carried as an error, for refusals made by the mount itself. */
export class FuseErrno extends Error {
  readonly errno: number;
  constructor(name: keyof typeof E, message: string = name) {
    super(message);
    this.errno = -E[name];
  }
}

/**
 * The negative errno for anything an operation threw. `lookup`: the path was only looked at, where a name the mirror
 * cannot hold simply does not exist (ENOENT); for a change, the same refusal is EINVAL (ENAMETOOLONG for a long name).
 * A mirror that is gone, stopped or has no up-to-date member is EIO: the program gets an I/O error, never stale data.
 */
export function errnoOf(e: unknown, lookup = false): number {
  if (e instanceof FuseErrno) return e.errno;
  if (!(e instanceof MirrorError)) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code in E && code !== 'ENOENT') return -E[code as keyof typeof E];
    return code === 'ENOENT' ? -E.ENOENT : -E.EIO;
  }
  switch (e.code) {
    case 'ENOTFOUND': return -E.ENOENT;
    case 'EINVALIDPATH':
      if (lookup) return -E.ENOENT;
      return /longer than \d+ bytes/.test(e.message) ? -E.ENAMETOOLONG : -E.EINVAL;
    case 'EEXIST': return -E.EEXIST;
    case 'ENOTDIR': return -E.ENOTDIR;
    case 'EISDIR': return -E.EISDIR;
    case 'ENOSPC': return -E.ENOSPC;
    case 'ETOOBIG': return -E.EFBIG;
    case 'EREADONLY': return -E.EROFS;
    case 'EINVALIDOPTION': return -E.EINVAL;
    case 'EBUSY': return -E.EBUSY;
    default: return -E.EIO; // ENOINSYNC, ESTOPPED, EIO, ECHECKSUM, ETIMEDOUT, …
  }
}

export const errno = (name: keyof typeof E): number => -E[name];
