// One member: a folder on a drive holding a full copy, with its behind writes, ordering, and health (cf. md rdev).
import { join } from 'node:path';
import type { MemberState, MemberStatus } from '../contract/types.ts';
import { nullIfAbsent, type Filesystem, type FsEntry, type FsStat } from '../fs/filesystem.ts';
import type { MemberJournal } from '../journal/intent-journal.ts';
import type { Manifest } from '../journal/manifest.ts';
import { superblockPath, tmpDirOf } from '../journal/superblock.ts';
import { nextState, type MemberTransition } from './member-state.ts';
import { PathOrder } from './path-order.ts';
import { WriteRate } from './write-rate.ts';
import { CatchUp } from './catch-up.ts';
import type { FailureCause } from './failure.ts';
import { overlaps, POSIX_RULES, type NameRules } from './paths.ts';

/** A write acknowledged before this member has it (cf. md behind write). */
export interface BehindLeg {
  readonly paths: readonly string[];
  readonly bytes: number;
  readonly startedAt: number;
  /** Settles when the leg landed, failed, or was dropped with its member. */
  readonly settled: Promise<void>;
}

export class Member {
  state: MemberState;
  error?: string;
  readonly order = new PathOrder();
  readonly behind = new Set<BehindLeg & { drop(): void }>();
  behindBytes = 0;
  /** Readers (or stop/eject) waiting on this member's behind writes: while > 0, new writes to it are synchronous. */
  behindWaiters = 0;
  /** Set by eject/stop: no new behind writes, ever, for this member. */
  noBehind = false;
  /** Set by eject: from this point the member gets no new writes; they are recorded for its re-add. */
  ejecting = false;
  /** The generation written clean to this member when it was ejected; -1 when it left without a clean copy. */
  ejectedAtGeneration = -1;
  /** Why it failed, when it did (the message is in `error`). */
  failure?: FailureCause;
  /** The generation up to which it holds every write: set when it stops receiving writes (MirrorImpl.memberLeaving). */
  caughtUpTo = 0;
  /** It left while a resync was still filling it: only a full resync can bring it back. */
  incomplete = false;
  /** What the running resync does: fill the whole tree, or catch up recorded paths only. */
  resyncKind?: 'full' | 'records';
  pendingReads = 0;
  /** Paths that may differ on this member because it missed or may have missed writes (in memory; the journal keeps them durably). */
  readonly dirty = new Set<string>();
  resync?: { donePaths: number; totalPaths: number; doneBytes: number; totalBytes: number };
  /** While resyncing: the paths it does not yet hold current, and the rule for live legs (catch-up.ts). */
  catchUp?: CatchUp;
  rules: NameRules = POSIX_RULES;
  /** This member's intent journal (exact, or coarse on a write-mostly member). */
  journal?: MemberJournal;
  /** What each file on this member should hash to. */
  manifest?: Manifest;
  #legs = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #rate = new WriteRate();

  /** Joins the mirror to be resynced: the whole tree (null), or the paths that may differ (also recorded as missed). */
  startCatchUp(paths: readonly string[] | null): void {
    this.resyncKind = paths === null ? 'full' : 'records';
    this.catchUp = new CatchUp(paths ?? ['']);
    for (const p of paths ?? []) this.dirty.add(p);
  }

  /**
   * Whether a live operation on `paths` may be applied to this member now (catch-up.ts, rule 1). When it may not, the
   * paths join its catch-up and are recorded as missed (rule 2): the caller leaves this member out.
   */
  takesLiveLeg(paths: readonly string[]): boolean {
    if (!this.catchUp || !this.catchUp.overlapsAny(paths)) return true;
    this.catchUp.add(paths);
    for (const p of paths) this.dirty.add(p);
    return false;
  }

  constructor(
    readonly id: string,
    public label: string,
    readonly root: string,
    public writeMostly: boolean,
    readonly fs: Filesystem,
    state: MemberState,
  ) {
    this.state = state;
  }

  abs(rel: string): string { return rel === '' ? this.root : join(this.root, rel); }

  /** What is at a mirror path on this member; null when nothing is (a missing file or folder is not an error). */
  async statOrNull(rel: string): Promise<FsStat | null> {
    return nullIfAbsent(this.fs.stat(this.abs(rel)));
  }

  /**
   * The entries of folder `rel`, or null when it is not there (gone, or a file now). For walks that look at a whole
   * drive outside the paths' lines (a full resync's count, a scrub's listing): live operations change the tree under
   * them, and a folder removed meanwhile is an empty one to such a walk, never an error (engine-walk-gone.test.ts).
   * The member's own folder is never "gone": missing, the drive is, and that is the error it always was.
   */
  async listOrNull(rel: string): Promise<FsEntry[] | null> {
    return rel === '' ? this.fs.readdir(this.root) : nullIfAbsent(this.fs.readdir(this.abs(rel)));
  }

  /**
   * Whether `rel` is there spelled exactly so. On a case-insensitive member a lookup of "Photo.JPG" finds "photo.jpg";
   * mirror paths are exact on every member, so such a member is asked by listing the folders (others need not be).
   */
  async spelledAsStored(rel: string): Promise<boolean> {
    if (!this.rules.caseInsensitive || rel === '') return true;
    let dir = '';
    for (const name of rel.split('/')) {
      // Anything else (a link on the way, a failing drive) is the caller's to handle.
      const entries = await nullIfAbsent(this.fs.readdir(this.abs(dir)));
      if (!entries?.some((e) => e.name === name)) return false;
      dir = dir ? `${dir}/${name}` : name;
    }
    return true;
  }

  get tmpDir(): string { return tmpDirOf(this.root); }
  get trashDir(): string { return join(this.root, '.nas-mirror', 'trash'); }
  get superblockPath(): string { return superblockPath(this.root); }

  /** Applies a transition; returns true when the state changed. */
  transition(t: MemberTransition): boolean {
    const next = nextState(this.state, t);
    if (next === this.state) return false;
    this.state = next;
    return true;
  }

  /** Counts an operation on this member until it settles, so eject/stop can wait for it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.#legs++;
    const done = () => {
      if (--this.#legs === 0) for (const w of this.#idleWaiters.splice(0)) w();
    };
    p.then(done, done);
    return p;
  }

  /** Resolves once nothing is in flight on this member (event-driven, no polling). */
  idle(): Promise<void> {
    return this.#legs === 0 ? Promise.resolve() : new Promise((r) => this.#idleWaiters.push(r));
  }

  addBehind(paths: readonly string[], bytes: number): BehindLeg & { drop(): void; finish(): void } {
    let resolve!: () => void;
    const settled = new Promise<void>((r) => (resolve = r));
    let open = true;
    const leg = {
      paths, bytes, startedAt: Date.now(), settled,
      finish: () => { if (open) { open = false; this.behind.delete(leg); this.behindBytes -= bytes; resolve(); } },
      drop: () => leg.finish(),
    };
    this.behind.add(leg);
    this.behindBytes += bytes;
    return leg;
  }

  /** Behind writes that a read of `path` must not overtake. */
  behindOverlapping(path: string): BehindLeg[] {
    return [...this.behind].filter((l) => l.paths.some((p) => overlaps(p, path)));
  }

  /** Drops every behind write (member failed): their paths stay dirty for re-add. */
  dropBehind(): void {
    for (const leg of [...this.behind]) {
      for (const p of leg.paths) this.dirty.add(p);
      leg.drop();
    }
  }

  /** A write that landed on this member: what the flush ETA is measured from. */
  recordWrite(bytes: number, ms: number): void { this.#rate.record(bytes, ms); }

  /** 0 while unknown (too little written yet). */
  get writeBytesPerSecond(): number { return this.#rate.bytesPerSecond; }

  /** The first few paths with behind writes not yet on this member, oldest first. */
  get behindPaths(): string[] {
    const paths: string[] = [];
    for (const l of this.behind) { if (paths.length >= 20) break; paths.push(...l.paths); }
    return paths.slice(0, 20);
  }

  status(): MemberStatus {
    let oldest = Infinity;
    for (const l of this.behind) oldest = Math.min(oldest, l.startedAt);
    return {
      id: this.id, label: this.label, path: this.root, writeMostly: this.writeMostly, state: this.state,
      behindWrites: this.behind.size, behindBytes: this.behindBytes,
      oldestBehindMs: oldest === Infinity ? 0 : Date.now() - oldest,
      behindPaths: this.behindPaths,
      writeBytesPerSecond: Math.round(this.writeBytesPerSecond),
      ...(this.resync ? { resync: { ...this.resync } } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
