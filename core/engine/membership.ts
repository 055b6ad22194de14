// Member lifecycle (cf. mdadm --fail, --remove, --add, --re-add): failing, ejecting, forgetting and adding members, and
// running each one's catch-up. The mirror's public methods of the same names come here.
import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { MirrorError } from '../contract/errors.ts';
import type { MemberSpec } from '../contract/types.ts';
import { errnoCode } from '../fs/filesystem.ts';
import { WatchdogFs } from '../fs/watchdog-fs.ts';
import { MemberJournal } from '../journal/intent-journal.ts';
import { Manifest } from '../journal/manifest.ts';
import { readSuperblock, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { catchUpPlan } from '../mirror/catch-up.ts';
import { causeOf, describeProgress, incompleteEject, noSuchMember, type FailureCause } from '../mirror/failure.ts';
import { Member } from '../mirror/member.ts';
import { checkNewMemberFolder, memberFs, prepareMemberFolder } from '../mirror/member-folder.ts';
import { isActive, isReadable } from '../mirror/member-state.ts';
import { tidyTrash } from '../mirror/trash.ts';
import { resyncMember } from '../resync/resync.ts';
import type { MirrorImpl } from './mirror.ts';

/** Opens a member's intent journal (exact on fast members, coarse on write-mostly ones) and checksum manifest. */
export async function openJournal(m: Member): Promise<void> {
  m.journal = await MemberJournal.open(m.fs, m.root, m.writeMostly);
  m.manifest = await Manifest.open(m.fs, m.root);
  await tidyTrash(m); // recently deleted: records a crash left without their entry go, entries without a record get one
}

/**
 * Closes the member's journal and manifest and ends its drive's idle helper threads (Filesystem.release): nothing of
 * ours may keep its drive from unmounting, and a stop gives back what it took before it resolves.
 */
export async function closeJournal(m: Member): Promise<void> {
  await Promise.all([m.journal?.close(), m.manifest?.close()].map((p) => p?.catch(() => {})));
  await m.fs.release?.().catch(() => {});
}

export function defaultLabel(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
}

export class Membership {
  /** The running catch-up of each member being resynced. */
  readonly #resyncs = new Map<Member, Promise<void>>();
  readonly #adding = new Set<string>();

  constructor(private readonly mirror: MirrorImpl) {}

  find(id: string): Member {
    const m = this.mirror.members.find((x) => x.id === id);
    if (!m) throw noSuchMember(id, this.mirror.label);
    return m;
  }

  /** `cause`: what happened to the drive, when the caller knows (hot-plug saw it unplugged); the user, otherwise. */
  async fail(memberId: string, cause: FailureCause = 'user'): Promise<void> {
    this.mirror.assertOpen();
    await this.mirror.fault(this.find(memberId), undefined, cause);
  }

  /**
   * Safe removal (cf. mdadm --fail + --remove of a clean disk): from this moment the member gets no new writes (they
   * are recorded for its re-add) and its catch-up stops; its queued and behind writes drain; its superblock says clean.
   * Resolves only if it ended clean and complete (invariant 26). If it failed while draining (full, an I/O error,
   * stopped answering) or had not finished catching up, it is left out all the same and this rejects, naming the drive
   * and the cause: "safe to remove" must mean the drive holds a complete copy.
   */
  async eject(memberId: string): Promise<void> {
    this.mirror.assertOpen();
    const m = this.find(memberId);
    if (m.state === 'removed' && m.ejectedAtGeneration >= 0) return; // ejected clean already
    if (!isActive(m.state)) throw incompleteEject(m);
    if (m.ejecting) throw new MirrorError('EBUSY', `"${m.label}" is already being ejected.`, { memberId });
    if (isReadable(m.state) && !this.mirror.members.some((x) => x !== m && isReadable(x.state))) {
      throw new MirrorError('EBUSY', `"${m.label}" holds the only up-to-date copy; ejecting it would leave the mirror without data. Add or reconnect another drive first.`, { memberId });
    }
    this.mirror.memberLeaving(m);
    m.ejecting = true;
    m.noBehind = true;
    m.behindWaiters++; // eject waits on behind writes: like a reader, it keeps new writes from going behind
    try {
      await this.quiet(m);
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
      await this.mirror.superblocksWritten();
      await writeSuperblock(m.fs, m.root, this.mirror.superblockFor(m, m.caughtUpTo, true));
    } catch (e) {
      m.ejecting = false;
      await this.mirror.fault(m, `marking it clean while ejecting failed: ${(e as Error).message}`, causeOf(e));
      throw incompleteEject(m);
    }
    m.ejectedAtGeneration = m.caughtUpTo;
    await this.#detach(m);
  }

  /** Marks a member that left removed, with nothing of ours open on its drive (it is about to be unmounted). */
  async #detach(m: Member): Promise<void> {
    await closeJournal(m);
    m.transition('removed');
    m.ejecting = false;
    this.mirror.emit({ type: 'member-state', memberId: m.id, state: m.state });
    await this.mirror.membershipChanged();
  }

  /**
   * Waits until nothing of `m` runs on its folder: no copy of its resync, no leg (invariant 25), and no write that took
   * its place in line on `m` before this began and has not yet started its legs (write-request.ts: admitted).
   */
  async quiet(m: Member): Promise<void> {
    m.catchUp?.wake();
    await this.#resyncs.get(m)?.catch(() => {});
    await m.idle();
  }

  /**
   * Retires a member that is not attached (ejected, failed, or never plugged back in): while it was listed, intent
   * records could never be cleared and deleted files never purged, waiting for it to come back.
   */
  async forget(memberId: string): Promise<void> {
    this.mirror.assertRunning();
    const m = this.find(memberId);
    if (isActive(m.state) || m.ejecting) {
      throw new MirrorError('EBUSY', `"${m.label}" is attached; eject it (or mark it failed) before forgetting it.`, { memberId });
    }
    this.mirror.members.splice(this.mirror.members.indexOf(m), 1);
    await closeJournal(m);
    await this.mirror.membershipChanged();
  }

  /** Adds a new member (full resync) or takes back one that left (catch-up of only what changed since, invariant 16). */
  async add(spec: MemberSpec): Promise<string> {
    this.mirror.assertRunning();
    const real = await realpath(spec.path).catch(() => spec.path);
    const fs = memberFs(spec, this.mirror.memberTimeoutMs, real);
    const sb = await readSuperblock(fs, real).catch((e) => {
      if (errnoCode(e) !== 'ETIMEDOUT') return null;
      throw new MirrorError('ETIMEDOUT', `"${real}" is not answering (${(e as Error).message}). Check the drive (cable, power), then add it again.`, { path: spec.path });
    });
    const known = sb && sb.mirrorId === this.mirror.id ? this.mirror.members.find((m) => m.id === sb.memberId) : undefined;
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
        await this.quiet(known);
      } else if (!(sb && sb.mirrorId === this.mirror.id)) {
        // A folder of this mirror whose member was forgotten holds an old copy of ours: it is resynced whole, in place.
        await this.#checkNewFolder(real, spec);
      }
      m = new Member(known?.id ?? randomUUID(), spec.label ?? known?.label ?? sb?.label ?? defaultLabel(real), real,
        spec.writeMostly ?? known?.writeMostly ?? false, fs, 'resyncing');
      try {
        m.rules = await prepareMemberFolder(fs, real);
        await openJournal(m);
      } catch (e) {
        await closeJournal(m);
        throw e instanceof MirrorError ? e : new MirrorError(errnoCode(e) === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EIO',
          `"${m.label}" (${real}) could not be prepared: ${(e as Error).message}. Check the drive, then add it again.`, { path: spec.path, memberId: m.id, cause: e });
      }
      if (this.mirror.stopping || this.mirror.stopped || (known && !this.mirror.members.includes(known))) {
        await closeJournal(m);
        this.mirror.assertRunning();
        throw new MirrorError('ENOMEMBER', `"${m.label}" was forgotten while it was being added; add it again as a new member.`, { memberId: m.id, path: spec.path });
      }
      // Nothing awaits from here to the splice: the member joins with its catch-up in one step, so an operation
      // submitted before is in what it catches up, and one submitted after sees it (mirror/catch-up.ts).
      m.startCatchUp(known ? this.#catchUpPaths(known, sb!) : null);
      if (known) this.mirror.members.splice(this.mirror.members.indexOf(known), 1, m); else this.mirror.members.push(m);
      this.mirror.emit({ type: 'member-state', memberId: m.id, state: m.state });
    } finally {
      this.#adding.delete(key);
    }
    await this.mirror.membershipChanged();
    this.startResync(m);
    return m.id;
  }

  /** What a returning member must catch up: the paths changed since it left, or null for the whole tree (catchUpPlan). */
  #catchUpPaths(known: Member, sb: Superblock): string[] | null {
    // Its own clean superblock says up to which generation it holds everything (written at eject, or at open).
    const clean = sb.clean && (known.ejectedAtGeneration < 0 || known.ejectedAtGeneration === sb.generation);
    const plan = catchUpPlan(sb, { generationCleared: this.mirror.generationCleared, stillFilling: known.incomplete, clean });
    return plan === 'full' ? null : [...new Set([...known.dirty, ...this.mirror.changedSince(plan.since)])];
  }

  async #checkNewFolder(real: string, spec: MemberSpec): Promise<void> {
    await checkNewMemberFolder(real, this.mirror.members.filter((m) => m.state !== 'removed').map((m) => m.root), spec);
  }

  /** Runs a member's catch-up (set by startCatchUp) in the background; the member turns in_sync when it completes. */
  startResync(m: Member): void {
    const run = (async () => {
      try {
        await resyncMember(this.mirror, m);
        const still = () => !this.mirror.stopping && m.state === 'resyncing' && !m.ejecting && m.catchUp?.done === true;
        if (!still()) return;
        await m.manifest?.commit();
        if (!still()) return;
        // Synchronously with the state change: a path missed after this point (the member failed) stays dirty.
        m.resync = undefined;
        m.dirty.clear();
        m.catchUp = undefined;
        m.transition('resync-done');
        this.mirror.emit({ type: 'member-state', memberId: m.id, state: m.state });
        await this.mirror.membershipChanged();
        if (this.mirror.members.every((x) => x.state === 'in_sync' || x.state === 'behind')) this.mirror.intent.resyncedAll();
      } catch (e) {
        if (m.state === 'resyncing') await this.mirror.fault(m, `its catch-up failed: ${(e as Error).message}`, causeOf(e));
      }
    })();
    this.#resyncs.set(m, run);
    void run.finally(() => { if (this.#resyncs.get(m) === run) this.#resyncs.delete(m); });
  }

  /** Waits for every running catch-up, and for those started meanwhile. */
  async resyncsDone(): Promise<void> {
    while (this.#resyncs.size > 0) await Promise.all([...this.#resyncs.values()]);
  }
}
