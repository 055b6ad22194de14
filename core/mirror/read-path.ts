// The read path: fast members first; on fallback to a write-mostly member, wait for the behind writes a read could overtake.
import { MirrorError } from '../contract/errors.ts';
import type { DirEntry, FileStat, MirrorEvent } from '../contract/types.ts';
import { errnoCode, type FsStat } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { isReadable } from './member-state.ts';
import { META_DIR } from './paths.ts';
import { isSystemName } from './system-names.ts';
import { chooseReadMember } from './read-balance.ts';
import { createHash } from 'node:crypto';
import { hashOf } from '../journal/manifest.ts';
import type { FailureCause } from './failure.ts';
import { isLinkError, linkAt, linkRefusal } from './links.ts';

export interface ReadHost {
  readonly members: readonly Member[];
  emit(e: MirrorEvent): void;
  fault(m: Member, detail: string | undefined, cause?: FailureCause): Promise<void>;
  /** true when the member's root and superblock are still there (a yanked drive leaves an empty mount point). */
  alive(m: Member): Promise<boolean>;
  assertOpen(): void;
  /** Rewrites `bad`'s copy of `path` from `good`'s. */
  heal(bad: Member, good: Member, path: string, reason: 'read-error' | 'checksum'): Promise<void>;
  /**
   * Outside changes (issue 11, part 2): true when the member's copy was edited on the drive (its size, time or inode
   * differ from what was written), not damaged: it is served as it is and looked at (resync/outside.ts), never healed.
   */
  editedOutside?(m: Member, path: string): Promise<boolean>;
}

/** Why a member that failed a read and no longer shows its superblock is failed. */
const goneReason = (m: Member) => `its folder ${m.root} or its superblock vanished`;

/** A copy whose content does not hash to what its manifest recorded. */
class ChecksumMismatch extends Error { readonly code = 'ECHECKSUM'; }

/**
 * The seed (md "delay reads that could overtake behind-writes"): before reading `path` from a write-mostly member,
 * wait until the behind writes that overlap it — and only those — have landed. While waiting, the member takes no new
 * behind writes (invariant 2), so the wait is bounded by what was pending when it began (invariant 3).
 */
export async function fallbackWait(host: ReadHost, m: Member, path: string): Promise<void> {
  const legs = m.behindOverlapping(path);
  const waitingBytes = legs.reduce((n, l) => n + l.bytes, 0);
  const t0 = performance.now();
  host.emit({ type: 'read-fallback', memberId: m.id, path, waitingWrites: legs.length, waitingBytes });
  if (legs.length > 0) {
    m.behindWaiters++;
    try {
      await Promise.all(legs.map((l) => l.settled));
    } finally {
      m.behindWaiters--;
    }
  }
  host.emit({ type: 'read-fallback-done', memberId: m.id, path, waitedMs: Math.round(performance.now() - t0) });
}

/** Runs a read on the best member, retrying on another when one fails; ENOENT from a live in-sync member is final. */
export async function readFromMembers<T>(host: ReadHost, path: string, read: (m: Member) => Promise<T>): Promise<T> {
  host.assertOpen();
  const tried = new Set<Member>();
  const damaged: { m: Member; reason: 'read-error' | 'checksum' }[] = [];
  let lastError: unknown;
  for (;;) {
    const m = chooseReadMember(host.members, tried);
    if (!m) {
      if (tried.size === 0) throw new MirrorError('ENOINSYNC', `No member holds an up-to-date copy, so "${path}" cannot be read. Reconnect a drive of this mirror.`, { path });
      throw new MirrorError('EIO', `"${path}" could not be read from any member (${lastError instanceof Error ? lastError.message : String(lastError)}).`, { path });
    }
    if (m.writeMostly) await fallbackWait(host, m, path);
    if (!isReadable(m.state)) { tried.add(m); continue; } // it failed while we waited
    m.pendingReads++;
    try {
      if (!(await m.spelledAsStored(path))) throw Object.assign(new Error(`"${path}" is not on "${m.label}" spelled so`), { code: 'ENOENT' });
      const value = await read(m);
      // A good copy was found: rewrite the damaged ones from it before answering, so the next read is clean.
      for (const d of damaged) await host.heal(d.m, m, path, d.reason);
      return value;
    } catch (e) {
      const code = errnoCode(e);
      if (e instanceof MirrorError) throw e;
      if (isLinkError(e)) throw linkRefusal(e, path, m);
      if (e instanceof ChecksumMismatch) { tried.add(m); damaged.push({ m, reason: 'checksum' }); lastError = e; continue; }
      if ((code === 'ENOENT' || code === 'ENOTDIR') && (await host.alive(m))) {
        throw new MirrorError('ENOTFOUND', `"${path}" does not exist.`, { path });
      }
      if (code === 'EISDIR') throw new MirrorError('EISDIR', `"${path}" is a folder, not a file.`, { path });
      tried.add(m);
      lastError = e;
      if (await host.alive(m)) { damaged.push({ m, reason: 'read-error' }); continue; }
      // Marked faulty at once; the read goes on to the next member without waiting for the superblocks to record it
      // (that wait matters for acknowledging writes, invariant 18, not for reads).
      if (!(await host.alive(m))) void host.fault(m, goneReason(m), 'unplugged').catch(() => {});
    } finally {
      m.pendingReads--;
    }
  }
}

export function readFile(host: ReadHost, path: string): Promise<Uint8Array> {
  return readFromMembers(host, path, async (m) => {
    const data = await m.fs.readFile(m.abs(path));
    const expected = m.manifest?.get(path);
    if (expected !== undefined && hashOf(data) !== expected && !(await host.editedOutside?.(m, path))) {
      throw new ChecksumMismatch(`"${path}" on "${m.label}" does not match its checksum`);
    }
    return data;
  });
}

/** A file being read in pieces: one member's copy, opened once, so every chunk comes from the same version. */
export interface FileReader {
  size: number;
  /** Chunks in order; throws ECHECKSUM at the end if the bytes do not match the recorded checksum. */
  chunks: AsyncIterableIterator<Uint8Array>;
}

/**
 * Opens `path` for a read in chunks (downloads bigger than one message). The member is chosen and waited for like any
 * read (a fallback read never overtakes a behind write); the first chunk is read before this resolves, so the file is
 * open — pinned to the version that was current — and a missing file or dead drive fails here, on a retry-able step.
 * Files are only ever replaced by rename, so the open copy never changes under the reader.
 */
export function openReader(host: ReadHost, path: string, chunkSize = 1 << 20): Promise<FileReader> {
  return readFromMembers(host, path, async (m) => {
    const { type, size } = await m.fs.stat(m.abs(path));
    if (type === 'dir') throw Object.assign(new Error(`${path} is a folder`), { code: 'EISDIR' });
    const expected = m.manifest?.get(path);
    const source = m.fs.readStream(m.abs(path), chunkSize)[Symbol.asyncIterator]();
    const first = await source.next();
    const hash = createHash('sha256');
    const next = async () => {
      try {
        return await source.next();
      } catch (e) {
        // The drive failed mid-transfer: the bytes sent cannot be taken back, so this transfer ends here, clearly;
        // a vanished drive is marked faulty as any read would, and the next try reads from another member.
        if (!(await host.alive(m))) void host.fault(m, goneReason(m), 'unplugged').catch(() => {});
        throw new MirrorError('EIO', `Reading "${path}" from "${m.label}" failed mid-transfer (${e instanceof Error ? e.message : String(e)}). Try again: it will be read from another drive if this one is gone.`, { path, memberId: m.id, cause: e });
      }
    };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for (let r = first; !r.done; r = await next()) {
          hash.update(r.value);
          yield r.value;
        }
      } finally {
        await source.return?.();
      }
      if (expected !== undefined && hash.digest('base64url') !== expected && !(await host.editedOutside?.(m, path))) {
        // The bytes are already out, so no quiet retry here: the transfer fails, and the copy is healed for the next one.
        const good = chooseReadMember(host.members, new Set([m]));
        if (good) void host.heal(m, good, path, 'checksum');
        throw new MirrorError('ECHECKSUM', `The copy of "${path}" on "${m.label}" does not match its checksum, so the transfer was stopped. ${good ? `It is being rewritten from "${good.label}": try again in a moment.` : 'No other member has a copy: restore this file from a backup.'}`, { path, memberId: m.id });
      }
    }
    return { size, chunks: chunks() };
  });
}

export function stat(host: ReadHost, path: string): Promise<FileStat> {
  return readFromMembers(host, path, async (m) => {
    const s = await m.fs.stat(m.abs(path));
    if (s.type === 'other') throw linkAt(path);
    return { type: s.type === 'dir' ? 'dir' : 'file', size: s.type === 'dir' ? 0 : s.size, mtimeMs: s.mtimeMs, ...(s.mode !== undefined ? { mode: s.mode } : {}) };
  });
}

export function readdir(host: ReadHost, path: string): Promise<DirEntry[]> {
  return readFromMembers(host, path, async (m) => {
    const entries = (await m.fs.readdir(m.abs(path)))
      .filter((e) => !(path === '' && e.name === META_DIR) && e.type !== 'other' && !isSystemName(e.name, path)); // a drive's own, not the mirror's (system-names.ts)
    const out: DirEntry[] = [];
    const add = (name: string, s: FsStat | null) => {
      if (s === null || s.type === 'other') return; // removed (or replaced by a link) between readdir and stat
      out.push({ name, type: s.type === 'dir' ? 'dir' : 'file', size: s.type === 'dir' ? 0 : s.size, mtimeMs: s.mtimeMs });
    };
    if (m.fs.statEntries) {
      const stats = await m.fs.statEntries(m.abs(path), entries.map((e) => e.name));
      entries.forEach((e, i) => add(e.name, stats[i]!));
    } else {
      for (const e of entries) {
        try {
          add(e.name, await m.fs.stat(m.abs(path ? `${path}/${e.name}` : e.name)));
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
        }
      }
    }
    return out.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1));
  });
}
