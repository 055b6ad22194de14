// Which paths have intent records, how many operations hold each, and when records may be cleared (invariants 13-15).
import { MirrorError } from '../contract/errors.ts';
import { errnoCode } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { isActive } from './member-state.ts';
import { causeOf, type FailureCause } from './failure.ts';

export interface IntentHost {
  readonly members: readonly Member[];
  readonly generation: number;
  /** Generation of the last membership or health change: records older than it are re-marked on the next write. */
  readonly membershipEpoch: number;
  fault(m: Member, detail: string | undefined, cause?: FailureCause): Promise<void>;
  /** A drive is full: empties the trash if that may be done now; true when it is worth trying again. */
  purgeForSpace(): Promise<boolean>;
  /** Called after records were cleared with every member present (cf. md events_cleared). */
  cleared(): void;
  /** Called when nothing is held at all with every member present: quarantined deletes can be purged. */
  purgeTrash(): Promise<void>;
}

/** `marked`: the number of the last mark() that took this path (what a clear that waited compares against). */
interface Held { ops: number; idleSince: number; marked: number }

const FULL = new Set(['ENOSPC', 'EDQUOT']);

export class IntentTracker {
  readonly #held = new Map<string, Held>();
  /** mark() calls so far. */
  #marks = 0;
  /** Paths a leg failed on: never cleared until a resync has made every member equal again (invariant 15). */
  readonly sticky = new Set<string>();
  #timer?: NodeJS.Timeout;
  /** Callers of ticked() waiting for the next timed clear. */
  readonly #tickWaiters: ((cleared: number) => void)[] = [];

  constructor(readonly host: IntentHost, readonly tickMs = 1000) {}

  /** Records loaded at open (a crash left them): held until the open-time resync and every member is present. */
  adopt(paths: Iterable<string>): void {
    for (const p of paths) if (!this.#held.has(p)) this.#held.set(p, { ops: 0, idleSince: 0, marked: 0 });
  }

  /** Invariant 13: durable on every active member before the caller starts a data leg. */
  async mark(paths: readonly string[]): Promise<void> {
    const marked = ++this.#marks;
    for (const p of paths) {
      const h = this.#held.get(p);
      if (h) { h.ops++; h.marked = marked; } else this.#held.set(p, { ops: 1, idleSince: 0, marked });
    }
    // At the epoch or later: a member that left at generation E-1 finds every write it missed recorded after it. Rule
    // (as for clearIdle): what was decided before the journal writes is decided again after them — a member that left
    // meanwhile (an eject began, a drive failed) moved the epoch past the generation just written, so mark again at it.
    for (let epoch = this.host.membershipEpoch; ; epoch = this.host.membershipEpoch) {
      await this.#markAt(paths, epoch);
      if (this.host.membershipEpoch === epoch) break;
    }
    this.#arm();
  }

  /** Writes the records at `epoch` on every active member; a full drive refuses the write (after making room once). */
  async #markAt(paths: readonly string[], epoch: number): Promise<void> {
    const gen = Math.max(this.host.generation, epoch);
    const full: Member[] = [];
    const markOn = (m: Member) => m.journal!.mark(paths, gen, epoch).then(() => true, async (e) => {
      if (FULL.has(errnoCode(e) ?? '')) return false;
      await this.host.fault(m, `recording a write intent failed: ${(e as Error).message}`, causeOf(e));
      return true;
    });
    await Promise.all(this.host.members.filter((m) => m.journal && isActive(m.state) && !m.ejecting).map(async (m) => {
      if (!(await markOn(m))) full.push(m);
    }));
    if (full.length > 0) {
      // A full drive refuses the write rather than failing its member (invariant 22): make room once, then try again.
      const room = await this.host.purgeForSpace();
      const still = room ? (await Promise.all(full.map(async (m) => ((await markOn(m)) ? null : m)))).filter((m) => m !== null) : full;
      if (still.length > 0) {
        this.end(paths, true);
        const names = still.map((m) => `"${m.label}"`).join(', ');
        throw new MirrorError('ENOSPC', `Cannot write "${paths[0]}": ${names} ${still.length > 1 ? 'are' : 'is'} full. Free some space; nothing was changed.`, { path: paths[0], memberId: still[0]!.id });
      }
    }
  }

  /** Every leg of an operation finished; `ok` only if all of them — behind legs included — succeeded (invariant 14). */
  end(paths: readonly string[], ok: boolean): void {
    const now = Date.now();
    for (const p of paths) {
      const h = this.#held.get(p);
      if (!h) continue;
      h.ops = Math.max(0, h.ops - 1);
      if (h.ops === 0) h.idleSince = now;
      if (!ok) this.sticky.add(p);
    }
  }

  /** Paths with records (in flight or not yet cleared). */
  heldPaths(): string[] { return [...this.#held.keys()]; }
  get size(): number { return this.#held.size; }

  /**
   * Resolves when the next timed clear that starts after this call has run, with how many records it cleared: a
   * test can count clear ticks instead of sleeping through them. Ticks stop once nothing is held, until the next mark.
   */
  ticked(): Promise<number> { return new Promise((resolve) => this.#tickWaiters.push(resolve)); }

  #arm(): void {
    if (this.#timer || this.tickMs <= 0) return;
    this.#timer = setInterval(() => void this.#tick(), this.tickMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const waiters = this.#tickWaiters.splice(0);
    const cleared = await this.clearIdle().catch(() => 0);
    for (const w of waiters) w(cleared);
  }

  /**
   * Clears records idle for a full tick, only while every member is present and in sync (invariant 15).
   *
   * Rule: the clear waits for the manifests, and what it decided before that wait is decided again after it. An
   * operation that takes a path whose record is still set writes nothing to the journal (mark() finds it set) and
   * starts its legs at once; a clear that had picked that path before the wait and cleared it after would leave that
   * operation running with no record, and a crash then would leave the members different with nothing to say where
   * (the crash test's "extra d1/f17.txt"). Likewise a member that failed or left during the wait stops the clear. So
   * a path is cleared only if no mark() took it since the clear began, and only if every member is still present.
   */
  async clearIdle(force = false): Promise<number> {
    const members = this.host.members;
    const allPresent = () => !members.some((m) => !isActive(m.state) || m.ejecting || m.state === 'resyncing');
    if (!allPresent()) return 0;
    const limit = force ? Infinity : Date.now() - this.tickMs;
    const decided = this.#marks;
    const idle = (p: string) => {
      const h = this.#held.get(p);
      return h !== undefined && h.ops === 0 && h.idleSince <= limit && h.marked <= decided && !this.sticky.has(p);
    };
    const clearable = [...this.#held.keys()].filter(idle);
    if (clearable.length === 0) {
      if (this.#held.size === 0 && this.#timer) { clearInterval(this.#timer); this.#timer = undefined; }
      return 0;
    }
    // A record may go only once the checksums written with its files are durable: otherwise a power cut could
    // leave an old checksum and no record to say the file needs another look.
    await Promise.all(members.map((m) => m.manifest?.commit().catch(() => {})));
    if (!allPresent()) return 0;
    const still = clearable.filter(idle);
    if (still.length === 0) return 0;
    for (const p of still) this.#held.delete(p);
    for (const m of members) {
      if (!m.journal) continue;
      // Coarse buckets on slow members are cleared only when nothing at all is held, so a steady stream of
      // writes finds its bucket already set and costs the slow drive no I/O before the ack.
      if (m.journal.coarse) { if (this.#held.size === 0) m.journal.clear([...m.journal.keys()]); }
      else m.journal.clear(still);
    }
    this.host.cleared();
    if (this.#held.size === 0) await this.host.purgeTrash();
    return still.length;
  }

  /** After a resync made every member equal, failed legs no longer need their records. */
  resyncedAll(): void { this.sticky.clear(); }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
