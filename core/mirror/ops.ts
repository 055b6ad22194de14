// The operations a write request carries, how each lands on one member, and the checks made before any leg starts.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MirrorError } from '../api/errors.ts';
import { errnoCode, type AtomicWriter } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { baseName, nameProblem, parentOf } from './paths.ts';

export type Op =
  | { kind: 'write'; path: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'remove'; path: string }
  | { kind: 'rename'; from: string; to: string };

export const opPaths = (op: Op): string[] => (op.kind === 'rename' ? [op.from, op.to] : [op.path]);

/** Paths whose names the operation creates (and so must be legal and collision-free on every member). */
const createdPath = (op: Op): string | null => (op.kind === 'rename' ? op.to : op.kind === 'remove' ? null : op.path);

/** Starts an atomic replacement of `path` on the member, creating its parent folders. */
export async function openLegWriter(m: Member, path: string): Promise<AtomicWriter> {
  await ensureParent(m, path);
  return m.fs.createAtomic(m.abs(path), m.tmpDir);
}

/** Creates missing parent folders; a stat first, because a mkdir costs a slow drive a whole operation. */
async function ensureParent(m: Member, path: string): Promise<void> {
  const parent = parentOf(path);
  if (parent === '') return;
  const exists = await m.fs.stat(m.abs(parent)).then((s) => s.type === 'dir', () => false);
  if (exists) return;
  // A yanked drive leaves an empty mount point: never create folders there (they would land on the system disk).
  await m.fs.stat(m.tmpDir);
  await m.fs.mkdir(m.abs(parent));
}

/** Applies one operation to one member (a leg). Writes go temp + fsync + rename + fsync folder. */
export async function applyLeg(m: Member, op: Op, data: Uint8Array | undefined, hash: string | undefined): Promise<void> {
  switch (op.kind) {
    case 'write': {
      const w = await openLegWriter(m, op.path);
      try {
        await w.write(data ?? new Uint8Array(0));
        await w.commit();
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
      if (hash) m.manifest?.set(op.path, hash);
      return;
    }
    case 'mkdir':
      return m.fs.mkdir(m.abs(op.path));
    case 'remove':
      await quarantine(m, op.path);
      m.manifest?.remove(op.path);
      return;
    case 'rename': {
      await ensureParent(m, op.to);
      // A file the rename replaces is kept in quarantine too (two-phase delete) — by a second name, so the rename
      // itself stays one atomic step: a crash leaves either the old file or the new one at `to`, never neither.
      const replaced = await m.fs.stat(m.abs(op.to)).then((s) => s.type === 'file', () => false);
      if (replaced) {
        await m.fs.mkdir(m.trashDir);
        await m.fs.link(m.abs(op.to), trashName(m)).catch(() => {}); // exFAT/FAT have no hard links: no quarantine there
      }
      await m.fs.rename(m.abs(op.from), m.abs(op.to));
      m.manifest?.rename(op.from, op.to);
      return;
    }
  }
}

/**
 * Two-phase delete: a removed path moves into .nas-mirror/trash on its own drive (a rename, atomic and cheap) and is
 * purged only once every member — absent ones included — has applied the delete.
 */
const trashName = (m: Member) => join(m.trashDir, `${Date.now()}-${randomBytes(4).toString('hex')}`);

async function quarantine(m: Member, path: string): Promise<void> {
  try {
    await m.fs.mkdir(m.trashDir);
    await m.fs.rename(m.abs(path), trashName(m));
  } catch (e) {
    // Already gone here (a member that caught up through a resync): the outcome is the same.
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

const typeAt = async (m: Member, path: string) => (await m.statOrNull(path))?.type ?? null;

/** The nearest existing ancestor must be a folder, or the operation cannot create its path. */
async function checkParentIsDir(m: Member, path: string): Promise<void> {
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) {
    const t = await typeAt(m, p);
    if (t === 'dir') return;
    if (t !== null) throw new MirrorError('ENOTDIR', `Cannot create "${path}": "${p}" is a file, not a folder. Rename or remove it first.`, { path });
  }
}

/** On case-insensitive members, "Photo.jpg" and "photo.jpg" are the same file: refuse a name that differs only in case. */
async function checkCaseCollision(m: Member, path: string, memberLabel: string): Promise<void> {
  let dir = '';
  for (const name of path.split('/')) {
    let entries: { name: string }[];
    try {
      entries = await m.fs.readdir(m.abs(dir));
    } catch {
      return; // the folder does not exist yet: nothing can collide below it
    }
    const clash = entries.find((e) => e.name !== name && e.name.toLowerCase() === name.toLowerCase());
    if (clash) {
      throw new MirrorError('EINVALIDPATH',
        `"${path}" would collide with "${dir ? dir + '/' : ''}${clash.name}" on ${memberLabel}, whose filesystem ignores upper/lower case. Choose another name.`, { path });
    }
    dir = dir ? `${dir}/${name}` : name;
  }
}

/** Checks an operation against the current content (on `primary`) and every target's rules; throws and changes nothing. */
export async function validateOp(op: Op, primary: Member, targets: readonly Member[], size: number | undefined): Promise<void> {
  const created = createdPath(op);
  if (created !== null) {
    for (const t of targets) {
      const why = nameProblem(created, t.rules);
      if (why) throw new MirrorError('EINVALIDPATH', `Cannot use "${created}": ${why} (member "${t.label}"). Rename it and try again.`, { path: created, memberId: t.id });
    }
    const ci = targets.find((t) => t.rules.caseInsensitive);
    if (ci) await checkCaseCollision(primary, created, `"${ci.label}"`);
  }
  switch (op.kind) {
    case 'write': {
      for (const t of targets) {
        if (size !== undefined && size > t.rules.maxFileSize) {
          throw new MirrorError('ETOOBIG', `"${op.path}" (${size} bytes) is larger than the filesystem of "${t.label}" allows (${t.rules.maxFileSize} bytes, FAT32). Reformat that drive as exFAT or split the file.`, { path: op.path, memberId: t.id });
        }
      }
      const t = await typeAt(primary, op.path);
      if (t === 'dir') throw new MirrorError('EISDIR', `"${op.path}" is a folder; choose a file name.`, { path: op.path });
      await checkParentIsDir(primary, op.path);
      return;
    }
    case 'mkdir': {
      const t = await typeAt(primary, op.path);
      if (t !== null && t !== 'dir') throw new MirrorError('EEXIST', `"${op.path}" already exists as a file.`, { path: op.path });
      await checkParentIsDir(primary, op.path);
      return;
    }
    case 'remove': {
      if ((await typeAt(primary, op.path)) === null) throw new MirrorError('ENOTFOUND', `"${op.path}" does not exist; nothing was removed.`, { path: op.path });
      return;
    }
    case 'rename': {
      const from = await typeAt(primary, op.from);
      if (from === null) throw new MirrorError('ENOTFOUND', `"${op.from}" does not exist; nothing was renamed.`, { path: op.from });
      if (op.from === op.to) throw new MirrorError('EINVALIDPATH', `"${op.from}" already has that name.`, { path: op.from });
      if (op.to.startsWith(op.from + '/')) throw new MirrorError('EINVALIDPATH', `Cannot move "${op.from}" into itself.`, { path: op.to });
      const to = await typeAt(primary, op.to);
      if (to !== null && (to === 'dir' || from === 'dir')) {
        throw new MirrorError('EEXIST', `"${op.to}" already exists; remove it first or choose another name.`, { path: op.to });
      }
      if (to !== null && baseName(op.to) === '') throw new MirrorError('EINVALIDPATH', 'Empty name.', { path: op.to });
      await checkParentIsDir(primary, op.to);
      return;
    }
  }
}
