// Scrub (cf. md check/repair, SnapRAID's scrub): compare every member's copy with its manifest and list each finding —
// damaged (rot: content changed, size and time not), changed outside, missing, extra — with what repair will do.
// Repair heals rot from a good copy and hands outside changes to the outside-change policy: it never deletes or
// overwrites a version it did not write (invariant 27).
import type { Conflict, FindingAction, FindingKind, MirrorEvent, ScrubFinding, ScrubResult } from '../contract/types.ts';
import { errnoCode, type FsStat } from '../fs/filesystem.ts';
import { compareMeta, hashStream, metaOf, type ManifestEntry } from '../journal/manifest.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { inLine } from '../mirror/path-order.ts';
import { META_DIR } from '../mirror/paths.ts';
import { isSystemName } from '../mirror/system-names.ts';
import { keepVersion } from '../mirror/keep-outside.ts';
import { syncOne } from './resync.ts';
import { SMALL_FILE_BYTES } from '../fs/small-file-worker.ts';
import { WorkerPool } from './worker-pool.ts';

export interface ScrubHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  emit(e: MirrorEvent): void;
  /** The outside-change policy (outside.ts): looks at a path again and takes the change or records a conflict. */
  readonly outside: { check(path: string): Promise<void>; list(): Conflict[] };
}

export interface ScrubOptions {
  repair: boolean;
  /** Repair only these paths (the plan the user confirmed); every finding is still listed. */
  paths?: readonly string[];
}

async function hashFile(m: Member, path: string): Promise<string | null> {
  try {
    return await hashStream(m.fs.readStream(m.abs(path)), { owned: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR' || errnoCode(e) === 'EISDIR') return null;
    return 'unreadable';
  }
}

/**
 * The files on a drive, listed outside the paths' lines (a folder removed meanwhile holds none: Member.listOrNull), added
 * to `into`. One set for every drive and manifest: at 1,000,000 files, each drive's and each manifest's list of paths
 * held side by side before being merged (4,000,000 strings) took the scrub's heap to 659 MB at its peak; 253 MB so.
 */
async function addFilesOf(m: Member, into: Set<string>): Promise<void> {
  const stack = [''];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of (await m.listOrNull(dir)) ?? []) {
      if ((dir === '' && e.name === META_DIR) || isSystemName(e.name, dir)) continue;
      const p = dir ? `${dir}/${e.name}` : e.name;
      if (e.type === 'dir') stack.push(p); else if (e.type === 'file') into.add(p);
    }
  }
}

/** One member's copy of a path: what is there, what was recorded, and its checksum. */
interface Copy { m: Member; stat: FsStat | null; entry?: ManifestEntry; hash: string | null; kind: FindingKind | null }

async function copyOf(m: Member, path: string): Promise<Copy> {
  const stat = await m.statOrNull(path).catch(() => null);
  const hash = stat?.type === 'file' ? await hashFile(m, path) : null;
  return { m, stat, hash, kind: null }; // judged with the others (judgeCopies)
}

/**
 * What each member's manifest records, read for every member in one go once all the drives have answered, and each
 * copy judged by it. The rule: a path's records are read at one instant, never one drive's before and another's after
 * an await. The look for outside changes records a file found the same on every drive and recorded on none in every
 * manifest at once (outside.ts recordSame), between the lines; read at two moments, one drive looked recorded and the
 * other not, and a clean file was listed as "extra" (3-4 scrubs in 20 right after opening a mirror of files written
 * beside it: engine-scrub-record.test.ts).
 */
function judgeCopies(byMember: Copy[][], batch: readonly string[]): void {
  for (const copies of byMember) {
    for (const [i, path] of batch.entries()) {
      const c = copies[i]!;
      c.entry = c.m.manifest?.entry(path);
      c.kind = classify(c.m, c.stat, c.entry, c.hash);
    }
  }
}

/** SnapRAID's rule: content changed with size and time as written is damage; size, time or inode changed is an edit. */
function classify(m: Member, stat: FsStat | null, entry: ManifestEntry | undefined, hash: string | null): FindingKind | null {
  if (stat?.type === 'other') return null; // a link is never the mirror's
  if (entry?.type !== 'file') return stat?.type === 'file' ? 'extra' : null;
  if (stat === null) return 'missing';
  if (stat.type !== 'file') return 'changed-outside';
  if (hash === entry.hash) return null;
  if (hash === 'unreadable' || !entry.meta) return 'damaged';
  return compareMeta(entry.meta, stat, !m.rules.windowsNames) === 'same' ? 'damaged' : 'changed-outside';
}

const DETAIL: Record<FindingKind, string> = {
  'damaged': 'Its content no longer matches its checksum, though its size and date are as written: the drive damaged it',
  'changed-outside': 'It was edited directly on the drive, behind the app\'s back',
  'missing': 'It is gone from the drive, deleted behind the app\'s back',
  'extra': 'It is on the drive but was never written by the mirror',
};

function actionText(action: FindingAction, copy: Copy, good: Copy | undefined): string {
  switch (action) {
    case 'heal': return `repair rewrites it from ${good!.m.label}`;
    case 'take': return `repair mirrors this change to the other drives (${copy.m.label} is an in-sync fast drive)`;
    case 'conflict': return 'repair records it as a conflict for you to resolve; no drive is changed';
    case 'none': return 'no good copy is left to repair it from';
  }
}

/** Decides what repair does about each finding of one path (the same policy as outside.ts). */
function plan(path: string, copies: Copy[], conflicts: ReadonlySet<string>): ScrubFinding[] {
  const bad = copies.filter((c) => c.kind !== null);
  const outside = bad.filter((c) => c.kind !== 'damaged');
  const good = copies.filter((c) => c.kind === null && c.stat?.type === 'file').sort((a, b) => Number(a.m.writeMostly) - Number(b.m.writeMostly))[0];
  const sameChange = outside.every((c) => c.hash === outside[0]!.hash && (c.stat === null) === (outside[0]!.stat === null));
  const takeable = outside.length > 0 && !conflicts.has(path) && sameChange && outside.some((c) => !c.m.writeMostly && c.m.state === 'in_sync');
  return bad.map((c) => {
    const action: FindingAction = c.kind === 'damaged'
      ? (takeable ? 'take' : good ? 'heal' : 'none')
      : takeable ? 'take' : 'conflict';
    return { path, memberId: c.m.id, drive: c.m.label, kind: c.kind!, action, detail: `${DETAIL[c.kind!]}; ${actionText(action, c, good)}.` };
  });
}

/** Paths looked at together: one slot per member for the batch, and one call per member for its small files. */
const BATCH = 64;

/** Checks every file on every in-sync member and lists the findings; with `repair`, acts on them (see plan()). */
export async function scrubMirror(host: ScrubHost, o: ScrubOptions): Promise<ScrubResult> {
  const members = host.members.filter((m) => isReadable(m.state) && !m.ejecting);
  const result: ScrubResult = { checkedPaths: 0, mismatches: 0, repaired: 0, findings: [] };
  if (members.length === 0) return result;
  let all: Set<string> | null = new Set<string>();
  await Promise.all(members.map((m) => addFilesOf(m, all!)));
  for (const m of members) for (const p of m.manifest?.files() ?? []) all.add(p);
  const paths = [...all].sort();
  all = null; // only the sorted list is kept
  const only = o.paths ? new Set(o.paths) : null;
  const conflicts = new Set(host.outside.list().map((c) => c.path));
  let lastEmit = 0;
  const progress = (done: boolean) => host.emit({ type: 'scrub-progress', donePaths: result.checkedPaths, totalPaths: paths.length, mismatches: result.mismatches, repaired: result.repaired, done });
  progress(false);
  // Two batches at a time, so the next batch's files are read while this one's findings are worked out. Findings are
  // listed in path order whatever order the batches finish in.
  const byBatch: ScrubFinding[][] = [];
  let next = 0;
  const pool = new WorkerPool(); // one batch's error ends the scrub: no other batch starts after it
  const worker = async () => {
    while (next < paths.length && !host.stopping && !pool.failed) {
      const at = next;
      next += BATCH;
      const batch = paths.slice(at, at + BATCH);
      const findings = await pool.guard(scrubBatch(host, members, batch, (p) => o.repair && (only === null || only.has(p)), conflicts));
      byBatch[at / BATCH] = findings;
      for (const f of findings) {
        host.emit({ type: 'scrub-finding', finding: f });
        if (f.done && f.action !== 'conflict') result.repaired++;
      }
      result.mismatches += findings.length;
      result.checkedPaths += batch.length;
      if (Date.now() - lastEmit > 100) { lastEmit = Date.now(); progress(false); }
      await new Promise((r) => setImmediate(r)); // let foreground requests in between batches
    }
  };
  await pool.run(2, worker);
  result.findings = byBatch.flat();
  progress(true);
  return result;
}

/** One member's copies of the batch's paths (not judged yet): small files stat'ed and checksummed in one call where the drive can. */
async function copiesOn(m: Member, batch: readonly string[]): Promise<Copy[]> {
  if (!m.fs.hashSmallFiles) {
    const out: Copy[] = [];
    for (const p of batch) out.push(await copyOf(m, p));
    return out;
  }
  const got = await m.fs.hashSmallFiles(batch.map((p) => m.abs(p)), SMALL_FILE_BYTES);
  const out: Copy[] = [];
  for (const [i, path] of batch.entries()) {
    const r = got[i]!;
    const stat = r.stat; // a stat that failed (a link on the way, an I/O error) counts as nothing there, as in copyOf
    const readFailed = r.code === 'ENOENT' || r.code === 'ENOTDIR' || r.code === 'EISDIR' ? null : 'unreadable';
    const hash = stat?.type !== 'file' ? null : r.hash ?? (r.code ? readFailed : await hashFile(m, path));
    out.push({ m, stat, hash, kind: null }); // judged with the others (judgeCopies)
  }
  return out;
}

/**
 * One batch: each member's copies read in that member's own line (after the writes in flight there, so a copy is never
 * judged mid-write). The rule, as for the outside look (outside.ts lookAtEach): a read never holds one member's line
 * while it waits on another. A path clean on every member is done; only a path with something to report, record or
 * heal is looked at again with every member's line held (heldBatch: a heal is a copy, ordered on both drives as a
 * catch-up copy is). So a slow or hung backup drive holds up writes on the fast drives only for a damaged or changed
 * copy, never for a scrub of healthy files (engine-scrub-lines.test.ts forces that overlap).
 */
async function scrubBatch(host: ScrubHost, members: Member[], batch: readonly string[], repair: (path: string) => boolean, conflicts: ReadonlySet<string>): Promise<ScrubFinding[]> {
  const byMember = await Promise.all(members.map((m) => inLine([m], batch, () => copiesOn(m, batch))));
  judgeCopies(byMember, batch);
  const again = batch.filter((_, i) => byMember.some((copies) => copies[i]!.kind !== null));
  return again.length > 0 ? heldBatch(host, members, again, repair, conflicts) : [];
}

/** Paths judged (and with `repair` healed) with every member's line held: what one member's look found to act on. */
async function heldBatch(host: ScrubHost, members: Member[], batch: readonly string[], repair: (path: string) => boolean, conflicts: ReadonlySet<string>): Promise<ScrubFinding[]> {
  const all = await inLine(members, batch, async () => {
    // Each member is its own drive: read them at the same time.
    const byMember = await Promise.all(members.map((m) => copiesOn(m, batch)));
    judgeCopies(byMember, batch);
    const judged: ScrubFinding[][] = [];
    for (const [i, path] of batch.entries()) judged.push(await judge(host, path, byMember.map((c) => c[i]!), repair(path), conflicts));
    return judged;
  });
  for (const [i, path] of batch.entries()) if (repair(path)) await takeOutside(host, path, all[i]!);
  return all.flat();
}

/** The findings of one path, and with `repair` the heals done (under the batch's slots). */
async function judge(host: ScrubHost, path: string, copies: Copy[], repair: boolean, conflicts: ReadonlySet<string>): Promise<ScrubFinding[]> {
  // The same file on every drive, recorded on none (a manifest lost, files adopted): recorded now, not a finding.
  if (copies.length === host.members.length && copies.every((c) => c.kind === 'extra' && c.hash !== null && c.hash !== 'unreadable' && c.hash === copies[0]!.hash)) {
    for (const c of copies) c.m.manifest?.set(path, c.hash!, metaOf(c.stat!));
    return [];
  }
  const findings = plan(path, copies, conflicts);
  if (!repair) return findings;
  const good = copies.find((c) => c.kind === null && c.stat?.type === 'file' && !c.m.writeMostly) ?? copies.find((c) => c.kind === null && c.stat?.type === 'file');
  for (const f of findings.filter((x) => x.action === 'heal')) {
    const c = copies.find((x) => x.m.id === f.memberId)!;
    // A copy recorded without size and time could have been an edit: kept in the trash, never written over blind.
    if (c.entry?.type === 'file' && !c.entry.meta) await keepVersion(c.m, path);
    await good!.m.track(c.m.track(syncOne(good!.m, c.m, path)));
    f.done = true;
  }
  return findings;
}

async function takeOutside(host: ScrubHost, path: string, findings: ScrubFinding[]): Promise<void> {
  // Outside changes go through the policy, which takes them as writes or records a conflict (nothing is replaced).
  const rest = findings.filter((f) => f.action === 'take' || f.action === 'conflict');
  if (rest.length > 0) {
    await host.outside.check(path);
    const open = host.outside.list().some((c) => c.path === path);
    for (const f of rest) f.done = f.action === 'take' ? !open : open;
  }
}
