// checkPlacement: learns each proposed member folder's drive, identity and content, then applies the placement rules.
import { isAtOrInside, META_DIR } from '../mirror/paths.ts';
import { isSystemName } from '../mirror/system-names.ts';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DriveInfo, MemberSpec, PlacementIssue } from '../contract/types.ts';
import { listDrives } from './list-drives.ts';
import { readMemberIdentity } from '../journal/superblock-identity.ts';
import { evaluatePlacement, type FolderFacts, type PlacementContext } from './placement-rules.ts';

/** Walking a huge tree before every click would freeze the picker; this many entries is enough to judge. */
const MAX_SCAN_ENTRIES = 200_000;

/** The drive holding a path: the mount point that is its longest prefix. */
export function driveOf(path: string, drives: DriveInfo[]): DriveInfo | undefined {
  return drives.filter((d) => isAtOrInside(path, d.mountPoint)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
}

/** Resolves a folder that may not exist yet through its nearest existing parent, as the engine will create it. */
async function resolveReal(path: string): Promise<{ real: string; kind: FolderFacts['kind'] }> {
  const abs = resolve(path);
  const s = await lstat(abs).catch(() => null);
  if (s) return { real: await realpath(abs), kind: (await realpath(abs).then((r) => lstat(r))).isDirectory() ? 'dir' : 'file' };
  let parent = dirname(abs);
  const rest = [basename(abs)];
  while (!(await lstat(parent).then(() => true, () => false)) && parent !== dirname(parent)) {
    rest.unshift(basename(parent));
    parent = dirname(parent);
  }
  return { real: join(await realpath(parent), ...rest), kind: 'missing' };
}

/** The folder's user files: our metadata and the system names (system-names.ts) are not the user's data. */
async function scanFiles(root: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  let seen = 0;
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (++seen > MAX_SCAN_ENTRIES) return;
      if ((rel === '' && e.name === META_DIR) || isSystemName(e.name, rel)) continue;
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push({ path: relPath, size: 0 });
        await walk(join(dir, e.name), relPath);
      } else if (e.isFile()) {
        const s = await lstat(join(dir, e.name)).catch(() => null);
        out.push({ path: relPath, size: s?.size ?? 0 });
      }
    }
  };
  await walk(root, '');
  return out;
}

export async function checkPlacement(specs: MemberSpec[], ctx: PlacementContext & { drives?: DriveInfo[] } = {}): Promise<PlacementIssue[]> {
  const drives = ctx.drives ?? await listDrives();
  const facts = await Promise.all(specs.map(async (spec): Promise<FolderFacts> => {
    const { real, kind } = await resolveReal(spec.path);
    const facts: FolderFacts = { path: spec.path, realPath: real, kind, drive: driveOf(real, drives), files: [] };
    if (kind === 'dir') {
      const id = await readMemberIdentity(real);
      if (id) facts.member = { mirrorId: id.mirrorId, memberId: id.memberId };
      facts.files = await scanFiles(real);
    }
    return facts;
  }));
  return evaluatePlacement(facts, ctx);
}
