// Recently deleted, the mirror's side (issue 11 part 4; invariants 10, 27): how long entries stay (a retention every
// host reads from the superblock), which may go (past retention, and applied by every member), room for a full drive
// (oldest first), listing, restore as an ordinary write, and "delete now" — recorded for members that are away.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { MAX_RETENTION_DAYS } from '../contract/contract.ts';
import { MirrorError } from '../contract/errors.ts';
import type { DeletedEntry, FileStat } from '../contract/types.ts';
import type { Member } from './member.ts';
import { isActive, isReadable } from './member-state.ts';
import { normalizePath } from './paths.ts';
import { chooseReadMember } from './read-balance.ts';
import {
  deletedAtOf, entryContent, isTrashId, newTrashId, readMeta, removeEntry, trashIds, type TrashMeta, type TrashReason,
} from './trash.ts';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;
/** Expired entries are looked for at every settle point, at membership changes, and at least this often. */
const SWEEP_MS = 3_600_000;
/** A purge for room frees at least this much: a metadata write on a full drive does not say what it needs. */
const MIN_ROOM = 1 << 20;
/** An entry frees at least a block, whatever its size says. */
const BLOCK = 4096;

/** "Delete now" while members were away: what each of them still has to delete when it is back (in the superblock). */
export interface PendingPurges {
  /** Members that have not applied these yet. */
  members: string[];
  ids: string[];
  /** "Empty all": entries deleted before this time. */
  before?: number;
}

export interface DeletedOptions {
  retentionDays: number;
  pending?: PendingPurges;
  /** The clock of deletion times and retention (tests pass a fake one). */
  clock?: () => number;
}

/** The options of createMirror/assembleMirror: given, else what the superblock says, else the default. */
export function deletedOptions(o: { deletedRetentionDays?: number; clock?: () => number }, sb?: { deletedRetentionDays?: number; trashPurged?: PendingPurges }): DeletedOptions {
  const days = o.deletedRetentionDays ?? sb?.deletedRetentionDays ?? DEFAULT_RETENTION_DAYS;
  checkRetention(days);
  return { retentionDays: days, pending: sb?.trashPurged, clock: o.clock };
}

export function checkRetention(days: unknown): asserts days is number {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS) {
    throw new MirrorError('EINVALIDOPTION', `deletedRetentionDays must be a whole number of days from 0 (deleted files go once every drive has the delete) to ${MAX_RETENTION_DAYS}; got ${String(days)}.`);
  }
}

/** What recently deleted needs from the mirror. */
export interface DeletedHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  readonly stopped: boolean;
  assertOpen(): void;
  assertRunning(): void;
  persist(): Promise<void>;
  stat(path: string): Promise<FileStat>;
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: AsyncIterable<Uint8Array>): Promise<void>;
  /** An ordinary remove, whose entry says why (a restore replacing what was there). */
  removeBecause(path: string, reason: TrashReason): Promise<void>;
}

const present = (m: Member) => isActive(m.state) && !m.ejecting;

export class RecentlyDeleted {
  retentionDays: number;
  pending: PendingPurges | undefined;
  readonly now: () => number;
  /** Every entry made before this time has been applied by every member (a settle point); in memory only. */
  #settledAt = -Infinity;
  #lastStamp = -Infinity;
  readonly #restoring = new Set<string>();
  #sweeping?: Promise<void>;
  #again = false;
  #room: Promise<unknown> = Promise.resolve();
  #timer?: NodeJS.Timeout;

  constructor(private readonly host: DeletedHost, o: DeletedOptions) {
    this.retentionDays = o.retentionDays;
    this.pending = o.pending && o.pending.members.length > 0 ? o.pending : undefined;
    this.now = o.clock ?? Date.now;
    this.#timer = setInterval(() => void this.sweep().catch(() => {}), SWEEP_MS);
    this.#timer.unref();
  }

  close(): void { clearInterval(this.#timer); }

  /**
   * The id and time of a new entry: never before the last settle point, so it is never counted as settled too early,
   * and always after the last one stamped, so entries purged oldest first go in the order they were deleted. (Two
   * deletes in one millisecond had the same time and were ordered by the ids' random part: a purge for room could take
   * the newer first — seen as a flaky engine-space test.) A burst may run a few ms ahead of the clock; a later settle
   * point then counts those entries unsettled a little longer, which keeps them, never the other way.
   */
  stamp(): { id: string; deletedAt: number } {
    const at = Math.max(this.now(), this.#settledAt, this.#lastStamp + 1);
    this.#lastStamp = at;
    return { id: newTrashId(at), deletedAt: at };
  }

  /**
   * Nothing is held with every member present and in sync: every delete made so far has been applied everywhere. Called
   * synchronously at that moment (the intent tracker's clear), then expired entries go.
   */
  settle(): Promise<void> {
    this.#settledAt = this.now();
    return this.sweep();
  }

  /** Runs `fn` on a member still present, counted so an eject or a stop waits for it. */
  #on<T>(m: Member, fn: () => Promise<T>): Promise<T | null> {
    if (!present(m) || this.host.stopped) return Promise.resolve(null);
    return m.track(fn());
  }

  /** Deletes what "delete now" left to members that were away, then every entry past retention that may go. */
  sweep(): Promise<void> {
    if (this.#sweeping) { this.#again = true; return this.#sweeping; }
    this.#sweeping = (async () => {
      do {
        this.#again = false;
        await this.#sweepOnce();
      } while (this.#again && !this.host.stopped);
    })().finally(() => { this.#sweeping = undefined; });
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    if (this.host.stopped) return;
    await this.#applyPending();
    const members = this.host.members;
    // Invariant 10: with a member away, nobody knows it has the delete — nothing is purged for age.
    if (!members.every(present)) return;
    const cutoff = this.now() - this.retentionDays * DAY_MS;
    const lists = await Promise.all(members.map((m) => this.#on(m, () => trashIds(m)).catch(() => null)));
    if (lists.some((l) => l === null)) return;
    const due = new Set<string>();
    for (const l of lists) for (const id of l!) if (deletedAtOf(id) <= cutoff && !this.#restoring.has(id)) due.add(id);
    for (const id of due) {
      // Decided before the awaits above and between entries, decided again now: a member that left meanwhile stops the
      // sweep (invariant 10), and an entry a restore began on meanwhile stays.
      if (!this.host.members.every(present) || this.host.members.length !== members.length) return;
      if (this.#restoring.has(id)) continue;
      const holders = members.filter((_, i) => lists[i]!.has(id));
      // Every member holds it (each applied the delete), or it was made before a moment every member had them all.
      if (holders.length < members.length && !(deletedAtOf(id) < this.#settledAt)) continue;
      await Promise.all(holders.map((m) => this.#on(m, () => removeEntry(m, id)).catch(() => {})));
    }
  }

  /** A member back from being away deletes what was deleted for good meanwhile; once all have, the record goes. */
  async #applyPending(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const ids = new Set(p.ids);
    const done: string[] = [];
    for (const m of this.host.members) {
      if (!p.members.includes(m.id) || !present(m)) continue;
      const ok = await this.#on(m, async () => {
        for (const id of await trashIds(m)) {
          if (ids.has(id) || (p.before !== undefined && deletedAtOf(id) < p.before)) await removeEntry(m, id);
        }
        return true;
      }).catch(() => null);
      if (ok) done.push(m.id);
    }
    const known = new Set(this.host.members.map((m) => m.id));
    const left = p.members.filter((id) => known.has(id) && !done.includes(id));
    if (left.length === p.members.length) return;
    this.pending = left.length > 0 ? { ...p, members: left } : undefined;
    await this.host.persist().catch(() => {});
  }

  /**
   * Room for a write on a full drive: its oldest entries go first, at least `bytes` of them — only while every member
   * is present and in sync, so each of them has applied the deletes (invariant 10). True when something was deleted.
   */
  purgeForSpace(targets?: readonly Member[], bytes = 0): Promise<boolean> {
    if (!this.#mayPurge()) return Promise.resolve(false);
    const run = this.#room.then(() => this.#makeRoom(targets ?? this.host.members, Math.max(bytes, MIN_ROOM)));
    this.#room = run.catch(() => {});
    return run.catch(() => false);
  }

  /** Every member present, in sync and staying: each has applied every delete, so entries may go (invariant 10). */
  #mayPurge(): boolean {
    return !this.host.stopped && this.host.members.every((m) => isReadable(m.state) && !m.ejecting);
  }

  async #makeRoom(targets: readonly Member[], bytes: number): Promise<boolean> {
    let any = false;
    for (const m of targets) {
      const r = await this.#on(m, async () => {
        const ids = [...await trashIds(m)].filter((id) => !this.#restoring.has(id))
          .sort((a, b) => deletedAtOf(a) - deletedAtOf(b) || (a < b ? -1 : 1));
        let freed = 0, removed = false;
        for (const id of ids) {
          if (freed >= bytes) break;
          // Decided when the purge was asked for, decided again before each entry goes (after the waits in between).
          if (!this.#mayPurge()) break;
          if (this.#restoring.has(id)) continue;
          const meta = await readMeta(m, id).catch(() => null);
          await removeEntry(m, id);
          removed = true;
          freed += Math.max(meta?.size ?? 0, BLOCK);
        }
        return removed;
      });
      any ||= r === true;
    }
    return any;
  }

  /** Members that may serve recently deleted entries, best first (as reads: fast members before write-mostly ones). */
  #sources(): Member[] {
    const out: Member[] = [];
    for (let m = chooseReadMember(this.host.members); m; m = chooseReadMember(this.host.members, new Set(out))) out.push(m);
    return out;
  }

  /**
   * The entries the in-sync members hold, newest first, with the drives holding each: read from the best member, plus
   * the records of what only another drive keeps (a version an outside change or a full drive left on one drive).
   */
  async list(): Promise<DeletedEntry[]> {
    this.host.assertOpen();
    const sources = this.#sources();
    if (sources.length === 0) throw new MirrorError('ENOINSYNC', 'No member holds an up-to-date copy, so recently deleted files cannot be listed. Reconnect a drive of this mirror.');
    const held = await Promise.all(sources.map((m) => m.track(trashIds(m)).catch(() => new Set<string>())));
    const out = new Map<string, DeletedEntry>();
    for (const [i, m] of sources.entries()) {
      const fresh = [...held[i]!].filter((id) => !out.has(id));
      const metas = await m.track(Promise.all(fresh.map((id) => readMeta(m, id).catch(() => null))));
      for (const meta of metas) if (meta) out.set(meta.id, toEntry(meta, []));
    }
    for (const e of out.values()) e.drives = sources.filter((_, i) => held[i]!.has(e.id)).map((m) => m.label);
    return [...out.values()].sort((a, b) => b.deletedAt - a.deletedAt || (a.id < b.id ? 1 : -1));
  }

  /**
   * Writes an entry back — at its path, or at `to` — as ordinary engine writes (a file, or a folder and everything in
   * it), then deletes the entry. Something at that path: refused with EEXIST, unless `replace` (what is there goes to
   * recently deleted itself). Resolves with the path restored.
   */
  async restore(id: string, o: { to?: string; replace?: boolean } = {}): Promise<string> {
    this.host.assertRunning();
    if (this.#restoring.has(id)) throw new MirrorError('EBUSY', 'This entry is being restored already.');
    const found = await this.#find(id);
    const to = normalizePath(o.to ?? found.meta.path);
    this.#restoring.add(id);
    try {
      const there = await this.host.stat(to).then(() => true, (e) => {
        if (e instanceof MirrorError && e.code === 'ENOTFOUND') return false;
        throw e;
      });
      if (there && !o.replace) {
        throw new MirrorError('EEXIST', `"${to}" already exists. Restore under another name, or restore with replace (what is there now goes to Recently deleted).`, { path: to });
      }
      if (there) await this.host.removeBecause(to, 'replaced');
      let lastError: unknown;
      for (const m of found.sources) {
        try {
          await m.track(this.#copyBack(m, id, found.meta, to));
          lastError = undefined;
          break;
        } catch (e) {
          // A damaged or unreadable copy: the next member's; anything the engine refused (a name, a full drive) is final.
          if (e instanceof MirrorError && e.code !== 'ECHECKSUM') throw e;
          lastError = e;
        }
      }
      if (lastError !== undefined) {
        throw new MirrorError('EIO', `"${found.meta.path}" could not be read back from any drive (${(lastError as Error).message}).`, { path: found.meta.path, cause: lastError });
      }
      await this.#purgeIds([id]);
      return to;
    } finally {
      this.#restoring.delete(id);
    }
  }

  async #find(id: string): Promise<{ meta: TrashMeta; sources: Member[] }> {
    const gone = () => new MirrorError('ENOTFOUND', 'That recently deleted entry is not there any more: it was restored or deleted for good. Refresh the list.');
    if (!isTrashId(id)) throw gone();
    const sources: Member[] = [];
    let meta: TrashMeta | null = null;
    for (const m of this.#sources()) {
      if (!(await m.track(trashIds(m))).has(id)) continue;
      meta ??= await m.track(readMeta(m, id));
      sources.push(m);
    }
    if (!meta || sources.length === 0) throw gone();
    return { meta, sources };
  }

  async #copyBack(m: Member, id: string, meta: TrashMeta, to: string): Promise<void> {
    const root = entryContent(m, id);
    if (meta.type === 'file') return this.host.writeFile(to, verified(m, root, meta));
    await this.host.mkdir(to);
    const stack: [string, string][] = [[root, to]];
    while (stack.length) {
      const [dir, rel] = stack.pop()!;
      for (const e of await m.fs.readdir(dir)) {
        const abs = join(dir, e.name), path = `${rel}/${e.name}`;
        if (e.type === 'dir') { await this.host.mkdir(path); stack.push([abs, path]); }
        else if (e.type === 'file') await this.host.writeFile(path, m.fs.readStream(abs));
      }
    }
  }

  /**
   * Deletes entries for good now (one, or all): on every member present; members away delete theirs when they are
   * back (recorded in the superblock, so any host that opens the mirror does it).
   */
  async purge(which: string): Promise<void> {
    this.host.assertRunning();
    if (which === 'all') {
      const before = this.now();
      await Promise.all(this.host.members.map((m) => this.#afterOwed(m, async () => {
        for (const id of await trashIds(m)) if (!this.#restoring.has(id)) await removeEntry(m, id);
      })));
      return this.#recordForAway({ ids: [], before });
    }
    if (!isTrashId(which)) throw new MirrorError('ENOTFOUND', 'That recently deleted entry is not there any more. Refresh the list.');
    if (this.#restoring.has(which)) throw new MirrorError('EBUSY', 'This entry is being restored; wait for that to finish.');
    return this.#purgeIds([which]);
  }

  async #purgeIds(ids: string[]): Promise<void> {
    await Promise.all(this.host.members.map((m) => this.#afterOwed(m, async () => { for (const id of ids) await removeEntry(m, id); })));
    return this.#recordForAway({ ids });
  }

  /**
   * Rule: an entry is deleted for good on a member only once the behind writes that member owed when the deletion was
   * asked have landed. A write-mostly member's delete (or replacing write) makes its entry when it lands, which may be
   * after the purge otherwise: the purged (or restored) entry came back on that drive.
   */
  async #afterOwed<T>(m: Member, fn: () => Promise<T>): Promise<T | null> {
    await Promise.all([...m.behind].map((l) => l.settled));
    return this.#on(m, fn);
  }

  async #recordForAway(p: { ids: string[]; before?: number }): Promise<void> {
    const away = this.host.members.filter((m) => !present(m)).map((m) => m.id);
    if (away.length === 0) return;
    const was = this.pending;
    this.pending = {
      members: [...new Set([...(was?.members ?? []), ...away])],
      ids: [...new Set([...(was?.ids ?? []), ...p.ids])],
      ...(p.before !== undefined || was?.before !== undefined ? { before: Math.max(p.before ?? -Infinity, was?.before ?? -Infinity) } : {}),
    };
    await this.host.persist();
  }

  async setRetention(days: number): Promise<void> {
    this.host.assertRunning();
    checkRetention(days);
    this.retentionDays = days;
    await this.host.persist();
    await this.sweep();
  }
}

function toEntry(meta: TrashMeta, drives: string[]): DeletedEntry {
  return { id: meta.id, path: meta.path, type: meta.type, size: meta.size, deletedAt: meta.deletedAt, reason: meta.reason, drives };
}

/** The entry's bytes, checked at the end against the checksum it had when deleted: a bad copy never lands. */
async function* verified(m: Member, abs: string, meta: TrashMeta): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  for await (const chunk of m.fs.readStream(abs)) {
    hash.update(chunk);
    yield chunk;
  }
  if (meta.hash !== undefined && hash.digest('base64url') !== meta.hash) {
    throw new MirrorError('ECHECKSUM', `The copy of "${meta.path}" kept on "${m.label}" does not match its checksum.`, { path: meta.path, memberId: m.id });
  }
}
