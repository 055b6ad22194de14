// The operations a write request carries, how each lands on one member, and the checks made before any leg starts.
import { MirrorError } from '../contract/errors.ts';
import { type AtomicWriter, type FsAttrs, type FsStat } from '../fs/filesystem.ts';
import { SMALL_FILE_BYTES } from '../fs/small-file-worker.ts';
import type { Member } from './member.ts';
import { baseName, foldPath, nameProblem, parentOf } from './paths.ts';
import { keepReplaced, measureEntry, quarantine, type TrashReason, type TrashTicket } from './trash.ts';
import { linkAt } from './links.ts';
import { changedOutside, editedSince, keepVersion } from './keep-outside.ts';

export type Op =
  // `attrs`: the modification time and permission bits the file lands with on every member (else now, and the default).
  | { kind: 'write'; path: string; attrs?: FsAttrs }
  // A metadata-only change (utimens, chmod through the FUSE mount): journaled and ordered like any other operation.
  | { kind: 'attrs'; path: string; attrs: FsAttrs }
  | { kind: 'mkdir'; path: string }
  // Recently deleted (issue 11, part 4): `trash` is the entry every member keeps what the operation takes away under,
  // decided by the write request; `reason` says why a remove was asked for (a restore replacing what is there).
  | { kind: 'remove'; path: string; trash?: TrashTicket; reason?: TrashReason }
  // No silent overwrite (issue 11, part 3): only with `replace` may a rename land on a file that exists.
  | { kind: 'rename'; from: string; to: string; replace?: boolean; trash?: TrashTicket };

export const opPaths = (op: Op): string[] => (op.kind === 'rename' ? [op.from, op.to] : [op.path]);

/** Paths whose names the operation creates (and so must be legal and collision-free on every member). */
const createdPath = (op: Op): string | null => (op.kind === 'rename' ? op.to : op.kind === 'remove' || op.kind === 'attrs' ? null : op.path);

/**
 * The owner keeps read and write (and search, on a folder) whatever mode is asked for: the mirror reads, checks and
 * copies every file as the user it runs as, and a file it cannot read would be one it cannot keep.
 */
function withOwnerAccess(a: FsAttrs | undefined, type: 'file' | 'dir'): FsAttrs | undefined {
  return a?.mode === undefined ? a : { ...a, mode: a.mode | (type === 'dir' ? 0o700 : 0o600) };
}

/** Starts an atomic replacement of `path` on the member, creating its parent folders. */
export async function openLegWriter(m: Member, path: string, attrs?: FsAttrs, staged?: string): Promise<AtomicWriter> {
  await beforeLanding(m, path);
  // A file a host staged in this member's temp folder lands itself (Mirror.writeStaged).
  if (staged && m.fs.adoptAtomic) return m.fs.adoptAtomic(staged, m.abs(path), withOwnerAccess(attrs, 'file'));
  return startTemp(m, path, attrs);
}

/**
 * A temp file for `path` in the member's own folder (.nas-mirror/tmp): nothing at `path` changes until commit().
 * `whole`: the bytes the caller will write in one write(); a small file then goes the drive's one-round-trip way
 * (Filesystem.createSmallAtomic), where it has one.
 */
export async function startTemp(m: Member, path: string, attrs?: FsAttrs, whole?: Uint8Array): Promise<AtomicWriter> {
  const a = withOwnerAccess(attrs, 'file');
  if (whole && whole.byteLength <= SMALL_FILE_BYTES && m.fs.createSmallAtomic) return m.fs.createSmallAtomic(m.abs(path), m.tmpDir, a);
  return m.fs.createAtomic(m.abs(path), m.tmpDir, a);
}

/**
 * What validateOp saw of a write's path on the first member, in the write's turn there. That turn lasts until the
 * member's leg ends (the same place in line), so no operation of the engine can change the path in between: the leg
 * on that member uses what was seen instead of looking again (two looks fewer on the acknowledgement path).
 */
export interface WriteLook { member: Member; stat: FsStat | null; parentIsDir: boolean }

/** What a write does on the member in its turn, before the file lands at `path`. */
async function beforeLanding(m: Member, path: string, look?: WriteLook): Promise<void> {
  if (look?.member === m) {
    if (!look.parentIsDir) await ensureParent(m, path);
    // invariant 27: a copy edited on the drive is kept, not written over
    if (look.stat?.type === 'file' && editedSince(m, path, look.stat)) await keepVersion(m, path);
    return;
  }
  // The folder and the path are looked at together: one wait on the drive instead of two in a row on the ack path.
  const [, edited] = await Promise.all([ensureParent(m, path), changedOutside(m, path)]);
  if (edited) await keepVersion(m, path);
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
export async function applyLeg(m: Member, op: Op, data: Uint8Array | undefined, hash: string | undefined, prepared?: AtomicWriter, look?: WriteLook): Promise<void> {
  switch (op.kind) {
    case 'write': {
      // `prepared`: this leg's temp file, already written and flushed (prepared-write.ts); only the landing is left.
      let w = prepared;
      try {
        await beforeLanding(m, op.path, look);
        if (!w) {
          const whole = data ?? new Uint8Array(0);
          w = await startTemp(m, op.path, op.attrs, whole);
          await w.write(whole);
        }
        await w.commit();
      } catch (e) {
        await w?.abort().catch(() => {});
        throw e;
      }
      // With the size, time and inode it landed with: what tells an outside edit from this write (resync/outside.ts).
      if (hash) await m.manifest?.landed(op.path, hash, w.landed);
      return;
    }
    case 'mkdir':
      await m.fs.mkdir(m.abs(op.path));
      m.manifest?.setDir(op.path);
      return;
    case 'attrs': {
      const type = (await m.fs.stat(m.abs(op.path))).type === 'dir' ? 'dir' : 'file';
      await m.fs.setAttributes(m.abs(op.path), withOwnerAccess(op.attrs, type)!);
      // The new time is the engine's own doing: recorded with the checksum, so it is not taken for an edit on the drive.
      const hash = op.attrs.mtimeMs !== undefined ? m.manifest?.get(op.path) : undefined;
      if (hash) await m.manifest?.landed(op.path, hash);
      return;
    }
    case 'remove':
      await quarantine(m, op.path, op.trash);
      m.manifest?.remove(op.path);
      return;
    case 'rename': {
      await ensureParent(m, op.to);
      // A file the rename replaces is kept in quarantine too (two-phase delete) — by a second name, so the rename
      // itself stays one atomic step: a crash leaves either the old file or the new one at `to`, never neither.
      const replaced = await m.fs.stat(m.abs(op.to)).then((s) => s.type === 'file', () => false);
      if (replaced) await keepReplaced(m, op.to, op.trash);
      await m.fs.rename(m.abs(op.from), m.abs(op.to));
      m.manifest?.rename(op.from, op.to);
      return;
    }
  }
}

/** What is at `path` on the member: a file, a folder, or nothing. A link or special file there is refused, untouched. */
async function typeAt(m: Member, path: string): Promise<'file' | 'dir' | null> {
  const t = (await m.statOrNull(path))?.type ?? null;
  if (t === 'other') throw linkAt(path);
  return t !== null && (await m.spelledAsStored(path)) ? t : null;
}

/**
 * The nearest existing ancestor must be a folder, or the operation cannot create its path. True when that is the
 * path's own folder (nothing to make on the way).
 */
async function checkParentIsDir(m: Member, path: string): Promise<boolean> {
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) {
    const t = await typeAt(m, p);
    if (t === 'dir') return p === parentOf(path);
    if (t !== null) throw new MirrorError('ENOTDIR', `Cannot create "${path}": "${p}" is a file, not a folder. Rename or remove it first.`, { path });
  }
  return parentOf(path) === '';
}

/**
 * Names a member's filesystem — or a computer reading the member — cannot tell apart are one name (invariant 23):
 * "Photo.jpg" and "photo.jpg" on a case-insensitive member, a composed and a decomposed "café" anywhere (macOS
 * conflates them). Refuses a path whose name at some level has such a twin already there under another spelling. The
 * caller holds the path's place in line on `primary` under its folded name, so a twin submitted at the same time is
 * ordered with this one and sees it (path-order.ts).
 */
async function checkTwins(m: Member, path: string, caseInsensitive: string | null, renamedFrom: string | null): Promise<void> {
  const fold = (n: string) => (caseInsensitive ? foldPath(n) : n.normalize('NFC'));
  let dir = '';
  const names = path.split('/');
  for (const [i, name] of names.entries()) {
    const ascii = /^[\x00-\x7f]*$/.test(name);
    if (!ascii && /^[\x00-\x7f]*$/.test(name.normalize('NFC'))) {
      throw new MirrorError('EINVALIDPATH', `"${name}" contains a compatibility character (such as the Kelvin sign) that other computers read as plain "${name.normalize('NFC')}". Use the plain letters.`, { path });
    }
    // Twins differ by case (only on a case-insensitive member) or by Unicode form (only if the name is not ASCII).
    if (caseInsensitive || !ascii) {
      let entries: { name: string }[];
      try {
        entries = await m.fs.readdir(m.abs(dir));
      } catch {
        return; // the folder does not exist yet: nothing can collide below it
      }
      const key = fold(name);
      // A rename that only changes the case of its own last name is not a twin of itself.
      const self = (e: { name: string }) => i === names.length - 1 && (dir ? `${dir}/${e.name}` : e.name) === renamedFrom;
      const clash = entries.find((e) => e.name !== name && fold(e.name) === key && !self(e));
      if (clash) {
        const why = caseInsensitive && clash.name.normalize('NFC') !== name.normalize('NFC')
          ? `on ${caseInsensitive}, whose filesystem ignores upper/lower case`
          : 'as the same name written in another Unicode form (as macOS and Windows see it)';
        throw new MirrorError('EINVALIDPATH', `"${path}" would collide with "${dir ? dir + '/' : ''}${clash.name}" ${why}. Choose another name.`, { path });
      }
    }
    dir = dir ? `${dir}/${name}` : name;
  }
}

/** Refuses a path whose names some member's filesystem cannot hold — absent members too (their rules are known). */
export function checkNames(path: string, members: readonly Member[]): void {
  for (const t of members) {
    const why = nameProblem(path, t.rules);
    if (why) throw new MirrorError('EINVALIDPATH', `Cannot use "${path}": ${why} (member "${t.label}"). Rename it and try again.`, { path, memberId: t.id });
  }
}

/**
 * Checks an operation against the current content (on `primary`) and the rules of every member — absent ones too: a
 * name the USB drive cannot hold, made while it is away, would fail its catch-up. Throws and changes nothing.
 */
export async function validateOp(op: Op, primary: Member, members: readonly Member[], size: number | undefined): Promise<WriteLook | undefined> {
  const created = createdPath(op);
  if (created !== null) {
    checkNames(created, members);
    const ci = members.find((t) => t.rules.caseInsensitive);
    await checkTwins(primary, created, ci ? `"${ci.label}"` : null, op.kind === 'rename' ? op.from : null);
  }
  switch (op.kind) {
    case 'write': {
      for (const t of members) {
        if (size !== undefined && size > t.rules.maxFileSize) {
          throw new MirrorError('ETOOBIG', `"${op.path}" (${size} bytes) is larger than the filesystem of "${t.label}" allows (${t.rules.maxFileSize} bytes, FAT32). Reformat that drive as exFAT or split the file.`, { path: op.path, memberId: t.id });
        }
      }
      const stat = await primary.statOrNull(op.path);
      if (stat?.type === 'other') throw linkAt(op.path);
      if (stat?.type === 'dir' && (await primary.spelledAsStored(op.path))) throw new MirrorError('EISDIR', `"${op.path}" is a folder; choose a file name.`, { path: op.path });
      return { member: primary, stat, parentIsDir: await checkParentIsDir(primary, op.path) };
    }
    case 'mkdir': {
      const t = await typeAt(primary, op.path);
      if (t !== null && t !== 'dir') throw new MirrorError('EEXIST', `"${op.path}" already exists as a file.`, { path: op.path });
      await checkParentIsDir(primary, op.path);
      return undefined;
    }
    case 'remove': {
      if ((await typeAt(primary, op.path)) === null) throw new MirrorError('ENOTFOUND', `"${op.path}" does not exist; nothing was removed.`, { path: op.path });
      return;
    }
    case 'attrs': {
      if ((await typeAt(primary, op.path)) === null) throw new MirrorError('ENOTFOUND', `"${op.path}" does not exist; nothing was changed.`, { path: op.path });
      return;
    }
    case 'rename': {
      const from = await typeAt(primary, op.from);
      if (from === null) throw new MirrorError('ENOTFOUND', `"${op.from}" does not exist; nothing was renamed.`, { path: op.from });
      if (op.from === op.to) throw new MirrorError('EINVALIDPATH', `"${op.from}" already has that name.`, { path: op.from });
      // Compared as the mirror compares names: "D0" into "d0/b" is into itself where a member ignores case.
      const same = members.some((t) => t.rules.caseInsensitive) ? foldPath : (p: string) => p.normalize('NFC');
      if (same(op.to).startsWith(same(op.from) + '/')) throw new MirrorError('EINVALIDPATH', `Cannot move "${op.from}" into itself.`, { path: op.to });
      const to = await typeAt(primary, op.to);
      if (to !== null && (to === 'dir' || from === 'dir')) {
        throw new MirrorError('EEXIST', `"${op.to}" already exists${to === 'dir' ? ' as a folder' : ''}; a folder is never replaced by a rename. Remove it first or choose another name.`, { path: op.to });
      }
      if (to !== null && !op.replace) {
        throw new MirrorError('EEXIST', `"${op.to}" already exists. Choose another name, or rename with replace to put "${op.from}" in its place (the file it replaces stays in Recently deleted).`, { path: op.to });
      }
      if (to !== null && baseName(op.to) === '') throw new MirrorError('EINVALIDPATH', 'Empty name.', { path: op.to });
      await checkParentIsDir(primary, op.to);
      return;
    }
  }
}

/**
 * Recently deleted (issue 11, part 4): what a remove, or a rename replacing a file, takes away — measured on the first
 * member before any leg, so every member records the same kind and size. null when the operation takes nothing away.
 */
export async function trashTicketBase(op: Op, primary: Member): Promise<Omit<TrashTicket, 'id' | 'deletedAt'> | null> {
  if (op.kind === 'remove') {
    const x = await measureEntry(primary, op.path);
    return x && { reason: op.reason ?? 'deleted', ...x };
  }
  if (op.kind === 'rename' && op.replace) {
    const x = await measureEntry(primary, op.to);
    return x?.type === 'file' ? { reason: 'replaced', ...x } : null;
  }
  return null;
}
