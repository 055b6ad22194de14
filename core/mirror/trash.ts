// Recently deleted, one member's side (invariants 10, 27): what a remove or a replacing rename takes away moves into
// .nas-mirror/trash/<id>, with <id>.json beside it saying what it was. The id is decided by the write request, so every
// member that applied the same delete holds the entry under the same id: listed, restored and purged as one.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { errnoCode, writeFileAtomic } from '../fs/filesystem.ts';
import type { Member } from './member.ts';

export type TrashReason = 'deleted' | 'replaced';

/** What the write request decides for every member: the same id, time, kind and size everywhere. */
export interface TrashTicket {
  id: string;
  deletedAt: number;
  reason: TrashReason;
  type: 'file' | 'dir';
  /** Bytes of the file, or of every file in the folder, as the request's first member measured them. */
  size: number;
}

/** The record beside an entry. Written (atomically, durably) before the entry moves in, so an entry never lacks it. */
export interface TrashMeta extends TrashTicket {
  format: 1;
  /** The mirror path it had. */
  path: string;
  /** Its checksum when it was deleted (a file the manifest knew): a restore verifies the copy it reads. */
  hash?: string;
}

const ID = /^(\d{10,16})-[0-9a-f]{4,32}$/;

export const isTrashId = (s: string): boolean => ID.test(s);

/** `${time}-${random}`: sorts by time, and says when it was deleted without reading anything. */
export const newTrashId = (at: number): string => `${Math.floor(at)}-${randomBytes(4).toString('hex')}`;

export const deletedAtOf = (id: string): number => Number(ID.exec(id)?.[1] ?? 0);

const entryPath = (m: Member, id: string) => join(m.trashDir, id);
const metaPath = (m: Member, id: string) => join(m.trashDir, `${id}.json`);

async function writeMeta(m: Member, meta: TrashMeta): Promise<void> {
  await m.fs.mkdir(m.trashDir);
  await writeFileAtomic(m.fs, metaPath(m, meta.id), m.tmpDir, Buffer.from(JSON.stringify(meta) + '\n'));
}

/** A ticket for a delete no write request decided (a catch-up removing a stale copy, an older caller). */
function ticketFor(m: Member, path: string, given: Partial<TrashTicket>, reason: TrashReason): Promise<TrashTicket> | TrashTicket {
  if (given.id !== undefined && given.type !== undefined && given.size !== undefined) {
    return { id: given.id, deletedAt: given.deletedAt ?? deletedAtOf(given.id), reason: given.reason ?? reason, type: given.type, size: given.size };
  }
  return measureEntry(m, path).then((x) => {
    const at = given.deletedAt ?? Date.now();
    return { id: given.id ?? newTrashId(at), deletedAt: at, reason: given.reason ?? reason, type: x?.type ?? 'file', size: x?.size ?? 0 };
  });
}

/** Whether `path` is a file or a folder on the member and how many bytes it holds (a folder: all its files). */
export async function measureEntry(m: Member, path: string): Promise<{ type: 'file' | 'dir'; size: number } | null> {
  const s = await m.statOrNull(path);
  if (s === null || s.type === 'other') return null;
  if (s.type === 'file') return { type: 'file', size: s.size };
  let size = 0;
  const stack = [m.abs(path)];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of await m.fs.readdir(dir)) {
      const p = join(dir, e.name);
      if (e.type === 'dir') stack.push(p);
      else if (e.type === 'file') size += (await m.fs.stat(p).catch(() => ({ size: 0 }))).size;
    }
  }
  return { type: 'dir', size };
}

/**
 * Moves `path` into the member's trash (a rename: atomic and cheap), its record written first. Already gone: the
 * outcome is the same (the record is taken back).
 */
export async function quarantine(m: Member, path: string, ticket: Partial<TrashTicket> = {}): Promise<void> {
  const made = await ticketFor(m, path, ticket, 'deleted');
  const t = ticket.id === undefined ? made : await unusedHere(m, path, made); // a fresh id cannot be held yet
  const hash = t.type === 'file' ? m.manifest?.get(path) : undefined;
  await writeMeta(m, { format: 1, ...t, path, ...(hash ? { hash } : {}) });
  for (let attempt = 0; ; attempt++) {
    try {
      await m.fs.rename(m.abs(path), entryPath(m, t.id));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
      // The path already gone (a member that caught up through a resync): nothing to keep, so no record either.
      if ((await m.statOrNull(path)) === null || attempt >= 3) {
        await m.fs.remove(metaPath(m, t.id)).catch(() => {});
        if ((await m.statOrNull(path)) === null) return;
        throw e;
      }
      await m.fs.mkdir(m.trashDir); // the trash folder itself went (removed by hand): make it again
      continue;
    }
    // Outside the try: an error here is not "the path already gone", and must not drop the entry's record.
    await dropSecondName(m, path, t.id);
    return;
  }
}

/**
 * An entry id taken from another member (a catch-up applying a delete late, ticketOf) names one delete. Rule: a member
 * that already holds that entry has applied that delete; what it holds at the path now is something later, and goes
 * under an entry of its own. Reusing the id renamed over the older entry: a folder failed the catch-up with ENOTEMPTY
 * (the member turned faulty; long commute run, seed 1966203489), a file replaced the older version in Recently
 * deleted. The one exception is the entry that already is this very file (a crash's second name: dropSecondName).
 */
async function unusedHere(m: Member, path: string, t: TrashTicket): Promise<TrashTicket> {
  const held = await m.fs.stat(entryPath(m, t.id)).catch(() => null);
  if (held === null) return t;
  const here = await m.statOrNull(path);
  if (here?.type === 'file' && held.type === 'file' && held.ino !== undefined && held.ino !== 0 && held.ino === here.ino) return t;
  const at = Date.now();
  return { ...t, id: newTrashId(at), deletedAt: at };
}

/**
 * rename(2) does nothing, and succeeds, when both names are links to one file. A crash between keepReplaced's link
 * and its rename leaves exactly that: the name and its trash entry are one file. A later delete of the name under the
 * same entry (a catch-up applying the delete late, with the entry id the source has) then "moved" it and left it in
 * place: the member kept a file the others had not (the crash test's extra file). The entry already holds this very
 * file, so the name goes. Rule: after a rename that must take a name away, the name is looked at again.
 */
async function dropSecondName(m: Member, path: string, id: string): Promise<void> {
  const left = await m.statOrNull(path);
  if (left === null || left.type !== 'file') return;
  const entry = await m.fs.stat(entryPath(m, id)).catch(() => null);
  if (entry?.ino !== undefined && entry.ino !== 0 && entry.ino === left.ino) await m.fs.remove(m.abs(path));
}

/**
 * Keeps the file a rename is about to replace: a second name in the trash (a hard link), so the rename itself stays
 * one atomic step — a crash leaves the old file or the new one at `path`, never neither. Drives without hard links
 * (exFAT, FAT) get a copy instead.
 */
export async function keepReplaced(m: Member, path: string, ticket: Partial<TrashTicket> = {}): Promise<void> {
  const t = await ticketFor(m, path, ticket, 'replaced');
  const hash = m.manifest?.get(path);
  await writeMeta(m, { format: 1, ...t, type: 'file', path, ...(hash ? { hash } : {}) });
  try {
    await m.fs.link(m.abs(path), entryPath(m, t.id));
    return;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') { await m.fs.remove(metaPath(m, t.id)).catch(() => {}); return; }
  }
  const w = await m.fs.createAtomic(entryPath(m, t.id), m.tmpDir);
  try {
    for await (const chunk of m.fs.readStream(m.abs(path))) await w.write(chunk);
    await w.commit();
  } catch (e) {
    await w.abort().catch(() => {});
    await m.fs.remove(metaPath(m, t.id)).catch(() => {});
    throw e;
  }
}

/** The ids of the entries a member holds: those with their record and their content both there. */
export async function trashIds(m: Member): Promise<Set<string>> {
  const names = await m.fs.readdir(m.trashDir).catch((e) => {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  });
  const all = new Set(names.map((e) => e.name));
  return new Set([...all].filter((n) => ID.test(n) && all.has(`${n}.json`)));
}

export async function readMeta(m: Member, id: string): Promise<TrashMeta | null> {
  try {
    const meta = JSON.parse(Buffer.from(await m.fs.readFile(metaPath(m, id))).toString('utf8')) as TrashMeta;
    return meta && meta.id === id && typeof meta.path === 'string' ? meta : null;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || e instanceof SyntaxError) return null;
    throw e;
  }
}

/** Where the entry's content is on the member (a file, or a folder holding the tree). */
export const entryContent = (m: Member, id: string): string => entryPath(m, id);

/** Deletes an entry for good: the content first, then its record (a record without content is only tidied away). */
export async function removeEntry(m: Member, id: string): Promise<void> {
  for (const p of [entryPath(m, id), metaPath(m, id)]) {
    await m.fs.remove(p).catch((e) => { if (errnoCode(e) !== 'ENOENT') throw e; });
  }
}

/**
 * At open: records whose content never arrived (a crash between the two steps of a quarantine) go; content without a
 * record (a trash written before records existed) gets one, so it is listed and can be restored, never lost.
 */
export async function tidyTrash(m: Member): Promise<void> {
  const names = await m.fs.readdir(m.trashDir).catch(() => null);
  if (!names) return;
  const all = new Set(names.map((e) => e.name));
  for (const name of all) {
    if (name.endsWith('.json')) {
      if (!all.has(name.slice(0, -5))) await m.fs.remove(join(m.trashDir, name)).catch(() => {});
      continue;
    }
    if (all.has(`${name}.json`) || name.endsWith('.tmp')) continue;
    const s = await m.fs.stat(join(m.trashDir, name)).catch(() => null);
    if (!s || s.type === 'other') continue;
    const id = ID.test(name) ? name : newTrashId(s.mtimeMs);
    if (id !== name) await m.fs.rename(join(m.trashDir, name), entryPath(m, id));
    const size = s.type === 'file' ? s.size : (await measureEntry(m, `.nas-mirror/trash/${id}`))?.size ?? 0;
    await writeMeta(m, { format: 1, id, deletedAt: deletedAtOf(id), reason: 'deleted', type: s.type, size, path: `Recovered/${name}` });
  }
}

/**
 * The entry a source member holds for a delete at `path` (the newest), so a member applying that delete late — a
 * catch-up — keeps its copy under the same id. Read from the source's records, cached per source and refreshed on a miss.
 *
 * Refreshes run one after another per source: an id is marked seen before its record is read, so a second refresh
 * running alongside skipped ids whose records the first had not read yet, missed the entry, and the late delete got a
 * new id and time (seen as "the oldest went first" failing: that copy then counted as the newest). A caller on a miss
 * waits for any refresh under way, then refreshes itself.
 */
const known = new WeakMap<Member, { byPath: Map<string, TrashMeta>; seen: Set<string>; refreshing: Promise<void> }>();

export async function ticketOf(source: Member, path: string): Promise<Partial<TrashTicket>> {
  let k = known.get(source);
  if (!k) known.set(source, (k = { byPath: new Map(), seen: new Set(), refreshing: Promise.resolve() }));
  const hit = k.byPath.get(path);
  if (hit) return { id: hit.id, deletedAt: hit.deletedAt, reason: hit.reason };
  const cache = k;
  const refresh = cache.refreshing.then(async () => {
    for (const id of await trashIds(source).catch(() => new Set<string>())) {
      if (cache.seen.has(id)) continue;
      cache.seen.add(id);
      const meta = await readMeta(source, id).catch(() => null);
      const had = meta ? cache.byPath.get(meta.path) : undefined;
      if (meta && (!had || had.deletedAt <= meta.deletedAt)) cache.byPath.set(meta.path, meta);
    }
  });
  cache.refreshing = refresh.catch(() => {});
  await refresh;
  const found = k.byPath.get(path);
  return found ? { id: found.id, deletedAt: found.deletedAt, reason: found.reason } : {};
}
