// What a folder or a drive's root already holds (files, bytes, a member, system names), counted within bounds so a
// drive of millions of files, or one that stopped answering, still gets an answer in time.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorError } from '../contract/errors.ts';
import type { FolderContents } from '../contract/types.ts';
import { META_DIR } from './paths.ts';
import { isSystemName } from './system-names.ts';
import { readMemberIdentity } from '../journal/superblock-identity.ts';

export interface InspectLimits {
  /** Entries counted before giving up with "more than". */
  maxEntries?: number;
  /** Time before answering with what was counted so far. */
  maxMs?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_MS = 2000;
const SAMPLE = 5;
/** Files stat'ed at once: a spinning disk or a network share answers many small requests faster together. */
const STAT_BATCH = 64;

/** "2,000 files in 40 folders (1.2 GB)", "more than 100,000 files", "nothing". */
export function describeContents(c: Pick<FolderContents, 'files' | 'folders' | 'bytes' | 'complete'>): string {
  if (c.files === 0 && c.folders === 0) return 'nothing';
  const n = (x: number) => x.toLocaleString('en-US');
  if (c.files === 0 && c.complete) return `${n(c.folders)} folder${c.folders === 1 ? '' : 's'} without files`;
  const files = `${c.complete ? '' : 'more than '}${n(c.files)} file${c.files === 1 ? '' : 's'}`;
  const folders = c.folders > 0 ? ` in ${n(c.folders)} folder${c.folders === 1 ? '' : 's'}` : '';
  return `${files}${folders} (${c.complete ? '' : 'at least '}${formatSize(c.bytes)})`;
}

function formatSize(b: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return `${i === 0 ? b : b.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

/**
 * Counts the user's files below `path`, not following links and not crossing into another drive mounted inside it.
 * Never throws for what it meets inside (an unreadable folder is skipped); throws ENOTDIR when `path` is a file.
 */
export async function inspectFolder(path: string, limits: InspectLimits = {}): Promise<FolderContents> {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxMs = limits.maxMs ?? DEFAULT_MAX_MS;
  const out: FolderContents = { path, exists: false, files: 0, folders: 0, bytes: 0, complete: true, sample: [], systemNames: [] };
  const top = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new MirrorError('EIO', `"${path}" could not be read: ${e.message}`, { path });
  });
  if (!top) return out;
  if (!top.isDirectory()) throw new MirrorError('ENOTDIR', `"${path}" is a file, not a folder.`, { path });
  out.exists = true;
  const member = await readMemberIdentity(path);
  if (member) out.member = { mirrorId: member.mirrorId, memberId: member.memberId, ...(member.mirrorLabel ? { mirrorLabel: member.mirrorLabel } : {}) };

  const deadline = Date.now() + maxMs;
  let seen = 0;
  let stopped = false;
  const system = new Set<string>();
  const stop = () => { stopped = true; out.complete = false; };
  const walk = async (): Promise<void> => {
    const stack: { abs: string; rel: string }[] = [{ abs: path, rel: '' }];
    while (stack.length && !stopped) {
      const dir = stack.pop()!;
      const entries = await readdir(dir.abs, { withFileTypes: true }).catch(() => []);
      const files: string[] = [];
      const subdirs: { abs: string; rel: string }[] = [];
      for (const e of entries) {
        if (dir.rel === '' && e.name === META_DIR) continue;
        if (isSystemName(e.name, dir.rel)) { system.add(e.name); continue; }
        if (++seen > maxEntries || Date.now() > deadline) { stop(); return; }
        if (dir.rel === '' && out.sample.length < SAMPLE && (e.isDirectory() || e.isFile())) out.sample.push(e.name);
        const rel = dir.rel ? `${dir.rel}/${e.name}` : e.name;
        if (e.isDirectory()) subdirs.push({ abs: join(dir.abs, e.name), rel });
        else if (e.isFile()) { out.files++; files.push(join(dir.abs, e.name)); }
        // links and special files are not part of a mirror (invariant 24): not counted
      }
      for (let i = 0; i < files.length; i += STAT_BATCH) {
        const sizes = await Promise.all(files.slice(i, i + STAT_BATCH).map((f) => lstat(f).then((s) => s.size, () => 0)));
        for (const s of sizes) out.bytes += s;
        if (Date.now() > deadline) { stop(); return; }
      }
      // A drive mounted inside this one is another drive: its files are not here.
      const devs = await Promise.all(subdirs.map((d) => lstat(d.abs).then((s) => s.dev, () => -1)));
      subdirs.forEach((d, i) => { if (devs[i] === top.dev) { out.folders++; stack.push(d); } });
    }
  };
  // A drive that stops answering mid-walk (a hung share) must not hang the picker: answer with what was counted.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => { timer = setTimeout(() => { stop(); r(); }, maxMs + 500); });
  await Promise.race([walk(), late]).finally(() => clearTimeout(timer));
  // The walk may still be winding down after a late answer: hand back a copy of what it had counted.
  return { ...out, sample: [...out.sample], systemNames: [...system].sort() };
}
