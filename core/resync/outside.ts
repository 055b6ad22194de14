// Changes made directly in a member's folder, behind the app's back (DESIGN §8a). Told from rot by size, time and
// inode (SnapRAID's rule, journal/manifest.ts); noticed by a watcher on each member, a periodic look and at open; a
// change on an in-sync fast drive is taken as a write, any other is a conflict the user resolves. Nothing is lost.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { MirrorError } from '../contract/errors.ts';
import type { Conflict, ConflictChoice, ConflictVersion, MirrorEvent, OutsideChangeKind } from '../contract/types.ts';
import { errnoCode, writeFileAtomic, type FsStat } from '../fs/filesystem.ts';
import { compareMeta, hashStream, metaOf, type ManifestEntry } from '../journal/manifest.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { inLine } from '../mirror/path-order.ts';
import type { Op } from '../mirror/ops.ts';
import { baseName, META_DIR, parentOf } from '../mirror/paths.ts';
import { isSystemName } from '../mirror/system-names.ts';
import { quarantine } from '../mirror/trash.ts';
import { keepVersion } from '../mirror/keep-outside.ts';
import type { Taken } from '../mirror/write-request.ts';
import { watchFolder, type FolderWatch } from './member-watch.ts';
import { copyInSync } from './resync.ts';

export interface OutsideHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  emit(e: MirrorEvent): void;
  onEvent(listener: (e: MirrorEvent) => void): () => void;
  /** The member's folder still holds its superblock (an unmounted drive is not "every file deleted"). */
  alive(m: Member): Promise<boolean>;
  /** Runs an operation through the normal write path: journal, ordering, behind legs (write-request.ts). */
  submit(op: Op, taken?: Taken): Promise<void>;
}

export interface OutsideOptions {
  watch: boolean;
  settleMs: number;
  intervalMs: number;
}

/** The engine's defaults (types.ts MirrorOptions): watched, 1 s to settle, a full look every 15 minutes. */
export function outsideOptions(o: { watchOutside?: boolean; outsideSettleMs?: number; reconcileIntervalMs?: number }): OutsideOptions {
  const settle = o.outsideSettleMs ?? 1000, every = o.reconcileIntervalMs ?? 15 * 60_000;
  for (const [name, v] of [['outsideSettleMs', settle], ['reconcileIntervalMs', every]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new MirrorError('EINVALIDOPTION', `${name} must be a whole number of milliseconds ≥ 0; got ${v}.`);
  }
  return { watch: o.watchOutside !== false, settleMs: settle, intervalMs: every };
}

/** How one member's copy of a path stands against what the engine recorded writing there. */
interface Look {
  m: Member;
  kind: 'same' | OutsideChangeKind;
  /** What is there now (null: nothing). */
  stat: FsStat | null;
  entry?: ManifestEntry;
}

const CONFLICTS_FILE = 'conflicts.json';

/** FAT, exFAT and NTFS drivers number inodes afresh at each mount: there only size and time tell. */
const trustInode = (m: Member) => !m.rules.windowsNames;

async function hashOn(m: Member, path: string): Promise<string | null> {
  try {
    return await hashStream(m.fs.readStream(m.abs(path)), { owned: true });
  } catch {
    return null;
  }
}

/** What is at `path` on the member spelled exactly so (a case-insensitive drive's "photo" is not "Photo"). */
async function exactStat(m: Member, path: string): Promise<FsStat | null> {
  try {
    const s = await m.statOrNull(path);
    return s !== null && (await m.spelledAsStored(path)) ? s : null;
  } catch (e) {
    if (errnoCode(e) === 'ESYMLINK' || errnoCode(e) === 'ELOOP') return { type: 'other', size: 0, mtimeMs: 0 };
    throw e;
  }
}

/** Compares a member's copy of `path` with its manifest; records metadata where only the metadata was unknown. */
export async function lookAt(m: Member, path: string): Promise<Look> {
  const entry = m.manifest?.entry(path);
  const stat = await exactStat(m, path);
  const same: Look = { m, kind: 'same', stat, entry };
  if (stat?.type === 'other') return { m, kind: 'same', stat: null, entry }; // a link: never the mirror's, never touched
  if (!entry) return stat ? { m, kind: 'added', stat, entry } : same;
  if (!stat) return { m, kind: 'deleted', stat, entry };
  if (entry.type === 'dir') return stat.type === 'dir' ? same : { m, kind: 'changed', stat, entry };
  if (stat.type === 'dir') return { m, kind: 'changed', stat, entry };
  // Recorded before metadata was (an older manifest): what is there is taken as what was written; scrub checks content.
  if (!entry.meta) { m.manifest?.set(path, entry.hash, metaOf(stat)); return same; }
  const c = compareMeta(entry.meta, stat, trustInode(m));
  if (c === 'same') return same;
  // An inode change alone: the same content under a new inode (a restore, a renumbering) is no change at all.
  if (c === 'inode' && (await hashOn(m, path)) === entry.hash) { m.manifest?.set(path, entry.hash, metaOf(stat)); return same; }
  return { m, kind: 'changed', stat, entry };
}

/**
 * `path` looked at on each member, each in its own turn in that member's line (after every operation on it submitted
 * before). The rule: a look never holds one member's line while it waits on another. Each look compares one drive with
 * that drive's own record, so nothing needs the drives looked at in the same instant; a look holding every member's line
 * at once let a write-mostly drive that stopped answering (a USB disk) hold up writes to that path on the fast drives
 * until the stall allowance failed it — a write-mostly drive must never slow a fast one (engine-outside.test.ts forces
 * that overlap).
 */
function lookAtEach(members: readonly Member[], path: string): Promise<Look[]> {
  return Promise.all(members.map((m) => inLine([m], [path], () => lookAt(m, path))));
}

/** Makes `path` (a whole folder too) on `dst` equal to `src`, each path in its turn in line on both (copyInSync). */
export async function copyTree(src: Member, dst: Member, path: string): Promise<void> {
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    const r = await copyInSync(src, dst, p);
    stack.push(...r.children);
  }
}

const safeLabel = (s: string) => s.replace(/[<>:"/\\|?*\x00-\x1f]/g, '-').trim() || 'drive';

/** Folders of one drive looked at at once by the walk for outside changes. */
const LOOK_FOLDERS = 4;

export class OutsideChanges {
  readonly #conflicts = new Map<string, Conflict>();
  readonly #watches = new Map<Member, Promise<FolderWatch | null>>();
  /** Paths something happened to, with when it last did: looked at once quiet for settleMs. */
  readonly #pending = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #periodic?: NodeJS.Timeout;
  #chain: Promise<void> = Promise.resolve();
  #busy = 0;
  #idle: (() => void)[] = [];
  #reconciling?: Promise<void>;
  #off?: () => void;
  #stopped = false;
  /** A look was put off while a drive was resyncing: the whole trees are looked at once it is done. */
  #deferred = false;

  constructor(readonly host: OutsideHost, readonly o: OutsideOptions) {}

  /** Open time: the recorded conflicts, a watcher per member, and one look at every tree. */
  start(): void {
    this.#off = this.host.onEvent((e) => {
      if (e.type !== 'member-state') return;
      this.#rewatch();
      if (this.#deferred && !this.host.members.some((m) => m.state === 'resyncing')) {
        this.#deferred = false;
        void this.reconcile().catch(() => {});
      }
    });
    this.#rewatch();
    if (this.o.intervalMs > 0) {
      // A drive with a working watcher is looked at whole every 4th time (its watcher tells the rest): the walk stats
      // every file, a minute and more for 100,000 files on a busy machine (test/bench/watch-outside.ts).
      let ticks = 0;
      this.#periodic = setInterval(() => { void this.reconcile({ watchedToo: ++ticks % 4 === 0 }).catch(() => {}); }, this.o.intervalMs);
      this.#periodic.unref();
    }
    void this.#work(async () => {
      await this.#loadConflicts();
      await this.#reconcileNow();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#off?.();
    clearTimeout(this.#timer);
    clearInterval(this.#periodic);
    this.#pending.clear();
    await Promise.all([...this.#watches.keys()].map((m) => this.unwatch(m)));
    await this.#chain;
  }

  get count(): number { return this.#conflicts.size; }
  list(): Conflict[] { return [...this.#conflicts.values()].sort((a, b) => a.detectedAt - b.detectedAt); }

  // ---- noticing -----------------------------------------------------------------------------------------------

  #readable(): Member[] {
    return this.host.members.filter((m) => isReadable(m.state) && !m.ejecting);
  }

  /** Watches every readable member; a member that left is no longer watched (nothing of ours may hold its drive). */
  #rewatch(): void {
    if (this.#stopped || !this.o.watch) return;
    const readable = this.#readable();
    for (const m of readable) {
      if (this.#watches.has(m)) continue;
      const w = watchFolder(m.root, (paths) => this.notice(paths), () => { void this.unwatch(m); })
        .catch(() => null); // no watcher (too many folders, a filesystem without events): the periodic look remains
      this.#watches.set(m, w);
    }
    for (const m of this.#watches.keys()) if (!readable.includes(m)) void this.unwatch(m);
  }

  async unwatch(m: Member): Promise<void> {
    const w = this.#watches.get(m);
    this.#watches.delete(m);
    await (await w)?.close();
  }

  /** Something happened to these paths (a watcher event, a read that found a copy edited): look once they settle. */
  notice(paths: readonly string[]): void {
    if (this.#stopped) return;
    const now = Date.now();
    for (const p of paths) this.#pending.set(p, now);
    this.#arm();
  }

  #arm(): void {
    if (this.#timer || this.#pending.size === 0) return;
    const oldest = Math.min(...this.#pending.values());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      const due = [...this.#pending].filter(([, t]) => now - t >= this.o.settleMs).map(([p]) => p).sort();
      for (const p of due) this.#pending.delete(p);
      for (const p of due) void this.#work(() => this.#check(p));
      this.#arm();
    }, Math.max(0, oldest + this.o.settleMs - Date.now()));
  }

  /**
   * Runs looks and resolutions one at a time: a background look must not compete with the user's own reads and
   * writes, and a resolution must not race a look at the same path.
   */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    this.#busy++;
    const run = this.#chain.then(fn).finally(() => {
      if (--this.#busy === 0 && this.#pending.size === 0) for (const w of this.#idle.splice(0)) w();
    });
    this.#chain = run.then(() => {}, () => {});
    return run;
  }

  #work(fn: () => Promise<void>): Promise<void> {
    return this.#serial(() => (this.#stopped || this.host.stopping ? Promise.resolve() : fn())).catch((e) => {
      console.error('nas-mirror: looking at an outside change failed:', (e as Error).message);
    });
  }

  /** Resolves once every noticed path has been looked at and acted on (tests, and reconcile's callers). */
  settled(): Promise<void> {
    if (this.#busy === 0 && this.#pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /**
   * Compares every readable member's tree with its manifest by size, time and inode, and acts on what differs;
   * `watchedToo: false` leaves out the drives a watcher is watching.
   */
  reconcile(o: { watchedToo?: boolean } = {}): Promise<void> {
    this.#reconciling ??= this.#work(() => this.#reconcileNow(o.watchedToo !== false)).finally(() => { this.#reconciling = undefined; });
    return this.#reconciling.then(() => this.settled());
  }

  async #reconcileNow(watchedToo = true): Promise<void> {
    // While a drive is being filled or caught up, what it copies is what the fast drive holds: look again after.
    if (this.host.members.some((m) => m.state === 'resyncing')) { this.#deferred = true; return; }
    const suspects = new Set<string>();
    // The drives walked at once: the walk waits on each folder's answers more than it works (one drive's at a time
    // was 6 s for 200,000 files, both processes idle most of it).
    const found = await Promise.all(this.#readable().map(async (m) => (!watchedToo && (await this.#watches.get(m)) != null ? [] : this.#suspectsOn(m))));
    for (const paths of found) for (const p of paths) suspects.add(p);
    for (const c of this.#conflicts.keys()) suspects.add(c);
    // Folders before what they hold: a folder deleted whole is one delete, not one per file.
    for (const p of [...suspects].sort()) {
      if (this.#stopped || this.host.stopping) return;
      await this.#check(p);
    }
  }

  /**
   * The paths of one member whose metadata differs from its manifest (a cheap pass: stats, no reads). A few folders
   * are looked at at once (LOOK_FOLDERS): each is a round trip to the drive's worker, and one at a time the walk was
   * bound by their latency, not by the work.
   */
  async #suspectsOn(m: Member): Promise<string[]> {
    const manifest = m.manifest;
    if (!manifest) return [];
    const out: string[] = [];
    // What the walk met: recorded paths ticked off in the manifest itself, a byte each, and folders in a set of their
    // own. A set of every path met took the heap to 420 MB at its peak for two drives of 1,000,000 files; this, 62 MB.
    const dirs = new Set<string>();
    manifest.startWalk();
    const stack = [''];
    let n = 0;
    const visit = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await m.fs.readdir(m.abs(dir));
      } catch {
        return; // gone meanwhile, or the drive failed (its legs will say so)
      }
      entries = entries.filter((e) => !((dir === '' && e.name === META_DIR) || isSystemName(e.name, dir) || e.type === 'other'));
      // The files' stats in one call where the drive has it (a folder of 2,000 photos: one link check, one batch).
      const files = entries.filter((e) => e.type !== 'dir');
      const stats = m.fs.statEntries ? await m.fs.statEntries(m.abs(dir), files.map((e) => e.name)).catch(() => null) : null;
      const statOf = new Map(stats ? files.map((e, i) => [e.name, stats[i]!]) : []);
      for (const e of entries) {
        const p = dir ? `${dir}/${e.name}` : e.name;
        const entry = manifest.entryMet(p);
        if (e.type === 'dir') {
          dirs.add(p);
          if (entry?.type !== 'dir') out.push(p);
          stack.push(p);
          continue;
        }
        const s = stats ? statOf.get(e.name)! : await m.fs.stat(m.abs(p)).catch(() => null);
        if (!s || entry?.type !== 'file') { out.push(p); continue; }
        if (!entry.meta) manifest.set(p, entry.hash, metaOf(s)); // recorded before metadata was: taken as written
        else if (compareMeta(entry.meta, s, trustInode(m)) !== 'same') out.push(p);
        if (++n % 500 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    try {
      await new Promise<void>((done, fail) => {
        let active = 0;
        const pump = () => {
          while (active < LOOK_FOLDERS && stack.length > 0) {
            active++;
            visit(stack.pop()!).then(() => { active--; pump(); }, fail);
          }
          if (active === 0 && stack.length === 0) done();
        };
        pump();
      });
      // A recorded path the walk did not meet is gone from the drive, unless its folder is: then the folder is the one
      // change. Its folder was met if walked as a folder, as a recorded path, or as a path nobody recorded (in `out`).
      const unrecorded = new Set(out);
      const walked = (d: string) => dirs.has(d) || manifest.met(d) || unrecorded.has(d);
      for (const p of manifest.notMet()) { // nothing sets or deletes while this runs: no await in it
        const parent = parentOf(p);
        if (parent !== '' && !walked(parent)) continue;
        out.push(p);
      }
    } finally {
      manifest.endWalk();
    }
    return out;
  }

  // ---- deciding -----------------------------------------------------------------------------------------------

  /**
   * Looks at `path` on every readable member, in its turn in line (so the engine's own writes have landed and been
   * recorded), and applies the policy: a change on in-sync fast drives only, the same on each, is taken as a write;
   * anything else is a conflict.
   */
  check(path: string): Promise<void> { return this.#serial(() => this.#check(path)); }

  async #check(path: string): Promise<void> {
    const members = this.#readable();
    if (members.length === 0 || this.host.stopping) return;
    // While a drive is being filled or caught up, what it copies is what the fast drive holds: look again after.
    if (this.host.members.some((m) => m.state === 'resyncing')) { this.#deferred = true; return; }
    const looks = await lookAtEach(members, path);
    const changed = looks.filter((l) => l.kind !== 'same');
    const open = this.#conflicts.get(path);
    if (changed.length === 0) {
      if (open) await this.#drop(path);
      return;
    }
    if (changed.length === this.host.members.length && (await this.#recordSame(path, changed))) {
      if (open) await this.#drop(path);
      return;
    }
    const fast = changed.filter((l) => !l.m.writeMostly && l.m.state === 'in_sync');
    if (!open && fast.length > 0 && (await this.#agree(path, changed))) {
      const why = await this.#take(path, fast[0]!);
      if (why === null) return;
      return this.#conflict(path, looks, why);
    }
    return this.#conflict(path, looks, open?.reason ?? this.#reasonFor(changed));
  }

  /** Every member holds the same thing nobody recorded (a manifest from before folders were, adopted files): record it. */
  async #recordSame(path: string, looks: Look[]): Promise<boolean> {
    if (!looks.every((l) => l.kind === 'added')) return false;
    if (looks.every((l) => l.stat?.type === 'dir')) { for (const l of looks) l.m.manifest?.setDir(path); return true; }
    if (!looks.every((l) => l.stat?.type === 'file')) return false;
    const hashes = await Promise.all(looks.map((l) => hashOn(l.m, path)));
    if (hashes[0] === null || hashes.some((h) => h !== hashes[0])) return false;
    for (const l of looks) l.m.manifest?.set(path, hashes[0], metaOf(l.stat!));
    return true;
  }

  /** Changes made the same way on each drive (the same delete, the same content) are one change. */
  async #agree(path: string, changed: Look[]): Promise<boolean> {
    if (changed.length === 1) return true;
    const shape = (l: Look) => (l.stat === null ? 'none' : l.stat.type);
    if (!changed.every((l) => shape(l) === shape(changed[0]!))) return false;
    if (changed[0]!.stat?.type !== 'file') return true;
    const hashes = await Promise.all(changed.map((l) => hashOn(l.m, path)));
    return hashes[0] !== null && hashes.every((h) => h === hashes[0]);
  }

  #reasonFor(changed: Look[]): string {
    const what = (l: Look) => (l.kind === 'added' ? 'added' : l.kind === 'deleted' ? 'deleted' : 'changed');
    const slow = changed.find((l) => l.m.writeMostly);
    if (changed.length > 1) return `It was ${changed.map((l) => `${what(l)} on ${l.m.label}`).join(' and ')}, differently.`;
    if (slow) return `It was ${what(slow)} directly on ${slow.m.label}, a write-mostly (backup) drive: the mirror does not take changes from a backup drive without asking.`;
    const l = changed[0]!;
    return `It was ${what(l)} directly on ${l.m.label} while that drive was not in sync.`;
  }

  /** Takes a change made on an in-sync fast drive as a write; returns null, or why it could not be taken. */
  async #take(path: string, l: Look): Promise<string | null> {
    // A drive whose folder vanished (unmounted, unplugged) did not delete anything (invariant 21).
    if (!(await this.host.alive(l.m))) return null;
    try {
      if (l.stat && l.entry && (l.entry.type === 'dir') !== (l.stat.type === 'dir')) {
        // A file became a folder or the other way round: the old one goes (kept in the trash), the new one comes.
        await this.host.submit({ kind: 'remove', path }, { member: l.m, stat: l.stat });
      }
      if (l.kind === 'deleted') {
        await this.host.submit({ kind: 'remove', path }, { member: l.m, stat: null });
      } else if (l.stat?.type === 'dir') {
        await this.host.submit({ kind: 'mkdir', path });
        // A watcher misses what was created inside a folder just renamed or moved in: look at everything in it.
        await this.#noticeTree(l.m, path);
      } else if (l.stat?.type === 'file') {
        await this.host.submit({ kind: 'write', path }, { member: l.m, stat: l.stat });
      }
    } catch (e) {
      const code = (e as MirrorError).code;
      if (code === 'EBUSY') { this.notice([path]); return null; } // still being written: looked at again once quiet
      if (code === 'ESTOPPED') return null;
      if (code === 'ENOTFOUND' && l.kind === 'deleted') { l.m.manifest?.remove(path); return null; }
      return `It was ${l.kind} directly on ${l.m.label}, but could not be mirrored: ${(e as Error).message}`;
    }
    this.host.emit({ type: 'outside-change', memberId: l.m.id, path, change: l.kind as OutsideChangeKind, outcome: 'taken' });
    return null;
  }

  async #noticeTree(m: Member, path: string): Promise<void> {
    const entries = await m.fs.readdir(m.abs(path)).catch(() => []);
    for (const e of entries) {
      if (e.type === 'other' || isSystemName(e.name, path)) continue;
      const p = `${path}/${e.name}`;
      if (e.type === 'dir') await this.#noticeTree(m, p);
      const look = await lookAt(m, p);
      if (look.kind !== 'same') void this.#work(() => this.#check(p));
    }
  }

  async #conflict(path: string, looks: Look[], reason: string): Promise<void> {
    const versions: ConflictVersion[] = looks.map((l) => ({
      memberId: l.m.id, drive: l.m.label, mirror: l.kind === 'same',
      type: l.stat?.type === 'file' || l.stat?.type === 'dir' ? l.stat.type : null,
      ...(l.stat?.type === 'file' ? { size: l.stat.size, mtimeMs: l.stat.mtimeMs } : {}),
    }));
    const open = this.#conflicts.get(path);
    if (open && JSON.stringify(open.versions) === JSON.stringify(versions)) return;
    this.#conflicts.set(path, { id: open?.id ?? randomUUID(), path, detectedAt: open?.detectedAt ?? Date.now(), reason, versions });
    await this.#saveConflicts();
    for (const l of looks) {
      if (l.kind !== 'same') this.host.emit({ type: 'outside-change', memberId: l.m.id, path, change: l.kind, outcome: 'conflict', detail: reason });
    }
    this.host.emit({ type: 'conflicts-changed', count: this.#conflicts.size });
  }

  async #drop(path: string): Promise<void> {
    if (!this.#conflicts.delete(path)) return;
    await this.#saveConflicts();
    this.host.emit({ type: 'conflicts-changed', count: this.#conflicts.size });
  }

  /** Recorded durably on every readable member (atomic replace), so a restart shows them with their ids and times. */
  async #saveConflicts(): Promise<void> {
    const body = Buffer.from(JSON.stringify({ format: 1, conflicts: this.list() }) + '\n');
    await Promise.all(this.#readable().map((m) =>
      writeFileAtomic(m.fs, join(m.root, META_DIR, CONFLICTS_FILE), m.tmpDir, body).catch(() => {})));
  }

  async #loadConflicts(): Promise<void> {
    for (const m of this.#readable()) {
      try {
        const saved = JSON.parse(Buffer.from(await m.fs.readFile(join(m.root, META_DIR, CONFLICTS_FILE))).toString('utf8')) as { conflicts?: Conflict[] };
        for (const c of saved.conflicts ?? []) if (c && typeof c.path === 'string' && !this.#conflicts.has(c.path)) this.#conflicts.set(c.path, c);
      } catch { /* none recorded on this drive */ }
    }
    // Each is looked at again by the reconcile that follows: one that went away (the drive changed back) is dropped.
  }

  // ---- resolving ----------------------------------------------------------------------------------------------

  /**
   * Resolves a conflict as the user chose. `memberId` names the drive whose version take-drive takes, or keep-both
   * keeps under a new name (default: the one changed drive). Every version replaced goes to its own drive's trash.
   */
  resolve(id: string, choice: ConflictChoice, memberId?: string): Promise<void> {
    return this.#serial(() => this.#resolve(id, choice, memberId));
  }

  async #resolve(id: string, choice: ConflictChoice, memberId?: string): Promise<void> {
    const c = [...this.#conflicts.values()].find((x) => x.id === id);
    if (!c) throw new MirrorError('ENOTFOUND', 'That conflict is no longer open (it was resolved, or the drives agree again).');
    const members = this.#readable();
    const looks = await lookAtEach(members, c.path);
    const changed = looks.filter((l) => l.kind !== 'same');
    if (changed.length === 0) { await this.#drop(c.path); return; }
    const drive = memberId !== undefined ? looks.find((l) => l.m.id === memberId) : changed.find((l) => l.m.writeMostly) ?? changed[0];
    if (!drive) throw new MirrorError('ENOMEMBER', `No drive with id "${memberId}" holds a version of "${c.path}".`, { memberId, path: c.path });
    const mirror = looks.find((l) => l.kind === 'same' && !l.m.writeMostly) ?? looks.find((l) => l.kind === 'same')
      ?? looks.find((l) => !l.m.writeMostly && l !== drive) ?? drive;
    for (const l of looks) if (!(await this.host.alive(l.m))) throw new MirrorError('EIO', `"${l.m.label}" is not answering; nothing was changed. Check the drive and try again.`, { memberId: l.m.id });
    switch (choice) {
      case 'keep-mirror':
        await this.#keep(c.path, mirror, looks);
        break;
      case 'take-drive':
        await this.#takeVersion(c.path, drive, looks);
        break;
      case 'keep-both': {
        if (drive.stat?.type !== 'file' || drive === mirror) {
          throw new MirrorError('EINVALIDOPTION', `"Keep both" needs a file on ${drive.m.label} beside the mirror's version; choose which version to keep instead.`, { path: c.path });
        }
        const name = await this.#freeName(c.path, drive.m.label);
        await this.host.submit({ kind: 'write', path: name }, { member: drive.m, stat: drive.stat, from: c.path });
        await this.#keep(c.path, mirror, looks);
        break;
      }
    }
    await this.#drop(c.path);
    void this.#work(() => this.#check(c.path));
  }

  /** Every drive gets `winner`'s version back; what each had instead goes to its trash first. */
  async #keep(path: string, winner: Look, looks: Look[]): Promise<void> {
    for (const l of looks) {
      if (l === winner) continue;
      // A file the winner's file replaces is kept by a second name; anything else in the way moves to the trash whole.
      if (l.stat?.type === 'file' && winner.stat?.type === 'file') await inLine([l.m], [path], () => keepVersion(l.m, path));
      else if (l.stat) await inLine([l.m], [path], () => quarantine(l.m, path, { reason: 'replaced' }));
      await copyTree(winner.m, l.m, path);
    }
  }

  /** `drive`'s version becomes the mirror's, through the normal write path; the versions it replaces go to the trash. */
  async #takeVersion(path: string, drive: Look, looks: Look[]): Promise<void> {
    if (drive.stat === null) return this.host.submit({ kind: 'remove', path }, { member: drive.m, stat: null });
    for (const l of looks) {
      if (l === drive || !l.stat) continue;
      // A file is kept by a second name and then replaced by the write; a folder in the way moves to the trash whole.
      if (l.stat.type === 'file' && drive.stat.type === 'file') await inLine([l.m], [path], () => keepVersion(l.m, path));
      else await inLine([l.m], [path], () => quarantine(l.m, path, { reason: 'replaced' }));
    }
    if (drive.stat.type === 'file') return this.host.submit({ kind: 'write', path }, { member: drive.m, stat: drive.stat });
    // A folder: made everywhere, then everything in it taken from that drive.
    const stack = [path];
    while (stack.length) {
      const dir = stack.pop()!;
      await this.host.submit({ kind: 'mkdir', path: dir });
      // Listed outside the folder's line: a live remove may have taken it meanwhile (Member.listOrNull).
      for (const e of (await drive.m.listOrNull(dir)) ?? []) {
        if (e.type === 'other' || isSystemName(e.name, dir)) continue;
        const p = `${dir}/${e.name}`;
        if (e.type === 'dir') { stack.push(p); continue; }
        const s = await drive.m.statOrNull(p);
        if (s?.type === 'file') await this.host.submit({ kind: 'write', path: p }, { member: drive.m, stat: s });
      }
    }
  }

  /** "report (USB Backup 2026-11-30).txt", or with a number after it: a name no member holds. */
  async #freeName(path: string, label: string): Promise<string> {
    const name = baseName(path), dir = parentOf(path);
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name, ext = dot > 0 ? name.slice(dot) : '';
    const day = new Date().toISOString().slice(0, 10);
    for (let i = 1; ; i++) {
      const candidate = `${stem} (${safeLabel(label)} ${day}${i > 1 ? ` ${i}` : ''})${ext}`;
      const p = dir ? `${dir}/${candidate}` : candidate;
      const taken = await Promise.all(this.host.members.filter((m) => isReadable(m.state)).map((m) => m.statOrNull(p).catch(() => null)));
      if (taken.every((s) => s === null)) return p;
    }
  }
}
