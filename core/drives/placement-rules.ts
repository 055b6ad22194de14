// The placement rules as a pure function over what was learned about each folder (DESIGN invariant 22).
import type { DriveInfo, PlacementIssue } from '../contract/types.ts';
import { isInside, nameProblem, type NameRules } from '../mirror/paths.ts';
import { rulesFor } from './fs-rules.ts';

/** Below this a drive is full: 1% of it, but never asking more than 64 MiB of a big disk nor less than 1 MiB. */
export function fullThreshold(sizeBytes: number): number {
  return Math.max(2 ** 20, Math.min(64 * 2 ** 20, sizeBytes / 100));
}

export interface FolderFacts {
  /** As the user gave it. */
  path: string;
  /** Resolved through symlinks (the nearest existing parent, when the folder is still to be created). */
  realPath: string;
  kind: 'dir' | 'missing' | 'file';
  drive?: DriveInfo;
  member?: { mirrorId: string; memberId: string };
  /** The folder's user files (relative POSIX paths), without .nas-mirror and the system names (system-names.ts). */
  files: { path: string; size: number }[];
}

export interface PlacementContext {
  /** When adding to an open mirror: its members' folders are welcome, not foreign. */
  mirrorId?: string;
  /** The folder (index) whose files a new mirror starts from (createMirror's adoptFrom); default: the one holding files. */
  adoptFrom?: number;
  /** Adding to an open mirror: the mirror's files come from it, so no folder may hold files of its own. */
  adding?: boolean;
}

const MiB = 2 ** 20;
const fmt = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(n / MiB)} MiB`);
const sameDrive = (a?: DriveInfo, b?: DriveInfo) => !!a && !!b && a.device === b.device && a.mountPoint === b.mountPoint;
const firstFew = (names: string[]) => names.slice(0, 3).map((n) => `"${n}"`).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');

/** What in `files` a filesystem with `rules` cannot hold: too big, illegal names, names that differ only by case. */
export function contentConflicts(files: { path: string; size: number }[], rules: NameRules, fsName: string): { code: string; message: string }[] {
  const out: { code: string; message: string }[] = [];
  const big = files.filter((f) => f.size > rules.maxFileSize).map((f) => f.path);
  if (big.length) {
    out.push({ code: 'FILE_TOO_BIG', message: `${firstFew(big)} ${big.length > 1 ? 'are' : 'is'} larger than ${fsName} allows (4 GiB - 1 byte per file). Reformat the drive as exFAT or NTFS, or choose another drive.` });
  }
  const bad = files.map((f) => ({ f: f.path, why: nameProblem(f.path, rules) })).filter((x) => x.why !== null);
  if (bad.length) {
    out.push({ code: 'ILLEGAL_NAME', message: `${bad.length} file${bad.length > 1 ? 's' : ''} cannot be stored on this ${fsName} drive: ${bad[0]!.why} (${firstFew(bad.map((b) => b.f))}). Rename them first, or choose another drive.` });
  }
  if (rules.caseInsensitive) {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const f of files) {
      // Folders collide too: "Photos/a" and "photos/b" would merge into one folder.
      const parts = f.path.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        const k = p.toLowerCase();
        const prev = seen.get(k);
        if (prev === undefined) seen.set(k, p);
        else if (prev !== p) { clashes.push(`${prev}" and "${p}`); seen.set(k, p); break; }
      }
    }
    if (clashes.length) {
      out.push({ code: 'NAME_COLLISION', message: `${fsName} does not tell upper from lower case, so ${firstFew(clashes)} would be one file. Rename one of each pair first, or choose another drive.` });
    }
  }
  return out;
}

export function evaluatePlacement(folders: FolderFacts[], ctx: PlacementContext = {}): PlacementIssue[] {
  const issues: PlacementIssue[] = [];
  const add = (f: FolderFacts, severity: PlacementIssue['severity'], code: string, message: string) =>
    issues.push({ memberPath: f.path, severity, code, message });
  // The engine adopts one folder's files (adoptFrom, else the one holding files) and copies them to the others.
  const holding = folders.filter((f) => f.files.length > 0 && !f.member);
  const chosen = ctx.adoptFrom !== undefined ? folders[ctx.adoptFrom] : undefined;
  const source = ctx.adding ? undefined : chosen ?? (holding.length === 1 ? holding[0] : undefined);
  if (!ctx.adding && !chosen && holding.length > 1) {
    const names = holding.map((f) => `"${f.path}"`).join(' and ');
    for (const f of holding) {
      add(f, 'error', 'SEVERAL_HOLD_FILES', `${names} ${holding.length > 2 ? 'each' : 'both'} hold files. A mirror starts from one folder's files and copies them to the others; files are never merged or overwritten. Choose which drive's files to keep, and give the other an empty folder.`);
    }
  }
  const sourceBytes = source ? source.files.reduce((s, x) => s + x.size, 0) : 0;
  const mirrorsHere = new Map<string, number>();
  for (const f of folders) if (f.member) mirrorsHere.set(f.member.mirrorId, (mirrorsHere.get(f.member.mirrorId) ?? 0) + 1);

  folders.forEach((f, i) => {
    const earlier = folders.slice(0, i);
    if (f.kind === 'file') add(f, 'error', 'NOT_A_FOLDER', `"${f.path}" is a file; choose a folder.`);
    const twin = earlier.find((o) => o.realPath === f.realPath);
    if (twin) add(f, 'error', 'SAME_FOLDER', `"${f.path}" is the same folder as "${twin.path}"; each member must be its own folder.`);
    const outer = folders.find((o) => o !== f && o.realPath !== f.realPath && isInside(f.realPath, o.realPath));
    if (outer) add(f, 'error', 'NESTED', `"${f.path}" is inside "${outer.path}"; members must be separate folders, not one inside another.`);
    if (!twin && !outer && earlier.some((o) => sameDrive(o.drive, f.drive) && !isInside(o.realPath, f.realPath))) {
      add(f, 'warning', 'SAME_DRIVE', `"${f.path}" is on the same drive (${f.drive!.mountPoint}) as another member: if that drive dies, both copies go with it.`);
    }
    if (f.member) {
      const ours = ctx.mirrorId !== undefined ? f.member.mirrorId === ctx.mirrorId : (mirrorsHere.get(f.member.mirrorId) ?? 0) > 1 && mirrorsHere.size === 1;
      if (!ours) add(f, 'error', 'FOREIGN_MEMBER', `"${f.path}" already holds a member of another mirror (${f.member.mirrorId}). Open that mirror, or choose another folder.`);
    } else if (source && f !== source && f.files.length > 0) {
      add(f, 'error', 'NOT_EMPTY', `"${f.path}" already holds ${f.files.length} item${f.files.length > 1 ? 's' : ''}. The mirror starts from the files in "${source.path}" and copies them here, so this folder must be empty; its own files are never overwritten. Choose a new folder on this drive (they stay where they are), or keep this drive's files instead.`);
    } else if (ctx.adding && f.files.length > 0) {
      add(f, 'error', 'NOT_EMPTY', `"${f.path}" already holds ${f.files.length} item${f.files.length > 1 ? 's' : ''}. A drive added to a mirror receives the mirror's files, so its folder must be empty; its own files are never overwritten. Choose a new folder on this drive.`);
    }
    const d = f.drive;
    if (!d) return;
    if (d.system) add(f, 'warning', 'SYSTEM_DRIVE', `"${f.path}" is on the system drive (${d.mountPoint}); if the system needs reinstalling, this copy is at risk. Prefer a separate drive.`);
    if (d.readOnly) add(f, 'error', 'READ_ONLY', `The drive ${d.mountPoint} holding "${f.path}" is read-only. Remount it read-write, or choose another drive.`);
    if (d.freeBytes < fullThreshold(d.sizeBytes)) {
      add(f, 'error', 'DRIVE_FULL', `The drive ${d.mountPoint} is full (${fmt(d.freeBytes)} free). Free some space, or choose another drive.`);
    } else if (source && f !== source && !f.member) {
      // Everything bound for this drive: this folder's copy plus any other new member's copy on the same drive.
      const sharing = folders.filter((o) => o !== source && !o.member && sameDrive(o.drive, d)).length;
      const need = sourceBytes * sharing;
      if (need > d.freeBytes) {
        add(f, 'error', 'TOO_SMALL', `The drive ${d.mountPoint} has ${fmt(d.freeBytes)} free but the mirror's data is ${fmt(sourceBytes)}${sharing > 1 ? ` (×${sharing} folders on this drive)` : ''}. Choose a bigger drive.`);
      }
    }
    if (source && f !== source) {
      const fsName = d.filesystem === 'vfat' ? 'FAT32' : d.filesystem === 'exfat' ? 'exFAT' : d.filesystem;
      for (const c of contentConflicts(source.files, rulesFor(d.filesystem), fsName)) add(f, 'error', c.code, c.message);
    }
  });
  return issues;
}
