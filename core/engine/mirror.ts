// The mirror (cf. md r1conf): members, write-behind limits, health, superblocks, and the public Mirror methods.
import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { MirrorError } from '../contract/errors.ts';
import type { DeletedEntry, DirEntry, FileStat, MemberSpec, MirrorEvent, MirrorStatus, ScrubResult } from '../contract/types.ts';
import type { Conflict, ConflictChoice, ScrubFinding } from '../contract/types.ts';
import type { FileAttrs } from '../contract/types.ts';
import { readSuperblock, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { catchUpPlan } from '../mirror/catch-up.ts';
import { MemberJournal } from '../journal/intent-journal.ts';
import { IntentTracker } from '../mirror/intent-tracker.ts';
import { Manifest } from '../journal/manifest.ts';
import { repairPath, resyncMember } from '../resync/resync.ts';
import { scrubMirror } from '../resync/scrub.ts';
import { MirrorEvents } from '../mirror/events.ts';
import { Member } from '../mirror/member.ts';
import { isActive, isReadable } from '../mirror/member-state.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { normalizePath } from '../mirror/paths.ts';
import * as reads from '../mirror/read-path.ts';
import { submitOp, type Taken, type WriteHost } from '../mirror/write-request.ts';
import { checkNames, type Op } from '../mirror/ops.ts';
import { OutsideChanges, type OutsideOptions } from '../resync/outside.ts';
import { changedOutside } from '../mirror/keep-outside.ts';
import { errnoCode } from '../fs/filesystem.ts';
import { WatchdogFs } from '../fs/watchdog-fs.ts';
import { checkNewMemberFolder, memberFs, prepareMemberFolder } from '../mirror/member-folder.ts';
import { causeOf, describeProgress, failureMessage, incompleteEject, type FailureCause } from '../mirror/failure.ts';
import { tidyTrash, type TrashReason } from '../mirror/trash.ts';
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
  /** The running catch-up of each member being resynced. */
  readonly #resyncs = new Map<Member, Promise<void>>();

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

  /** Opens a member's intent journal (exact on fast members, coarse on write-mostly ones) and checksum manifest. */
  static async openJournal(m: Member): Promise<void> {
    m.journal = await MemberJournal.open(m.fs, m.root, m.writeMostly);
    m.manifest = await Manifest.open(m.fs, m.root);
    await tidyTrash(m); // recently deleted: records a crash left without their entry go, entries without a record get one
  }

  /** Closes a member's metadata files: nothing of ours may keep its drive from unmounting. */
  static async closeJournal(m: Member): Promise<void> {
    await Promise.all([m.journal?.close(), m.manifest?.close()].map((p) => p?.catch(() => {})));
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

  async alive(m: Member): Promise<boolean> {
    try {
      const sb = await readSuperblock(m.fs, m.root);
      return sb !== null && sb.mirrorId === this.id && sb.memberId === m.id;
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
    void MirrorImpl.closeJournal(m); // an open file would keep its drive from unmounting
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
  persist(): Promise<void> {
    const run = this.#sbChain.then(async () => {
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

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  #member(id: string): Member {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new MirrorError('ENOMEMBER', `No member with id "${id}" in mirror "${this.label}".`, { memberId: id });
    return m;
  }

  /** `cause`: what happened to the drive, when the caller knows (hot-plug saw it unplugged); the user, otherwise. */
  async failMember(memberId: string, cause: FailureCause = 'user'): Promise<void> {
    this.assertOpen();
    await this.fault(this.#member(memberId), undefined, cause);
  }

  /**
   * Safe removal (cf. mdadm --fail + --remove of a clean disk): from this moment the member gets no new writes (they
   * are recorded for its re-add) and its catch-up stops; its queued and behind writes drain; its superblock says clean.
   * Resolves only if it ended clean and complete (invariant 26). If it failed while draining (full, an I/O error,
   * stopped answering) or had not finished catching up, it is left out all the same and this rejects, naming the drive
   * and the cause: "safe to remove" must mean the drive holds a complete copy.
   */
  async eject(memberId: string): Promise<void> {
    this.assertOpen();
    const m = this.#member(memberId);
    if (m.state === 'removed' && m.ejectedAtGeneration >= 0) return; // ejected clean already
    if (!isActive(m.state)) throw incompleteEject(m);
    if (m.ejecting) throw new MirrorError('EBUSY', `"${m.label}" is already being ejected.`, { memberId });
    if (isReadable(m.state) && !this.members.some((x) => x !== m && isReadable(x.state))) {
      throw new MirrorError('EBUSY', `"${m.label}" holds the only up-to-date copy; ejecting it would leave the mirror without data. Add or reconnect another drive first.`, { memberId });
    }
    this.memberLeaving(m);
    m.ejecting = true;
    m.noBehind = true;
    m.behindWaiters++; // eject waits on behind writes: like a reader, it keeps new writes from going behind
    try {
      await this.#quiet(m);
    } finally {
      m.behindWaiters--;
    }
    if (!isReadable(m.state)) {
      m.ejecting = false;
      if (m.state === 'resyncing') {
        if (m.resyncKind !== 'records') m.incomplete = true;
        m.error = `"${m.label}" was ejected before it had caught up (${describeProgress(m)}). Plug it back in and add it again to finish.`;
        m.failure = 'incomplete';
        await this.#detach(m);
      }
      throw incompleteEject(m);
    }
    try {
      await this.#sbChain;
      await writeSuperblock(m.fs, m.root, this.superblockFor(m, m.caughtUpTo, true));
    } catch (e) {
      m.ejecting = false;
      await this.fault(m, `marking it clean while ejecting failed: ${(e as Error).message}`, causeOf(e));
      throw incompleteEject(m);
    }
    m.ejectedAtGeneration = m.caughtUpTo;
    await this.#detach(m);
  }

  /** Marks a member that left removed, with nothing of ours open on its drive (it is about to be unmounted). */
  async #detach(m: Member): Promise<void> {
    await MirrorImpl.closeJournal(m);
    m.transition('removed');
    m.ejecting = false;
    this.emit({ type: 'member-state', memberId: m.id, state: m.state });
    await this.membershipChanged();
  }

  /** Waits until nothing of `m` runs on its folder: no copy of its resync, no leg (invariant 25). */
  async #quiet(m: Member): Promise<void> {
    m.catchUp?.wake();
    await this.#resyncs.get(m)?.catch(() => {});
    await m.idle();
  }

  /**
   * Retires a member that is not attached (ejected, failed, or never plugged back in): while it was listed, intent
   * records could never be cleared and deleted files never purged, waiting for it to come back.
   */
  async forgetMember(memberId: string): Promise<void> {
    this.assertRunning();
    const m = this.#member(memberId);
    if (isActive(m.state) || m.ejecting) {
      throw new MirrorError('EBUSY', `"${m.label}" is attached; eject it (or mark it failed) before forgetting it.`, { memberId });
    }
    this.members.splice(this.members.indexOf(m), 1);
    await MirrorImpl.closeJournal(m);
    await this.membershipChanged();
  }

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

  /** Adds a new member (full resync) or takes back one that left (catch-up of only what changed since, invariant 16). */
  async addMember(spec: MemberSpec): Promise<string> {
    this.assertRunning();
    const real = await realpath(spec.path).catch(() => spec.path);
    const fs = memberFs(spec, this.memberTimeoutMs, real);
    const sb = await readSuperblock(fs, real).catch((e) => {
      if (errnoCode(e) !== 'ETIMEDOUT') return null;
      throw new MirrorError('ETIMEDOUT', `"${real}" is not answering (${(e as Error).message}). Check the drive (cable, power), then add it again.`, { path: spec.path });
    });
    const known = sb && sb.mirrorId === this.id ? this.members.find((m) => m.id === sb.memberId) : undefined;
    const key = known?.id ?? real;
    if (this.#adding.has(key)) throw new MirrorError('EBUSY', `"${known?.label ?? spec.path}" is already being added; wait for that to finish.`, { path: spec.path });
    this.#adding.add(key);
    let m: Member;
    try {
      if (known) {
        if (isActive(known.state)) throw new MirrorError('EBUSY', `"${known.label}" is already an active member of this mirror.`, { memberId: known.id, path: spec.path });
        // Calls that hung on the drive may still land (a rename of an old version): only once they have all come back
        // can its catch-up be sure to be the last word on every path.
        if (known.fs instanceof WatchdogFs && known.fs.notResponding) {
          throw new MirrorError('ETIMEDOUT', `"${known.label}" still has operations that never finished from when it stopped answering. Unplug it or restart it (power, cable), then add it again.`, { memberId: known.id, path: spec.path });
        }
        // Invariant 25: legs and copies of its last time here, still running on its folder, would land after its
        // catch-up and undo it (a write of an old version, a temp file under the folder being cleared).
        await this.#quiet(known);
      } else if (!(sb && sb.mirrorId === this.id)) {
        // A folder of this mirror whose member was forgotten holds an old copy of ours: it is resynced whole, in place.
        await this.#checkNewFolder(real, spec);
      }
      m = new Member(known?.id ?? randomUUID(), spec.label ?? known?.label ?? sb?.label ?? defaultLabel(real), real,
        spec.writeMostly ?? known?.writeMostly ?? false, fs, 'resyncing');
      try {
        m.rules = await prepareMemberFolder(fs, real);
        await MirrorImpl.openJournal(m);
      } catch (e) {
        await MirrorImpl.closeJournal(m);
        throw e instanceof MirrorError ? e : new MirrorError(errnoCode(e) === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EIO',
          `"${m.label}" (${real}) could not be prepared: ${(e as Error).message}. Check the drive, then add it again.`, { path: spec.path, memberId: m.id, cause: e });
      }
      if (this.stopping || this.stopped || (known && !this.members.includes(known))) {
        await MirrorImpl.closeJournal(m);
        this.assertRunning();
        throw new MirrorError('ENOMEMBER', `"${m.label}" was forgotten while it was being added; add it again as a new member.`, { memberId: m.id, path: spec.path });
      }
      // Nothing awaits from here to the splice: the member joins with its catch-up in one step, so an operation
      // submitted before is in what it catches up, and one submitted after sees it (mirror/catch-up.ts).
      m.startCatchUp(known ? this.#catchUpPaths(known, sb!) : null);
      if (known) this.members.splice(this.members.indexOf(known), 1, m); else this.members.push(m);
      this.emit({ type: 'member-state', memberId: m.id, state: m.state });
    } finally {
      this.#adding.delete(key);
    }
    await this.membershipChanged();
    this.startResync(m);
    return m.id;
  }

  readonly #adding = new Set<string>();

  /** What a returning member must catch up: the paths changed since it left, or null for the whole tree (catchUpPlan). */
  #catchUpPaths(known: Member, sb: Superblock): string[] | null {
    // Its own clean superblock says up to which generation it holds everything (written at eject, or at open).
    const clean = sb.clean && (known.ejectedAtGeneration < 0 || known.ejectedAtGeneration === sb.generation);
    const plan = catchUpPlan(sb, { generationCleared: this.generationCleared, stillFilling: known.incomplete, clean });
    return plan === 'full' ? null : [...new Set([...known.dirty, ...this.changedSince(plan.since)])];
  }

  async #checkNewFolder(real: string, spec: MemberSpec): Promise<void> {
    await checkNewMemberFolder(real, this.members.filter((m) => m.state !== 'removed').map((m) => m.root), spec);
  }

  /** Runs a member's catch-up (set by startCatchUp) in the background; the member turns in_sync when it completes. */
  startResync(m: Member): void {
    const run = (async () => {
      try {
        await resyncMember(this, m);
        const still = () => !this.stopping && m.state === 'resyncing' && !m.ejecting && m.catchUp?.done === true;
        if (!still()) return;
        await m.manifest?.commit();
        if (!still()) return;
        // Synchronously with the state change: a path missed after this point (the member failed) stays dirty.
        m.resync = undefined;
        m.dirty.clear();
        m.catchUp = undefined;
        m.transition('resync-done');
        this.emit({ type: 'member-state', memberId: m.id, state: m.state });
        await this.membershipChanged();
        if (this.members.every((x) => x.state === 'in_sync' || x.state === 'behind')) this.intent.resyncedAll();
      } catch (e) {
        if (m.state === 'resyncing') await this.fault(m, `its catch-up failed: ${(e as Error).message}`, causeOf(e));
      }
    })();
    this.#resyncs.set(m, run);
    void run.finally(() => { if (this.#resyncs.get(m) === run) this.#resyncs.delete(m); });
  }

  /** Waits until every behind write has landed and every resync has finished, without stopping anything. */
  async drain(): Promise<void> {
    while (this.#resyncs.size > 0) await Promise.all([...this.#resyncs.values()]);
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
      await Promise.all([...this.#resyncs.values()]);
      await Promise.all(this.members.map((m) => m.idle()));
    } finally {
      for (const m of this.members) m.behindWaiters--;
    }
    await this.intent.clearIdle(true); // everything landed: with every member present, no record is needed any more
    this.intent.stop();
    this.deleted.close();
    await Promise.all(this.members.map((m) => MirrorImpl.closeJournal(m)));
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

export function defaultLabel(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
}
