// The mirror (cf. md r1conf): members, write-behind limits, health, superblocks, and the public Mirror methods; the
// member lifecycle (fail, eject, forget, add, catch-up) is in membership.ts.
import { basename, dirname } from 'node:path';
import { MirrorError } from '../contract/errors.ts';
import type { DeletedEntry, DirEntry, FileStat, MemberSpec, MirrorEvent, MirrorStatus, ScrubResult } from '../contract/types.ts';
import type { Conflict, ConflictChoice, ScrubFinding } from '../contract/types.ts';
import type { FileAttrs } from '../contract/types.ts';
import type { FsStat } from '../fs/filesystem.ts';
import { readSuperblock, superblockPath, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { IntentTracker } from '../mirror/intent-tracker.ts';
import { SourceLeft, repairPath } from '../resync/resync.ts';
import { scrubMirror } from '../resync/scrub.ts';
import { MirrorEvents } from '../mirror/events.ts';
import type { Member } from '../mirror/member.ts';
import { isActive } from '../mirror/member-state.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { normalizePath } from '../mirror/paths.ts';
import * as reads from '../mirror/read-path.ts';
import { submitOp, type Taken, type WriteHost } from '../mirror/write-request.ts';
import { checkNames, type Op } from '../mirror/ops.ts';
import { OutsideChanges, type OutsideOptions } from '../resync/outside.ts';
import { changedOutside } from '../mirror/keep-outside.ts';
import { causeOf, failureMessage, type FailureCause } from '../mirror/failure.ts';
import type { TrashReason } from '../mirror/trash.ts';
import { closeJournal, Membership } from './membership.ts';
import { DEFAULT_RETENTION_DAYS, RecentlyDeleted, type DeletedOptions } from '../mirror/recently-deleted.ts';

export interface MirrorInit {
  id: string;
  label: string;
  members: Member[];
  maxBehindWrites: number;
  maxBehindBytes: number;
  /** A member drive with nothing finishing for this long is failed as not responding (watchdog-fs.ts); 0 = never. */
  memberTimeoutMs: number;
  /** How long an idle intent record waits before it is cleared. */
  intentClearMs: number;
  generation: number;
  generationCleared: number;
  /** Recently deleted (issue 11, part 4): retention, deletes-now left for members away, the clock. */
  deleted?: DeletedOptions;
  /** Outside changes (issue 11, part 2): watch the members' folders, how long a change settles, the periodic look. */
  outside?: OutsideOptions;
}

export class MirrorImpl implements Mirror, WriteHost, reads.ReadHost {
  readonly id: string;
  label: string;
  readonly members: Member[];
  readonly maxBehindWrites: number;
  readonly maxBehindBytes: number;
  readonly memberTimeoutMs: number;
  generation: number;
  generationCleared: number;
  stopping = false;
  stopped = false;
  readErrorsCorrected = 0;
  membershipEpoch = 0;
  readonly intent: IntentTracker;
  readonly #events = new MirrorEvents();
  /** Superblock writes, one at a time so generations land in order. */
  #sbChain: Promise<void> = Promise.resolve();
  #clean = true;
  #activating?: Promise<void>;

  constructor(init: MirrorInit) {
    this.id = init.id;
    this.label = init.label;
    this.members = init.members;
    this.maxBehindWrites = init.maxBehindWrites;
    this.maxBehindBytes = init.maxBehindBytes;
    this.memberTimeoutMs = init.memberTimeoutMs;
    this.generation = init.generation;
    this.generationCleared = init.generationCleared;
    this.intent = new IntentTracker(this, init.intentClearMs);
    this.outside = new OutsideChanges(this, init.outside ?? { watch: false, settleMs: 1000, intervalMs: 0 });
    // A change taken as a write settles what the last scrub found at that path.
    this.onEvent((e) => { if (e.type === 'outside-change' && e.outcome === 'taken') for (const f of this.#findings) if (f.path === e.path) f.done = true; });
    this.deleted = new RecentlyDeleted(this, init.deleted ?? { retentionDays: DEFAULT_RETENTION_DAYS });
  }

  // ---- recently deleted (issue 11, part 4) ----------------------------------------------------------------------

  /** Deleted files and files a rename replaced, kept in every member's trash: retention, room, restore, delete now. */
  readonly deleted: RecentlyDeleted;

  stampDelete(): { id: string; deletedAt: number } { return this.deleted.stamp(); }
  listDeleted(): Promise<DeletedEntry[]> { return this.deleted.list(); }
  restoreDeleted(id: string, o?: { to?: string; replace?: boolean }): Promise<string> { return this.deleted.restore(id, o); }
  purgeDeleted(which: string): Promise<void> { return this.deleted.purge(which); }
  setDeletedRetention(days: number): Promise<void> { return this.deleted.setRetention(days); }
  async removeBecause(path: string, reason: TrashReason): Promise<void> { return submitOp(this, { kind: 'remove', path: normalizePath(path), reason }); }

  // ---- outside changes (issue 11, part 2) ---------------------------------------------------------------------

  /** Changes made directly in the members' folders: watched, reconciled, taken as writes or kept as conflicts. */
  readonly outside: OutsideChanges;
  /** The last scrub's findings (those repair has acted on are marked done). */
  #findings: ScrubFinding[] = [];

  /** An operation through the normal write path, for the outside-change policy (a change taken from a drive). */
  submit(op: Op, taken?: Taken): Promise<void> { return submitOp(this, op, undefined, taken); }
  conflicts(): Conflict[] { return this.outside.list(); }
  async resolveConflict(id: string, choice: ConflictChoice, memberId?: string): Promise<void> {
    this.assertRunning();
    const path = this.outside.list().find((c) => c.id === id)?.path;
    await this.outside.resolve(id, choice, memberId);
    for (const f of this.#findings) if (f.path === path) f.done = true; // what scrub found there is settled too
  }
  /** Looks at every member's tree now (size, time, inode) and acts on what changed; resolves when done. */
  reconcile(): Promise<void> { this.assertRunning(); return this.outside.reconcile(); }
  /** Findings of the last scrub still open: not repaired, not become a conflict. */
  findings(): ScrubFinding[] { return this.#findings.filter((f) => !f.done); }
  /** A read found a copy not matching its checksum: an edit made on the drive is served and looked at, never healed. */
  async editedOutside(m: Member, path: string): Promise<boolean> {
    if (!(await changedOutside(m, path))) return false;
    this.outside.notice([path]);
    return true;
  }

  /**
   * Every member has applied every delete (nothing held, all present): a settle point for recently deleted, whose
   * entries past retention can then go (the second phase of a delete).
   */
  purgeTrash(): Promise<void> { return this.deleted.settle().catch(() => {}); }

  /**
   * A write met a full drive: the oldest recently deleted entries on it go first, if that may be done now (every member
   * present, so every one of them has the deletes); true when the write should be tried again.
   */
  purgeForSpace(members?: readonly Member[], bytes?: number): Promise<boolean> { return this.deleted.purgeForSpace(members, bytes); }

  cleared(): void { this.generationCleared = this.generation; }

  /** A membership or health change: later writes re-mark their paths so a returning member sees them as changed. */
  async membershipChanged(): Promise<void> {
    await this.persist();
    this.membershipEpoch = Math.max(this.membershipEpoch, this.generation);
    void this.deleted.sweep().catch(() => {}); // a member back deletes what was deleted for good while it was away
  }

  /**
   * The moment `m` stops receiving writes (it fails, or an eject begins). Raised synchronously, before any write can
   * skip it: every write from now on is recorded at the new epoch or later, so a member that left holding everything
   * up to generation `caughtUpTo` catches up from exactly the records after it (invariant 16; cf. md events).
   */
  memberLeaving(m: Member): void {
    this.membershipEpoch = Math.max(this.membershipEpoch, this.generation + 1);
    m.caughtUpTo = this.membershipEpoch - 1;
  }

  // ---- hosts' hooks -------------------------------------------------------------------------------------------

  emit(e: MirrorEvent): void { this.#events.emit(e); }

  assertOpen(): void {
    if (this.stopped) throw new MirrorError('ESTOPPED', `The mirror "${this.label}" is stopped. Open it again to use it.`);
  }

  assertRunning(): void {
    this.assertOpen();
    if (this.stopping) throw new MirrorError('ESTOPPED', `The mirror "${this.label}" is stopping; the change was not made.`);
  }

  totalBehind(): { writes: number; bytes: number } {
    let writes = 0, bytes = 0;
    for (const m of this.members) { writes += m.behind.size; bytes += m.behindBytes; }
    return { writes, bytes };
  }

  behindChanged(m: Member): void {
    this.emit({ type: 'behind', memberId: m.id, behindWrites: m.behind.size, behindBytes: m.behindBytes,
      behindPaths: m.behindPaths, writeBytesPerSecond: Math.round(m.writeBytesPerSecond) });
    const changed = m.behind.size > 0 ? m.transition('went-behind') : m.transition('caught-up');
    if (changed) this.emit({ type: 'member-state', memberId: m.id, state: m.state });
  }

  filesChanged(paths: readonly string[]): void { this.emit({ type: 'files-changed', paths: [...paths] }); }

  markIntent(paths: readonly string[]): Promise<void> { return this.intent.mark(paths); }
  endIntent(paths: readonly string[], ok: boolean): void { this.intent.end(paths, ok); }

  ensureActive(): Promise<void> {
    if (!this.#clean) return this.#activating ?? Promise.resolve();
    this.#clean = false;
    this.#activating = this.persist();
    return this.#activating;
  }

  /** The superblock file each member's last read proved it by (alive()), as a stat said it then. */
  readonly #provenBy = new WeakMap<Member, FsStat>();

  /**
   * Whether the member's folder still holds its superblock (the drive was not pulled or swapped). Asked after every
   * "not found" on a member (a missing name is final only from a drive that is still there), so it is cheap: the file
   * is read again only when its stat (inode, size, time) is not the one the last read proved it by. A swapped drive
   * or a rewritten superblock shows a new inode; a pulled one fails the stat.
   */
  async alive(m: Member): Promise<boolean> {
    try {
      const s = await m.fs.stat(superblockPath(m.root));
      const was = this.#provenBy.get(m);
      if (was && s.type === 'file' && s.ino === was.ino && s.size === was.size && s.mtimeMs === was.mtimeMs) return true;
      const sb = await readSuperblock(m.fs, m.root);
      const ok = sb !== null && sb.mirrorId === this.id && sb.memberId === m.id;
      if (ok) this.#provenBy.set(m, s); else this.#provenBy.delete(m);
      return ok;
    } catch {
      return false;
    }
  }

  /** Whether a member's folder or superblock is gone; a drive slow to say is not taken for gone (a failure waits on it). */
  async #vanished(m: Member): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), 2000); });
    try {
      return !(await Promise.race([this.alive(m), slow]));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Marks a member faulty. `detail` says what failed on it ("writing "a.txt" failed: …"); its error then says what
   * happened to the drive (failureMessage: unplugged, stopped answering, full, …) and what to do.
   */
  async fault(m: Member, detail: string | undefined, cause: FailureCause = 'io'): Promise<void> {
    if (this.stopped) return; // stop has written every superblock clean and closed the journals: that is the last word
    const away = () => m.state === 'faulty' || m.state === 'removed';
    if (away()) return this.#sbChain;
    // An error from a drive that is gone is its unplugging (a drive pulled mid-upload), not an I/O error to check.
    if (cause === 'io' && await this.#vanished(m)) cause = 'unplugged';
    if (away()) return this.#sbChain;
    if (m.state === 'resyncing' && m.resyncKind !== 'records') m.incomplete = true;
    this.memberLeaving(m);
    m.transition('failed');
    m.error = failureMessage(m.label, cause, detail);
    m.failure = cause;
    m.catchUp?.wake(); // its copiers waiting for work must see it left, or its resync would never end
    m.dropBehind();
    void closeJournal(m); // an open file would keep its drive from unmounting
    this.emit({ type: 'member-state', memberId: m.id, state: m.state, error: m.error });
    this.emit({ type: 'behind', memberId: m.id, behindWrites: 0, behindBytes: 0 });
    // Invariant 18: durable in the survivors before any write that skipped this member is acknowledged.
    await this.membershipChanged();
  }

  // ---- superblocks --------------------------------------------------------------------------------------------

  superblockFor(m: Member, generation: number, clean: boolean): Superblock {
    return {
      format: 1, mirrorId: this.id, mirrorLabel: this.label, memberId: m.id, label: m.label, writeMostly: m.writeMostly,
      generation, generationCleared: this.generationCleared, clean,
      members: this.members.map((x) => ({ id: x.id, label: x.label, writeMostly: x.writeMostly, state: x.state === 'behind' ? 'in_sync' : x.state,
        ...(x.state === 'resyncing' ? { resync: x.resyncKind ?? 'full' } : {}), names: x.rules })),
      maxBehindWrites: this.maxBehindWrites, maxBehindBytes: this.maxBehindBytes, updatedAt: new Date().toISOString(),
      deletedRetentionDays: this.deleted.retentionDays, ...(this.deleted.pending ? { trashPurged: this.deleted.pending } : {}),
    };
  }

  /** Bumps the generation and writes every active member's superblock; a member that cannot take it fails. */
  /** Resolves once every superblock write started so far has landed (or failed its members). */
  superblocksWritten(): Promise<void> { return this.#sbChain; }

  persist(): Promise<void> {
    const run = this.#sbChain.then(async () => {
      if (this.stopped) return; // stop's clean superblocks are the last ones written (invariant 20)
      let madeRoom = false;
      for (;;) {
        this.generation++;
        const targets = this.members.filter((m) => isActive(m.state) && !m.ejecting);
        const clean = this.#clean;
        const failed: { m: Member; e: unknown }[] = [];
        await Promise.all(targets.map((m) => writeSuperblock(m.fs, m.root, this.superblockFor(m, this.generation, clean)).catch((e) => failed.push({ m, e }))));
        if (failed.length === 0) return;
        // A full drive: empty the trash once and try again before failing anyone.
        if (!madeRoom && failed.every((f) => causeOf(f.e) === 'full')) {
          madeRoom = true;
          if (await this.purgeForSpace()) continue;
        }
        const vanished = await Promise.all(failed.map(({ m, e }) => causeOf(e) === 'io' && this.#vanished(m)));
        for (const [i, { m, e }] of failed.entries()) {
          this.memberLeaving(m);
          m.transition('failed');
          m.failure = vanished[i] ? 'unplugged' : causeOf(e);
          m.error = failureMessage(m.label, m.failure, `recording the mirror's state on ${m.root} failed: ${(e as Error).message}`);
          m.dropBehind();
          this.emit({ type: 'member-state', memberId: m.id, state: m.state });
        }
        // the failure itself must now be recorded on the others: go round again
      }
    });
    this.#sbChain = run.catch(() => {});
    return run;
  }

  // ---- data -------------------------------------------------------------------------------------------------

  async writeFile(path: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, attrs?: FileAttrs): Promise<void> {
    const p = normalizePath(path);
    const op: Op = { kind: 'write', path: p, ...(attrs ? { attrs: checkAttrs(p, attrs) } : {}) };
    if (typeof data === 'string') return submitOp(this, op, { data: Buffer.from(data, 'utf8') });
    if (data instanceof Uint8Array) return submitOp(this, op, { data });
    if (data && typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return submitOp(this, op, { stream: data });
    throw new MirrorError('EINVALIDOPTION', `writeFile("${p}") needs a Uint8Array, a string or an async iterable of Uint8Array.`, { path: p });
  }

  async writeStaged(path: string, file: string, attrs?: FileAttrs): Promise<void> {
    const p = normalizePath(path);
    const op: Op = { kind: 'write', path: p, ...(attrs ? { attrs: checkAttrs(p, attrs) } : {}) };
    const member = this.members.find((m) => dirname(file) === m.tmpDir);
    const name = basename(file);
    if (!member || name === '' || name === '.' || name === '..') {
      throw new MirrorError('EINVALIDOPTION', `writeStaged("${p}"): ${file} is not in a member's staging folder (stagingDir()).`, { path: p });
    }
    // Read through the member's filesystem, as any read of the drive; the chunks are the write's (stream-blocks.ts).
    const source = member.fs.readStream(file);
    try {
      await submitOp(this, op, { stream: source, owned: true, staged: { member, file } });
    } finally {
      await source[Symbol.asyncIterator]().return?.().catch(() => {}); // its handle closed, however the write ended
    }
    // Acknowledged: the file landed on its member, or (that member not written, the write small enough to hold) it goes.
    if (await member.fs.stat(file).then(() => true, () => false)) await member.fs.remove(file).catch(() => {});
  }

  async mkdir(path: string): Promise<void> { return submitOp(this, { kind: 'mkdir', path: normalizePath(path) }); }
  async setAttributes(path: string, attrs: FileAttrs): Promise<void> {
    const p = normalizePath(path);
    return submitOp(this, { kind: 'attrs', path: p, attrs: checkAttrs(p, attrs) });
  }
  checkName(path: string): void { checkNames(normalizePath(path), this.members); }
  stagingDir(): string | null {
    const m = this.members.find((x) => !x.writeMostly && x.state === 'in_sync' && !x.ejecting);
    return m ? m.tmpDir : null;
  }
  async remove(path: string): Promise<void> { return submitOp(this, { kind: 'remove', path: normalizePath(path) }); }
  async rename(from: string, to: string, o: { replace?: boolean } = {}): Promise<void> {
    return submitOp(this, { kind: 'rename', from: normalizePath(from), to: normalizePath(to), replace: o?.replace === true });
  }

  async readFile(path: string): Promise<Uint8Array> { return reads.readFile(this, normalizePath(path)); }
  async openReader(path: string): Promise<reads.FileReader> { return reads.openReader(this, normalizePath(path)); }
  async stat(path: string): Promise<FileStat> { return reads.stat(this, normalizePath(path, { allowRoot: true })); }
  async readdir(path: string): Promise<DirEntry[]> { return reads.readdir(this, normalizePath(path, { allowRoot: true })); }

  // ---- status and events --------------------------------------------------------------------------------------

  status(): MirrorStatus {
    const ms = this.members.map((m) => m.status());
    const state: MirrorStatus['state'] = this.stopped ? 'stopped'
      : ms.some((m) => m.state === 'resyncing') ? 'resyncing'
        : ms.some((m) => m.state === 'faulty' || m.state === 'removed') ? 'degraded'
          : this.#clean && ms.every((m) => m.behindWrites === 0) ? 'clean' : 'active';
    return { id: this.id, label: this.label, state, members: ms, maxBehindWrites: this.maxBehindWrites, maxBehindBytes: this.maxBehindBytes, readErrorsCorrected: this.readErrorsCorrected,
      conflicts: this.outside.count, openFindings: this.findings().length,
      deletedRetentionDays: this.deleted.retentionDays };
  }

  onEvent(listener: (e: MirrorEvent) => void): () => void { return this.#events.on(listener); }

  // ---- lifecycle (membership.ts) ------------------------------------------------------------------------------

  readonly membership = new Membership(this);
  /** `cause`: what happened to the drive, when the caller knows (hot-plug saw it unplugged); the user, otherwise. */
  failMember(memberId: string, cause: FailureCause = 'user'): Promise<void> { return this.membership.fail(memberId, cause); }
  eject(memberId: string): Promise<void> { return this.membership.eject(memberId); }
  forgetMember(memberId: string): Promise<void> { return this.membership.forget(memberId); }
  addMember(spec: MemberSpec): Promise<string> { return this.membership.add(spec); }
  startResync(m: Member): void { this.membership.startResync(m); }

  /** Paths changed after `generation` (null: every record), from the exact journals. A member's own superblock
   * generation is the last one it saw: writes after it left were marked at a later one (the epoch moved on). */
  changedSince(generation: number | null): string[] {
    const out = new Set<string>();
    for (const m of this.members) {
      if (!m.journal || m.journal.coarse || !isActive(m.state)) continue;
      for (const [p, g] of m.journal.exactRecords()) if (generation === null || g > generation) out.add(p);
    }
    return [...out];
  }

  /** Waits until every behind write has landed and every resync has finished, without stopping anything. */
  async drain(): Promise<void> {
    await this.membership.resyncsDone();
    await Promise.all(this.members.map((m) => m.idle()));
    await this.#sbChain;
  }

  /** cf. mdadm --stop: drain every behind write (event-driven), then mark every superblock clean. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    await this.outside.stop(); // no watcher of ours may hold a drive, nor a look start a write now
    for (const m of this.members) { m.noBehind = true; m.behindWaiters++; m.catchUp?.wake(); }
    try {
      await this.membership.resyncsDone();
      // Every write admitted before stop began counts here until it has ended or been refused (write-request.ts).
      await Promise.all(this.members.map((m) => m.idle()));
    } finally {
      for (const m of this.members) m.behindWaiters--;
    }
    await this.intent.clearIdle(true); // everything landed: with every member present, no record is needed any more
    this.intent.stop();
    this.deleted.close();
    await Promise.all(this.members.map((m) => closeJournal(m)));
    this.#clean = true;
    await this.persist();
    this.stopped = true;
  }

  #scrubbing?: Promise<ScrubResult>;

  /** cf. md check/repair: counts copies that differ from their checksum; with repair, heals them. One at a time. */
  async scrub(o: { repair?: boolean; paths?: string[] } = {}): Promise<ScrubResult> {
    this.assertRunning();
    if (this.#scrubbing) throw new MirrorError('EBUSY', 'A scrub is already running; wait for it to finish.');
    this.#scrubbing = scrubMirror(this, { repair: o.repair === true, paths: o.paths });
    try {
      const r = await this.#scrubbing;
      this.#findings = r.findings ?? [];
      return r;
    } finally {
      this.#scrubbing = undefined;
    }
  }

  /** Rewrites a bad copy from a good one after a read found it rotten or unreadable (self-heal), visibly. */
  async heal(bad: Member, good: Member, path: string, reason: 'read-error' | 'checksum'): Promise<void> {
    if (await changedOutside(bad, path).catch(() => false)) { this.outside.notice([path]); return; } // an edit, not rot
    try {
      await repairPath(good, bad, path);
      this.readErrorsCorrected++;
      this.emit({ type: 'read-healed', memberId: bad.id, path, reason });
    } catch (e) {
      // The good copy's member failed meanwhile: nothing was written; the damage stays for the next read or scrub.
      if (e instanceof SourceLeft) return;
      await this.fault(bad, `rewriting a damaged copy of "${path}" failed: ${(e as Error).message}`, causeOf(e));
    }
  }
}

/** A time and mode a write or metadata change may carry: finite milliseconds, permission bits. */
function checkAttrs(path: string, a: FileAttrs): FileAttrs {
  const out: FileAttrs = {};
  if (a.mtimeMs !== undefined) {
    if (typeof a.mtimeMs !== 'number' || !Number.isFinite(a.mtimeMs)) throw new MirrorError('EINVALIDOPTION', `The modification time for "${path}" must be a number of milliseconds.`, { path });
    out.mtimeMs = a.mtimeMs;
  }
  if (a.mode !== undefined) {
    if (!Number.isInteger(a.mode) || a.mode < 0 || a.mode > 0o7777) throw new MirrorError('EINVALIDOPTION', `The mode for "${path}" must be permission bits (0 to 0o7777).`, { path });
    out.mode = a.mode & 0o777; // never set-user-ID and the like on a drive other computers may mount
  }
  return out;
}

