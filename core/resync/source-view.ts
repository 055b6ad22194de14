// What a copy reads on its source, read in the source's line and let go of before the copy writes its target.
import { giveChunk } from '../fs/chunk-pool.ts';
import { nullIfAbsent, type FsStat } from '../fs/filesystem.ts';
import { SMALL_FILE_BYTES, type SmallFileHash } from '../fs/small-file-worker.ts';
import { metaOf } from '../journal/manifest.ts';
import { isLinkError } from '../mirror/links.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { inLine } from '../mirror/path-order.ts';
import { foldPath, META_DIR, parentOf } from '../mirror/paths.ts';
import { isSystemName } from '../mirror/system-names.ts';

/*
 * The rule for a catch-up copy's places in line (resync.ts, visit). A copy takes its place in its paths' line on the
 * member it fills (the target) first; once its turn has come there, it takes its place on the source only for as long
 * as it reads there — what is at each path, a folder's names, a small file's bytes, a big file opened — and lets the
 * source's line go before it writes anything on the target. So a slow or hung target (a USB drive) never holds up a
 * live change of those paths on the fast drive: a copy that held the source's line while it wrote the target did, until
 * the stall allowance failed the target (engine-readd: "a catch-up copy stuck on the returning drive holds up nothing
 * on the fast drive"), and one that took both places at once held the source's while it waited behind such a copy.
 *
 * Why reading first is enough:
 *  - the engine replaces a file by renaming a new one over it and takes one away by renaming it into the trash, so a
 *    file opened in the source's line keeps the bytes it had then, whatever comes after;
 *  - while a path is pending on the target, every live operation on it joins the catch-up again (catch-up.ts, rule 2):
 *    a change on the source after the read is copied by a later copy, which waits behind this one on the target;
 *  - no deadlock: a live operation never takes a place on the target for a path pending there, and other copies to
 *    the target take their place there first (behind this one), so nothing waiting ahead of the copy in the source's
 *    line waits for the target's place the copy holds. A copy onto a member in sync (a heal, a conflict resolved) is
 *    not a catch-up: live operations take the target's line too, so it takes both places at once, ordered with them
 *    on each, and lets the source's go once read all the same (resync.ts, copyInSync). A scrub judging copies holds
 *    every line (scrub.ts, heldBatch).
 *  - what the copy would record on the source (adopted content's first checksum) is recorded in the source's line
 *    again once the copy is done, only if the file there is still the one read (recordAdopted).
 */

/** What a copy read on its source at one path (readSource), for the target side (resync.ts, landView). */
export interface SourceView {
  /** The source's spelling of the path (on a case-insensitive target, the one the source holds). */
  path: string;
  s: FsStat | null;
  /** Nothing there, the target case-insensitive: the source holds no spelling of the path at all. */
  unspelled?: boolean;
  /** Nothing there: the deepest folder above the path the source has (null: none, or a file is the deepest). */
  aboveDir?: string | null;
  /** A folder: the names of its entries that belong to the mirror. */
  names?: string[];
  /** A file: its checksum in the source's manifest when it was read (undefined: adopted content, none yet). */
  expected?: string;
  /** A small file for a bulk copy: read whole, with its checksum and the stat of the bytes read. */
  small?: { data: Uint8Array; hash: string; stat: FsStat };
  /** A bigger file: open, its first chunk read. `used`: the target side began on it (it cannot be read again). */
  stream?: { first: IteratorResult<Uint8Array>; rest: AsyncIterator<Uint8Array>; used: boolean };
}

/** A file whose first checksum the copy computed: to record on the source (recordAdopted), with the stat it was read at. */
export interface Adopted { path: string; hash: string; read: FsStat }

/**
 * A copy's source is looked at again once its turn has come, and once the copy is done. Rule (as in clearIdle): a
 * source chosen before waiting is chosen again after it. Its place in line orders the copy after the writes before it
 * on that member only while the member takes writes: one that failed meanwhile skipped them (an acknowledged write
 * landed on the others only), and copying its old version would overwrite the newer one.
 */
export const stillSource = (m: Member) => isReadable(m.state) && !m.ejecting;

/** The source of a copy stopped being in sync after it was chosen: nothing was copied (the target is not at fault). */
export class SourceLeft extends Error {
  readonly code = 'ESOURCELEFT';
  constructor(source: Member, path: string) {
    super(`"${source.label}" is no longer in sync, so "${path}" was not copied from it`);
  }
}

const ROOT: FsStat = { type: 'dir', size: 0, mtimeMs: 0 };
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** Not the mirror's (system-names.ts): never copied, and a target's own are never removed. */
export const notMirrored = (dir: string, name: string) => (dir === '' && name === META_DIR) || isSystemName(name, dir);

/**
 * What is at `path` on a member, spelled exactly so (a case-insensitive member's "photo" is not the mirror's "Photo");
 * a link on the way is not part of the mirror (invariant 24): as if absent.
 */
export async function exactStat(m: Member, path: string): Promise<FsStat | null> {
  if (path === '') return ROOT;
  try {
    const s = await m.statOrNull(path);
    return s !== null && (await m.spelledAsStored(path)) ? s : null;
  } catch (e) {
    if (isLinkError(e)) return null;
    throw e;
  }
}

/**
 * A member's own spelling of `path` when it holds that name, maybe under another case or Unicode form, else null (the
 * mirror never holds two spellings of one name: paths.ts). Read level by level, so a folder above counts too.
 */
export async function spelledOn(m: Member, path: string): Promise<string | null> {
  let at = '';
  for (const name of path.split('/')) {
    const entries = await m.fs.readdir(m.abs(at)).catch(() => null);
    const key = foldPath(name);
    const e = entries?.find((x) => x.name === name) ?? entries?.find((x) => foldPath(x.name) === key);
    if (!e) return null;
    at = join(at, e.name);
  }
  return at;
}

/** The deepest thing above `path` the source has, when it is a folder (the target gets it too: an empty folder stays). */
async function folderAbove(source: Member, path: string): Promise<string | null> {
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) {
    const s = await exactStat(source, p);
    if (s !== null) return s.type === 'dir' ? p : null;
  }
  return null;
}

/**
 * Reads what the target side of a copy of `path` needs from the source, touching only the source (the caller holds its
 * place in line there). `bulk`: small files are read whole (the target writes them in one call, made durable later).
 */
export async function readSource(source: Member, path: string, o: { caseInsensitiveTarget: boolean; bulk: boolean }): Promise<SourceView> {
  const s = await exactStat(source, path);
  let unspelled = false;
  if (s === null && o.caseInsensitiveTarget && path !== '') {
    // A path on a case-insensitive target stands for every spelling of it (resync.ts, landView): the source's own
    // spelling is the one copied; none at all means whatever the target holds under any spelling is stale.
    const spelled = await spelledOn(source, path);
    if (spelled !== null && spelled !== path) return readSource(source, spelled, o);
    unspelled = spelled === null;
  }
  if (s === null || s.type === 'other') return { path, s, unspelled, aboveDir: await folderAbove(source, path) };
  if (s.type === 'dir') {
    const names = (await source.fs.readdir(source.abs(path))).filter((e) => !notMirrored(path, e.name)).map((e) => e.name);
    return { path, s, names };
  }
  const expected = source.manifest?.get(path);
  if (o.bulk && s.size <= SMALL_FILE_BYTES && source.fs.readSmallFiles) {
    const [r] = await source.fs.readSmallFiles([source.abs(path)], SMALL_FILE_BYTES);
    if (r?.stat?.type === 'file' && r.data !== undefined && r.hash !== undefined) return { path, s, expected, small: { data: r.data, hash: r.hash, stat: r.stat } };
  }
  const rest = source.fs.readStream(source.abs(path))[Symbol.asyncIterator]();
  try {
    return { path, s, expected, stream: { first: await rest.next(), rest, used: false } };
  } catch (e) {
    await rest.return?.().catch(() => {});
    throw e;
  }
}

/** Lets go of what a view holds open: a big file's handle, and its first chunk if nothing took it. */
export async function closeView(v: SourceView): Promise<void> {
  if (!v.stream) return;
  if (!v.stream.used && !v.stream.first.done) giveChunk(v.stream.first.value);
  v.stream.used = true;
  await v.stream.rest.return?.().catch(() => {});
}

/** The small files of sibling `paths` read whole on the source (a bulk copy), with the checksums its manifest holds now. */
export async function readSmallBatch(source: Member, paths: readonly string[]): Promise<{ read: SmallFileHash[]; expected: (string | undefined)[] }> {
  const read = await source.fs.readSmallFiles!(paths.map((p) => source.abs(p)), SMALL_FILE_BYTES);
  return { read, expected: paths.map((p) => source.manifest?.get(p)) };
}

/**
 * `read` on the source in its line for `paths`, and nothing else: the place is let go once it is read (the rule above).
 * A source that left while the copy waited is not read (SourceLeft: the caller chooses another).
 */
export function readInLine<T>(source: Member, paths: readonly string[], read: () => Promise<T>): Promise<T> {
  return inLine([source], paths, () => {
    if (!stillSource(source)) throw new SourceLeft(source, paths[0]!);
    return source.track(read());
  });
}

/**
 * Adopted content's first checksum, recorded on the source once a catch-up copy is done, in the source's line again:
 * only where the file there is still the one read (same size, time and inode) and nothing recorded it meanwhile — after
 * the copy let the source's line go, a live rename or remove may have moved the file or taken it away.
 */
export async function recordAdopted(source: Member, list: readonly Adopted[]): Promise<void> {
  const manifest = source.manifest;
  if (list.length === 0 || !manifest || !stillSource(source)) return;
  const paths = list.map((a) => a.path);
  await inLine([source], paths, async () => {
    const now = await statsOf(source, paths);
    list.forEach((a, i) => {
      const s = now[i];
      if (s?.type !== 'file' || s.size !== a.read.size || s.mtimeMs !== a.read.mtimeMs || s.ino !== a.read.ino) return;
      if (manifest.get(a.path) === undefined) manifest.set(a.path, a.hash, metaOf(s));
    });
  });
}

/** What is at each path now, exactly so spelled: siblings in one call where the drive can (a batch's 64 files). */
async function statsOf(m: Member, paths: readonly string[]): Promise<(FsStat | null)[]> {
  const dir = parentOf(paths[0]!);
  if (m.fs.statEntries && !m.rules.caseInsensitive && paths.every((p) => parentOf(p) === dir)) {
    const names = paths.map((p) => p.slice(dir === '' ? 0 : dir.length + 1));
    const got = await nullIfAbsent(m.fs.statEntries(m.abs(dir), names)).catch((e: unknown) => (isLinkError(e) ? null : Promise.reject(e)));
    return got ?? paths.map(() => null);
  }
  return Promise.all(paths.map((p) => exactStat(m, p)));
}
