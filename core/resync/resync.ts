// Resync: bring one member up to date from an in-sync one — the whole tree (new member) or only dirty paths (re-add).
import { createHash } from 'node:crypto';
import type { MirrorEvent } from '../api/types.ts';
import { errnoCode, type FsStat } from '../fs/filesystem.ts';
import { hashStream } from '../journal/manifest.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { META_DIR } from '../mirror/paths.ts';

export interface ResyncHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  emit(e: MirrorEvent): void;
}

/** A source is in sync and never the target; fast members first (never a stale member: invariant 17). */
function chooseSource(host: ResyncHost, target: Member): Member | undefined {
  const ok = host.members.filter((m) => m !== target && isReadable(m.state));
  return ok.find((m) => !m.writeMostly) ?? ok[0];
}

const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** Makes one path on `target` equal to `source`, ordered with the operations in flight on both (self-heal, repair). */
export async function repairPath(source: Member, target: Member, path: string): Promise<void> {
  const slots = [source.order.reserve([path]), target.order.reserve([path])];
  try {
    await Promise.all(slots.map((s) => s.ready));
    await source.track(target.track(syncOne(source, target, path)));
  } finally {
    for (const s of slots) s.release();
  }
}

/** Makes `path` on target equal to source (one level); returns the children to visit for a folder. */
export async function syncOne(source: Member, target: Member, path: string, o: { durable?: boolean; dirs?: Set<string> } = {}): Promise<{ children: string[]; bytes: number }> {
  const s = path === '' ? ({ type: 'dir', size: 0, mtimeMs: 0 } as FsStat) : await source.statOrNull(path);
  const t = path === '' ? ({ type: 'dir', size: 0, mtimeMs: 0 } as FsStat) : await target.statOrNull(path);
  if (s === null || s.type === 'other') {
    if (t !== null) await target.fs.remove(target.abs(path));
    target.manifest?.remove(path);
    return { children: [], bytes: 0 };
  }
  if (t !== null && t.type !== s.type) { await target.fs.remove(target.abs(path)); target.manifest?.remove(path); }
  if (s.type === 'file') {
    try {
      return { children: [], bytes: await copyFile(source, target, path, o) };
    } catch (e) {
      // A folder a concurrent remove took away after it was cached as made: make it again, once.
      if (errnoCode(e) !== 'ENOENT' || !o.dirs) throw e;
      o.dirs.clear();
      return { children: [], bytes: await copyFile(source, target, path, o) };
    }
  }
  await target.fs.mkdir(target.abs(path));
  o.dirs?.add(path);
  const skip = (name: string) => path === '' && name === META_DIR;
  const srcNames = new Set((await source.fs.readdir(source.abs(path))).filter((e) => !skip(e.name)).map((e) => e.name));
  for (const e of await target.fs.readdir(target.abs(path))) {
    if (!skip(e.name) && !srcNames.has(e.name)) await target.fs.remove(target.abs(join(path, e.name)));
  }
  return { children: [...srcNames].map((n) => join(path, n)), bytes: 0 };
}

async function copyFile(source: Member, target: Member, path: string, o: { durable?: boolean; dirs?: Set<string> }): Promise<number> {
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  if (parent && !o.dirs?.has(parent)) { await target.fs.mkdir(target.abs(parent)); o.dirs?.add(parent); }
  const w = await target.fs.createAtomic(target.abs(path), target.tmpDir, { durable: o.durable });
  const hasher = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of source.fs.readStream(source.abs(path))) { hasher.update(chunk); await w.write(chunk); bytes += chunk.byteLength; }
    const hash = hasher.digest('base64url');
    const expected = source.manifest?.get(path);
    if (expected !== undefined && expected !== hash) {
      // The source's copy rotted: never spread it. The caller tries another source; scrub repairs this one.
      throw Object.assign(new Error(`"${path}" on "${source.label}" does not match its checksum`), { code: 'ECHECKSUM' });
    }
    await w.commit();
    target.manifest?.set(path, hash);
    if (expected === undefined) source.manifest?.set(path, hash); // adopted content: its first checksum
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
  return bytes;
}

/** Counts what a full resync will copy, for progress and ETA. */
async function measure(source: Member): Promise<{ paths: number; bytes: number }> {
  let paths = 0, bytes = 0;
  const stack = [''];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of await source.fs.readdir(source.abs(dir))) {
      if (dir === '' && e.name === META_DIR) continue;
      const p = join(dir, e.name);
      paths++;
      if (e.type === 'dir') stack.push(p);
      else if (e.type === 'file') bytes += (await source.fs.stat(source.abs(p))).size;
    }
  }
  return { paths, bytes };
}

/**
 * Copies `paths` (or the whole tree when null) from an in-sync member onto `target`, each path ordered with the
 * writes in flight on both members, a few at a time so foreground I/O stays responsive. Throws if no source is left.
 */
export async function resyncMember(host: ResyncHost, target: Member, paths: readonly string[] | null): Promise<void> {
  let source = chooseSource(host, target);
  if (!source) throw new Error(`No in-sync member to resync "${target.label}" from.`);
  const total = paths === null ? await measure(source) : { paths: paths.length, bytes: 0 };
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
  const copyOptions = { durable: !bulk, dirs: new Set<string>() };
  const queue: string[] = paths === null ? [''] : [...paths];
  const visit = async (path: string) => {
    for (;;) {
      if (!source || !isReadable(source.state)) source = chooseSource(host, target);
      if (!source) throw new Error(`No in-sync member left to resync "${target.label}" from.`);
      const slots = [source.order.reserve([path]), target.order.reserve([path])];
      try {
        await Promise.all(slots.map((s) => s.ready));
        const r = await source.track(target.track(syncOne(source, target, path, copyOptions)));
        queue.push(...r.children);
        if (paths !== null) progress.totalPaths += r.children.length; // a dirty folder: its content is dirty too
        if (path !== '' || paths !== null) progress.donePaths++;
        progress.doneBytes += r.bytes;
        progress.totalBytes = Math.max(progress.totalBytes, progress.doneBytes);
        return;
      } catch (e) {
        if (isReadable(source.state)) throw e; // the target failed, or a real error: stop here
        // the source failed mid-copy: go on from the next in-sync member
      } finally {
        for (const s of slots) s.release();
      }
    }
  };
  // A small pool over a queue that grows as folders are opened; workers sleep while others may still add work.
  let active = 0;
  const wakers: (() => void)[] = [];
  const wakeAll = () => { for (const w of wakers.splice(0)) w(); };
  // Paths a rename could not apply here while we copy (Member.fillLater): copied like the rest, after that rename.
  const more = (ps: readonly string[]) => {
    queue.push(...ps);
    progress.totalPaths += ps.length;
    wakeAll();
  };
  more(target.fillExtra.splice(0));
  target.fillPush = more;
  const worker = async () => {
    for (;;) {
      if (host.stopping) { target.fillPush = undefined; return; }
      const p = queue.shift();
      if (p === undefined) {
        // Done: from this moment operations apply to this member directly (decided synchronously, so none is lost).
        if (active === 0) { target.fillPush = undefined; target.fillDone = true; wakeAll(); return; }
        await new Promise<void>((r) => wakers.push(r));
        continue;
      }
      active++;
      try {
        await visit(p);
      } finally {
        active--;
        wakeAll();
      }
      report();
      await new Promise((r) => setImmediate(r)); // let foreground requests in between copies
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  if (bulk && !host.stopping && !(await target.fs.syncFilesystem(target.root))) {
    throw new Error(`"${target.label}" could not flush its copies to disk`);
  }
  if (paths === null) progress.totalPaths = Math.max(progress.donePaths, host.stopping ? progress.totalPaths : progress.donePaths);
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
    if (s?.type === 'dir') for (const e of await m.fs.readdir(m.abs(p))) stack.push(`${p}/${e.name}`);
    if (s?.type === 'file') m.manifest.set(p, await hashStream(m.fs.readStream(m.abs(p))));
  }
}
