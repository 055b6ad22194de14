// Resync: bring one member up to date from an in-sync one — the whole tree (new member) or only dirty paths (re-add).
import { createHash } from 'node:crypto';
import type { MirrorEvent } from '../contract/types.ts';
import { errnoCode, nullIfAbsent, type BulkFile, type FsStat } from '../fs/filesystem.ts';
import { hashStream, metaOf } from '../journal/manifest.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { baseName, foldPath, parentOf } from '../mirror/paths.ts';
import { quarantine, ticketOf } from '../mirror/trash.ts';
import { isSystemName } from '../mirror/system-names.ts';
import { editedSince, keepVersion } from '../mirror/keep-outside.ts';
import { ResumeLog, type CopyRecord } from './resume-log.ts';
import { giveChunk } from '../fs/chunk-pool.ts';
import { WorkerPool } from './worker-pool.ts';
import {
  closeView, exactStat, notMirrored, readInLine, readSmallBatch, readSource, recordAdopted, SourceLeft, spelledOn, stillSource,
  type Adopted, type SourceView,
} from './source-view.ts';

export { SourceLeft } from './source-view.ts';

export interface ResyncHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  emit(e: MirrorEvent): void;
}

/** A source is in sync and never the target; fast members first (never a stale member: invariant 17). */
function chooseSource(host: ResyncHost, target: Member): Member | undefined {
  // A member being ejected no longer receives writes: a copy from it could carry an old version past a newer write.
  const ok = host.members.filter((m) => m !== target && isReadable(m.state) && !m.ejecting);
  return ok.find((m) => !m.writeMostly) ?? ok[0];
}

const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** Makes one path on `target` equal to `source`, ordered with the operations in flight on both (self-heal, repair). */
export async function repairPath(source: Member, target: Member, path: string): Promise<void> {
  await copyInSync(source, target, path, { fromInSync: true });
}

/**
 * Makes `path` on a member in sync equal to another (a heal, an outside change taken back: copyTree); returns a
 * folder's entries to visit. Live operations take the target's line too, so the copy takes its place on both at once,
 * ordered with them on each; it lets the source's go once it has read there (source-view.ts), so a slow or hung
 * target holds up nothing on the source beyond that. `fromInSync`: the source must be in sync before and after the
 * copy, else nothing is trusted (SourceLeft).
 */
export async function copyInSync(source: Member, target: Member, path: string, o: { fromInSync?: boolean } = {}): Promise<{ children: string[] }> {
  const slots = [source.order.reserve([path]), target.order.reserve([path])];
  let r: CopyResult;
  try {
    await Promise.all(slots.map((s) => s.ready));
    let v: SourceView;
    try {
      if (o.fromInSync && !stillSource(source)) throw new SourceLeft(source, path);
      v = await source.track(readSource(source, path, readingFor(target, {})));
    } finally {
      slots[0]!.release();
    }
    r = await source.track(target.track(landView(source, target, v, {})));
    if (o.fromInSync && !stillSource(source)) throw new SourceLeft(source, path);
  } finally {
    for (const s of slots) s.release();
  }
  await recordAdopted(source, r.adopted);
  return r;
}

/**
 * Takes away what the target holds at `path` that the source does not, into its trash like any delete (a rename, so
 * a folder holding something of the drive's own — a link — is kept recoverable too: invariant 27).
 */
async function removeStale(target: Member, path: string, source?: Member): Promise<void> {
  // A delete applied late (the source has it in its trash): kept under the same recently deleted entry as there.
  await quarantine(target, path, source ? await ticketOf(source, path) : {});
  target.manifest?.removeTree(path);
}

/**
 * On a case-insensitive target, the copy of "Photo.jpg" would land on a stale "photo.jpg" and keep that spelling: give
 * the entry the source's spelling first (a rename), so every member shows the name the user gave (invariant 12).
 */
async function matchSpelling(target: Member, path: string, type: 'file' | 'dir'): Promise<void> {
  if (!target.rules.caseInsensitive || path === '') return;
  const name = baseName(path), parent = parentOf(path);
  const entries = await target.fs.readdir(target.abs(parent)).catch(() => []);
  if (entries.some((e) => e.name === name)) return;
  const key = foldPath(name);
  const twin = entries.find((e) => foldPath(e.name) === key);
  if (!twin) return;
  const at = join(parent, twin.name);
  if (twin.type === type) await target.fs.rename(target.abs(at), target.abs(path));
  else await removeStale(target, at); // a stale twin of another kind
}

/**
 * Making a folder on a target, one at a time per member. Copies of two paths run at once when neither holds the other
 * ("d/a", "d/b"), yet both may make their shared folder "d", and making it is not always idempotent: a stale file or
 * an old spelling ("D") in the way is moved aside or renamed. Run together, the second found the way already cleared
 * under it (ENOENT: the member was failed, seed 501800277 of the commute property), or on a case-insensitive member
 * could have taken the other's new "d" for the stale "D". Rule: whatever a catch-up does to a folder above its own
 * path happens here, one call after another per member, each looking afresh, so the second sees the first's folder.
 */
const folderMaking = new WeakMap<Member, Promise<unknown>>();

function makeDir(target: Member, path: string): Promise<void> {
  const run = (folderMaking.get(target) ?? Promise.resolve()).then(() => makeDirNow(target, path));
  folderMaking.set(target, run.catch(() => {}));
  return run;
}

/** Makes folder `path` on the target; a stale file (or a link) where the source has a folder on the way is moved aside. */
async function makeDirNow(target: Member, path: string): Promise<void> {
  await matchSpelling(target, path, 'dir');
  try {
    await target.fs.mkdir(target.abs(path));
    return;
  } catch (e) {
    if (!['EEXIST', 'ENOTDIR', 'ESYMLINK'].includes(errnoCode(e) ?? '')) throw e;
  }
  let p = '';
  for (const name of path.split('/')) {
    p = join(p, name);
    const t = await target.statOrNull(p);
    if (t === null) break;
    if (t.type !== 'dir') { await removeStale(target, p); break; }
  }
  await target.fs.mkdir(target.abs(path));
}

interface CopyOptions {
  durable?: boolean;
  dirs?: Set<string>;
  /** A full resync's checkpoint: copies it lists (still matching) are kept, and finished copies are added to it. */
  resume?: ResumeLog;
}

/** What one copy did: a folder's entries to visit, the bytes copied, the first checksums to record on the source. */
interface CopyResult { children: string[]; bytes: number; adopted: Adopted[] }

/** How the source is read for a copy onto `target` (source-view.ts, readSource). */
const readingFor = (target: Member, o: CopyOptions) => ({ caseInsensitiveTarget: target.rules.caseInsensitive, bulk: o.durable === false && !!target.fs.writeFileBulk });

/**
 * Makes `path` on target equal to source (one level), the caller holding its place in line on both for the whole copy
 * (a scrub's repair, judged with every line held: scrub.ts); returns the children to visit for a folder.
 */
export async function syncOne(source: Member, target: Member, path: string, o: CopyOptions = {}): Promise<{ children: string[]; bytes: number }> {
  const r = await landView(source, target, await readSource(source, path, readingFor(target, o)), o);
  for (const a of r.adopted) source.manifest?.set(a.path, a.hash, metaOf(a.read)); // both lines held: nothing moved it
  return r;
}

/**
 * Makes the target equal to what the source held (a view read in the source's line), touching the target only (the
 * source's trash is read for a delete's entry, and a big file's open handle); closes the view.
 */
async function landView(source: Member, target: Member, v: SourceView, o: CopyOptions): Promise<CopyResult> {
  try {
    return await landOn(source, target, v, o);
  } finally {
    await closeView(v);
  }
}

async function landOn(source: Member, target: Member, v: SourceView, o: CopyOptions): Promise<CopyResult> {
  const { path, s } = v;
  const none: CopyResult = { children: [], bytes: 0, adopted: [] };
  const t = await exactStat(target, path);
  if (v.unspelled && t === null) {
    // A path on a case-insensitive target stands for every spelling of it (the rule, with a test in engine-readd):
    // - the source holds it as "d": the target's "D" is that entry under an old spelling, not stale. Removing it would
    //   take "d" and all under it off the target; it is respelled and synced under the source's name instead (the
    //   view is already the source's "d": readSource);
    // - the source holds no spelling of it: whatever the target holds under any spelling is stale and goes. (A folder
    //   respelled on the way to another path keeps its contents, so "D/a" may now be found only as "d/a".)
    const held = await spelledOn(target, path);
    if (held !== null && (await target.statOrNull(held).catch(() => null))?.type !== 'other') {
      await removeStale(target, held, source);
      return none;
    }
  }
  if (s === null || s.type === 'other') {
    // Absent from the mirror: the target's copy goes, but a link or special file of its own is not ours to touch.
    if (t !== null && t.type !== 'other') await removeStale(target, path, source);
    else target.manifest?.remove(path);
    // The folders a write made on the way stay when its file goes: the target gets them too (an empty folder is the
    // user's as much as a file is).
    if (t === null && v.aboveDir && (await exactStat(target, v.aboveDir))?.type !== 'dir') await makeDir(target, v.aboveDir);
    return none;
  }
  if (t !== null && t.type !== s.type) await removeStale(target, path);
  if (s.type === 'file') {
    const adopted: Adopted[] = [];
    const kept = keptCopy(target, v, t, o, adopted);
    // Invariant 27: a copy edited on the drive behind the app's back is kept in its trash, never written over.
    if (!kept && t?.type === 'file' && editedSince(target, path, t)) await keepVersion(target, path);
    if (kept) return { children: [], bytes: kept.size, adopted };
    try {
      return { children: [], bytes: await copyFile(target, v, o, adopted), adopted };
    } catch (e) {
      // A folder a concurrent remove took away after it was cached as made, or a stale file where a folder belongs:
      // make the folders again, once — when the bytes read are all still there (a big file's are read as they go).
      if (!['ENOENT', 'ENOTDIR', 'EEXIST', 'ESYMLINK'].includes(errnoCode(e) ?? '') || v.stream?.used) throw e;
      o.dirs?.clear();
      return { children: [], bytes: await copyFile(target, v, { ...o, dirs: o.dirs ?? new Set() }, adopted, true), adopted };
    }
  }
  await makeDir(target, path);
  if (path !== '') target.manifest?.setDir(path);
  o.dirs?.add(path);
  const srcNames = new Set(v.names);
  // On a case-insensitive target, "photo.jpg" is the source's "Photo.jpg" under a stale spelling, fixed when visited.
  const srcKeys = target.rules.caseInsensitive ? new Set([...srcNames].map(foldPath)) : undefined;
  for (const e of await target.fs.readdir(target.abs(path))) {
    if (notMirrored(path, e.name) || e.type === 'other' || srcNames.has(e.name) || srcKeys?.has(foldPath(e.name))) continue;
    await removeStale(target, join(path, e.name), source);
  }
  return { children: [...srcNames].map((n) => join(path, n)), bytes: 0, adopted: [] };
}

/**
 * The copy a resumed full resync already made of the path, if the target still holds it (resume-log.ts): its checksum
 * becomes the target's entry again (the manifest is written lazily, so a crash may have lost it).
 */
function keptCopy(target: Member, v: SourceView, t: FsStat | null, o: CopyOptions, adopted: Adopted[]): CopyRecord | null {
  if (t?.type !== 'file' || !o.resume) return null;
  const r = o.resume.trusted(v.path, v.s!, t);
  if (!r || (v.expected !== undefined && v.expected !== r.hash)) return null;
  // With the size, time and inode each copy has now: the engine wrote them (outside changes tell edits by these).
  target.manifest?.set(v.path, r.hash, metaOf(t));
  if (v.expected === undefined) adopted.push({ path: v.path, hash: r.hash, read: v.s! });
  return r;
}

/** Copies a file, with the source's modification time (a backup drive shows the dates the files have). */
async function copyFile(target: Member, v: SourceView, o: CopyOptions, adopted: Adopted[], again = false): Promise<number> {
  const { path, s } = v;
  const parent = parentOf(path);
  if (parent && !o.dirs?.has(parent)) {
    if (again) await makeDir(target, parent); else await target.fs.mkdir(target.abs(parent));
    o.dirs?.add(parent);
  }
  await matchSpelling(target, path, 'file');
  if (v.small) return copySmallFile(target, v, v.small, o, adopted);
  const stream = v.stream!;
  const w = await target.fs.createAtomic(target.abs(path), target.tmpDir, { durable: o.durable, mtimeMs: s!.mtimeMs, mode: s!.mode });
  const hasher = createHash('sha256');
  let bytes = 0;
  try {
    stream.used = true;
    for (let r = stream.first; !r.done; r = await stream.rest.next()) {
      const chunk = r.value;
      hasher.update(chunk);
      await w.write(chunk);
      bytes += chunk.byteLength;
      giveChunk(chunk); // written: nothing holds it now (a write that failed or hung never gets here)
    }
    const hash = hasher.digest('base64url');
    notRotten(v, hash);
    await w.commit();
    await target.manifest?.landed(path, hash, w.landed); // with its size, time and inode (outside changes: resync/outside.ts)
    if (v.expected === undefined) adopted.push({ path, hash, read: s! }); // adopted content: its first checksum
    o.resume?.copied(path, { size: bytes, mtimeMs: s!.mtimeMs, hash });
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
  return bytes;
}

/**
 * Checks a copy just read against the checksum the source's manifest held when it was read (undefined: adopted
 * content, not checksummed yet): a copy that rotted on the source is never spread. The caller tries another source;
 * scrub repairs this one.
 */
function notRotten(v: SourceView, hash: string): void {
  if (v.expected !== undefined && v.expected !== hash) {
    throw Object.assign(new Error(`"${v.path}" does not match its checksum on the drive it was copied from`), { code: 'ECHECKSUM' });
  }
}

/**
 * A bulk copy of a small file: read whole with its checksum in one call on the source (readSource), written in one call
 * on the target (temp file, time and mode, rename; durable at the resync's syncFilesystem), instead of about twenty
 * thread-pool round trips (a photo library's adoption was ~350 µs of engine work per file). Same checks as the
 * streamed copy.
 */
async function copySmallFile(target: Member, v: SourceView, r: NonNullable<SourceView['small']>, o: CopyOptions, adopted: Adopted[]): Promise<number> {
  notRotten(v, r.hash);
  // The time and mode of the bytes read (the same call's stat), not of the look before it: an edit on the drive in
  // between must not land with the old file's date.
  const landed = await target.fs.writeFileBulk!(target.abs(v.path), target.tmpDir, r.data, { mtimeMs: r.stat.mtimeMs, mode: r.stat.mode });
  recordCopy(target, v.path, { hash: r.hash, read: r.stat, landed, size: r.data.byteLength, adopted: v.expected === undefined }, o, adopted);
  return r.data.byteLength;
}

/**
 * What a bulk copy records once it landed: each copy's checksum with the size, time and inode it has (outside changes:
 * resync/outside.ts), as landed() records them; adopted content's first checksum for the source; the checkpoint's line.
 */
function recordCopy(target: Member, path: string, c: { hash: string; read: FsStat; landed: FsStat; size: number; adopted: boolean }, o: CopyOptions, adopted: Adopted[]): void {
  target.manifest?.set(path, c.hash, metaOf(c.landed));
  if (c.adopted) adopted.push({ path, hash: c.hash, read: c.read });
  o.resume?.copied(path, { size: c.size, mtimeMs: c.read.mtimeMs, hash: c.hash });
}

/** Bulk copies of small files between these two, many per call (both drives case-sensitive: no spelling to match). */
const bulkBetween = (source: Member, target: Member, o: CopyOptions) => o.durable === false && !!source.fs.readSmallFiles &&
  !!target.fs.hashSmallFiles && !!target.fs.writeFilesBulk && !source.rules.caseInsensitive && !target.rules.caseInsensitive;

/**
 * A catch-up's copy of `paths` (one, or siblings: CatchUp.takeSiblings), the caller holding their places in line on the
 * target; each read takes its place on the source only while it reads (the rule: source-view.ts). Sibling small files
 * that the target lacks or holds as the engine's own unedited copy are copied in three calls for all of them: read with
 * their checksums on the source, looked at on the target, written there (copySmallFile's steps and checks, per file).
 * Everything else — folders, big files, links, a copy edited on the drive, a resumed copy, a file whose checksum does
 * not match, any refusal — is read and copied one path at a time, exactly as alone.
 */
async function copyPaths(source: Member, target: Member, paths: readonly string[], o: CopyOptions): Promise<CopyResult> {
  const out: CopyResult = { children: [], bytes: 0, adopted: [] };
  let rest = paths;
  if (paths.length > 1 && bulkBetween(source, target, o)) {
    const read = await readInLine(source, paths, () => readSmallBatch(source, paths));
    rest = await landSmallBatch(target, paths, read, o, out);
  }
  for (const p of rest) {
    const v = await readInLine(source, [p], () => readSource(source, p, readingFor(target, o)));
    const r = await source.track(landView(source, target, v, o));
    out.children.push(...r.children);
    out.bytes += r.bytes;
    out.adopted.push(...r.adopted);
  }
  return out;
}

/** The target side of a bulk copy: lands what it can, counts it in `out`, and returns the paths to copy one at a time. */
async function landSmallBatch(target: Member, paths: readonly string[], src: Awaited<ReturnType<typeof readSmallBatch>>, o: CopyOptions, out: CopyResult): Promise<readonly string[]> {
  const there = await target.fs.hashSmallFiles!(paths.map((p) => target.abs(p)), -1); // stats only
  const rest: string[] = [];
  const chosen: { path: string; hash: string; read: FsStat; size: number; adopted: boolean }[] = [];
  const files: BulkFile[] = [];
  paths.forEach((path, i) => {
    const r = src.read[i]!, t = there[i]!, expected = src.expected[i];
    const copyable = !r.code && r.stat?.type === 'file' && r.data !== undefined && r.hash !== undefined &&
      (expected === undefined || expected === r.hash) && // (rotten on the source: copied alone, it is refused)
      !t.code && (t.stat === null || (t.stat.type === 'file' && !o.resume && !editedSince(target, path, t.stat)));
    if (!copyable) { rest.push(path); return; }
    chosen.push({ path, hash: r.hash!, read: r.stat!, size: r.data!.byteLength, adopted: expected === undefined });
    // The time and mode of the bytes read (the same call's stat), as copySmallFile does.
    files.push({ target: target.abs(path), data: r.data!, attrs: { mtimeMs: r.stat!.mtimeMs, mode: r.stat!.mode } });
  });
  if (files.length === 0) return rest;
  const parent = parentOf(paths[0]!);
  if (parent && !o.dirs?.has(parent)) {
    // As copyFile makes it; any trouble (a stale file or a link on the way) is the one-at-a-time copy's to sort out.
    try { await target.fs.mkdir(target.abs(parent)); } catch { return paths; }
    o.dirs?.add(parent);
  }
  const landed = await target.fs.writeFilesBulk!(files, target.tmpDir);
  landed.forEach((w, i) => {
    const c = chosen[i]!;
    if (!w.stat) { rest.push(c.path); return; } // nothing written: the copy alone meets the cause itself
    recordCopy(target, c.path, { ...c, landed: w.stat }, o, out.adopted);
    out.bytes += c.size;
  });
  return rest;
}

/** How many sibling paths one copy takes at most (a few MiB of small files in one message). */
const BATCH = 64;

/**
 * Counts what a full resync will copy, for progress and ETA. It holds no place in line: live operations change the
 * tree as it walks, so what went away meanwhile counts as nothing (Member.listOrNull), never as an error.
 */
async function measure(source: Member): Promise<{ paths: number; bytes: number }> {
  let paths = 0, bytes = 0;
  const stack = [''];
  while (stack.length) {
    const dir = stack.pop()!;
    const entries = ((await source.listOrNull(dir)) ?? []).filter((e) => !notMirrored(dir, e.name));
    const files = entries.filter((e) => e.type === 'file').map((e) => e.name);
    // A folder's files in one call where the drive has it (200 photos: one worker message, not 200 stats).
    if (source.fs.statEntries) for (const s of (await nullIfAbsent(source.fs.statEntries(source.abs(dir), files))) ?? []) bytes += s?.size ?? 0;
    else for (const n of files) bytes += (await source.statOrNull(join(dir, n)))?.size ?? 0;
    paths += entries.length;
    for (const e of entries) if (e.type === 'dir') stack.push(join(dir, e.name));
  }
  return { paths, bytes };
}

/**
 * Copies what `target` does not hold current (its catch-up: the whole tree, or the paths dirtied while it was away)
 * from an in-sync member, a few paths at a time so foreground I/O stays responsive. Each copy takes its place in the
 * path's line on both members when its turn comes, and live operations on paths still pending join the catch-up
 * instead of touching the stale copy: the rule is written down in mirror/catch-up.ts. Resolves when nothing is pending
 * (or the mirror stops, or the target left); throws if no source is left or the target failed.
 */
export async function resyncMember(host: ResyncHost, target: Member): Promise<void> {
  const cu = target.catchUp;
  if (!cu) throw new Error(`"${target.label}" has nothing to catch up.`);
  let source = chooseSource(host, target);
  if (!source) throw new Error(`No in-sync member to resync "${target.label}" from.`);
  const full = target.resyncKind !== 'records';
  const total = full ? await measure(source) : { paths: cu.queued, bytes: 0 };
  const progress = { donePaths: 0, totalPaths: total.paths, doneBytes: 0, totalBytes: total.bytes };
  target.resync = progress;
  let lastEmit = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    host.emit({ type: 'resync-progress', memberId: target.id, ...progress });
  };
  report(true);
  // Bulk copies skip the per-file fsyncs and are made durable by one syncfs at the end; until then the member stays
  // 'resyncing' and a crash restarts its resync, so nothing unflushed is ever trusted.
  const bulk = await target.fs.syncFilesystem(target.root);
  // A full resync resumes from its checkpoint (resume-log.ts): after a crash, the copies known durable are kept.
  const resume = full ? await ResumeLog.open(target.fs, target.root, target.rules.windowsNames) : undefined;
  const flush = () => (bulk ? target.fs.syncFilesystem(target.root) : Promise.resolve(true));
  const copyOptions: CopyOptions = { durable: !bulk, dirs: new Set<string>(), resume };
  /** Copies one path, or sibling paths together (copyPaths): its place in line on the target held throughout. */
  const visit = async (paths: readonly string[]) => {
    // The target's place in line first, the source's only while the copy reads there (the rule: source-view.ts).
    const held = target.order.reserve(paths);
    let done: { src: Member; adopted: Adopted[] } | undefined;
    try {
      await held.ready;
      for (;;) {
        if (!source || !stillSource(source)) source = chooseSource(host, target);
        // Rule: a copy reads only the member it took its place in line on. `source` is shared by the copies running
        // at once, and another one may switch it (its source failed) while this one waits: reading the new source
        // then skipped that member's line, so a behind write still queued there was overtaken (a file just written
        // was found missing on the write-mostly drive and removed from the member being filled; long run seed
        // 48151623). Test: "two copies wait on a source that fails" (engine-source-left.test.ts) forces that overlap.
        const src = source;
        if (!src) throw new Error(`No in-sync member left to resync "${target.label}" from.`);
        try {
          const r = await target.track(copyPaths(src, target, paths, copyOptions));
          if (!stillSource(src)) continue; // it failed during the copy, which may hold its old version: copy again
          cu.add(r.children); // before the folder itself counts as current (catch-up.ts, rule 3)
          progress.donePaths += paths.filter((p) => p !== '' || !full).length;
          // A dirty folder's content is dirty too, and live operations may add paths: the total grows with the queue.
          progress.totalPaths = Math.max(progress.totalPaths, progress.donePaths + cu.queued);
          progress.doneBytes += r.bytes;
          progress.totalBytes = Math.max(progress.totalBytes, progress.doneBytes);
          done = { src, adopted: r.adopted };
          break;
        } catch (e) {
          // It failed (or began to be ejected) before a read: what was copied from it was read while it was in sync,
          // and the copy is made again, whole, from the member chosen now.
          if (e instanceof SourceLeft) continue;
          if (isReadable(src.state)) throw e; // the target failed, or a real error: stop here
          // the source failed mid-copy: go on from the next in-sync member
        }
      }
    } finally {
      held.release();
    }
    await recordAdopted(done.src, done.adopted);
  };
  // Cut short when the mirror stops, the target leaves (failed, ejected, replaced by a re-add), or a worker failed:
  // no copy may start after that, so whoever waits for this resync knows the folder is quiet once it returns.
  const pool = new WorkerPool();
  const goOn = () => !pool.failed && !host.stopping && target.state === 'resyncing' && !target.ejecting && target.catchUp === cu;
  const COPIERS = 6;
  const worker = async () => {
    while (goOn()) {
      const p = cu.take();
      if (p === undefined) {
        if (cu.done) return;
        await cu.changed();
        continue;
      }
      // Siblings go together where both drives copy small files in bulk, a share of the queue each so that every
      // copier has some (a folder of 100 photos: two calls on the source and two on the target per 64, not 4 each).
      const more = p !== '' && bulkBetween(source ?? target, target, copyOptions) ? Math.min(BATCH - 1, Math.ceil(cu.queued / COPIERS)) : 0;
      const paths = more > 0 ? [p, ...cu.takeSiblings(p, more)] : [p];
      try {
        await pool.guard(visit(paths));
      } finally {
        for (const q of paths) cu.finished(q);
      }
      if (resume?.due) void resume.checkpoint(flush).catch(() => {}); // a lost checkpoint only costs copying again
      report();
      await new Promise((r) => setImmediate(r)); // let foreground requests in between copies
    }
  };
  let complete = false;
  try {
    await pool.run(COPIERS, worker);
    if (!goOn()) return;
    if (bulk && !(await target.fs.syncFilesystem(target.root))) {
      throw new Error(`"${target.label}" could not flush its copies to disk`);
    }
    complete = true;
  } finally {
    // Complete: the checkpoint has served. Cut short or failed: what was copied is recorded for the next run to keep.
    await resume?.finish(complete, flush);
  }
  progress.totalPaths = progress.donePaths;
  report(true);
}

/**
 * After a crash the manifest of the member that resyncs the others may lag its own files where intent records are set
 * (entries are written lazily): recompute those entries from the content, which is the truth for that member.
 */
export async function refreshManifest(m: Member, paths: Iterable<string>): Promise<void> {
  if (!m.manifest) return;
  const stack = [...paths];
  while (stack.length) {
    const p = stack.pop()!;
    const s = await m.statOrNull(p);
    if (s === null || s.type !== 'file') m.manifest.removeTree(p);
    if (s?.type === 'dir') for (const e of await m.fs.readdir(m.abs(p))) if (!isSystemName(e.name, p)) stack.push(`${p}/${e.name}`);
    if (s?.type === 'dir') m.manifest.setDir(p);
    if (s?.type === 'file') await m.manifest.landed(p, await hashStream(m.fs.readStream(m.abs(p)), { owned: true }));
  }
}
