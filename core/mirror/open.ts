// createMirror / openMirror: check every folder first (a refused request changes nothing), then build the mirror.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MirrorError } from '../api/errors.ts';
import type { MemberSpec, MirrorOptions } from '../api/types.ts';
import { readSuperblock, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { Member } from './member.ts';
import type { Mirror } from './mirror-api.ts';
import { MirrorImpl, defaultLabel } from './mirror.ts';
import { checkNewMemberFolder, memberFs, prepareMemberFolder } from './member-folder.ts';
import { META_DIR } from './paths.ts';

const DEFAULT_MAX_BEHIND_WRITES = 256;
const DEFAULT_MAX_BEHIND_BYTES = 64 * 1024 * 1024;

function limits(o: { maxBehindWrites?: number; maxBehindBytes?: number }, fallback?: Superblock) {
  const w = o.maxBehindWrites ?? fallback?.maxBehindWrites ?? DEFAULT_MAX_BEHIND_WRITES;
  const b = o.maxBehindBytes ?? fallback?.maxBehindBytes ?? DEFAULT_MAX_BEHIND_BYTES;
  if (!Number.isInteger(w) || w < 0) throw new MirrorError('EINVALIDOPTION', `maxBehindWrites must be a whole number ≥ 0 (0 turns write-behind off); got ${w}.`);
  if (!Number.isInteger(b) || b < 0) throw new MirrorError('EINVALIDOPTION', `maxBehindBytes must be a whole number of bytes ≥ 0; got ${b}.`);
  return { maxBehindWrites: w, maxBehindBytes: b };
}

function checkSpecs(members: unknown): asserts members is MemberSpec[] {
  if (!Array.isArray(members)) throw new MirrorError('EINVALIDOPTION', 'members must be a list of folders.');
  for (const s of members) {
    if (!s || typeof s !== 'object' || typeof (s as MemberSpec).path !== 'string' || (s as MemberSpec).path === '') {
      throw new MirrorError('EINVALIDOPTION', 'Each member needs a folder path.');
    }
  }
}

/** Creates a new mirror. The first folder's content (if any) is adopted and copied to the others in the background. */
export async function createMirror(o: MirrorOptions): Promise<Mirror> {
  checkSpecs(o?.members);
  if (o.members.length < 2) throw new MirrorError('EINVALIDOPTION', `A mirror needs at least two folders, on different drives; got ${o.members.length}.`);
  const lim = limits(o);
  // Every check runs before anything is written.
  const roots: string[] = [];
  const toCreate: string[] = [];
  for (const [i, spec] of o.members.entries()) {
    let real: string;
    const exists = await stat(spec.path).then(() => true, () => false);
    if (!exists && (await stat(dirname(spec.path)).then((s) => s.isDirectory(), () => false))) {
      real = (await realpath(dirname(spec.path))) + '/' + spec.path.split('/').filter(Boolean).at(-1);
      toCreate.push(real);
      for (const other of roots) {
        if (other === real) throw new MirrorError('EDUPLICATE', `"${spec.path}" is listed twice; each member must be its own folder.`, { path: spec.path });
      }
    } else {
      real = await realpath(spec.path).catch(() => spec.path);
      if (i === 0) {
        await checkNewMemberFolder(real, roots, spec).catch((e) => {
          if (e instanceof MirrorError && e.code === 'EBUSY') return; // the first folder may hold files: they are adopted
          throw e;
        });
      } else {
        await checkNewMemberFolder(real, roots, spec);
      }
    }
    for (const other of roots) {
      if (real.startsWith(other + '/') || other.startsWith(real + '/')) {
        throw new MirrorError('ENESTED', `"${spec.path}" and "${other}" are inside one another; members must be separate folders.`, { path: spec.path });
      }
    }
    roots.push(real);
  }
  for (const dir of toCreate) await mkdir(dir);
  const firstHasData = (await readdir(roots[0]!)).some((n) => n !== META_DIR && n !== 'lost+found');
  const members = o.members.map((spec, i) => new Member(randomUUID(), spec.label ?? defaultLabel(roots[i]!), roots[i]!,
    spec.writeMostly ?? false, memberFs(spec), i > 0 && firstHasData ? 'resyncing' : 'in_sync'));
  for (const m of members) m.rules = await prepareMemberFolder(m.fs, m.root);
  const mirror = new MirrorImpl({ id: randomUUID(), label: o.label ?? 'NAS Mirror', members, ...lim, generation: 0, generationCleared: 0 });
  await mirror.persist();
  for (const m of members) if (m.state === 'resyncing') mirror.startResync(m, null);
  return mirror;
}

/** Assembles an existing mirror from its members' folders, recognised by superblock, never by path. */
export async function openMirror(o: { members: MemberSpec[]; maxBehindWrites?: number; maxBehindBytes?: number }): Promise<Mirror> {
  checkSpecs(o?.members);
  if (o.members.length < 1) throw new MirrorError('EINVALIDOPTION', 'Give the folders of the mirror to open.');
  const found: { spec: MemberSpec; real: string; sb: Superblock | null }[] = [];
  for (const spec of o.members) {
    const real = await realpath(spec.path).catch(() => spec.path);
    if (found.some((f) => f.real === real)) throw new MirrorError('EDUPLICATE', `"${spec.path}" is listed twice.`, { path: spec.path });
    let sb: Superblock | null = null;
    try {
      sb = await readSuperblock(memberFs({ path: real }), real);
    } catch (e) {
      throw new MirrorError('EIO', `${(e as Error).message}. Open the mirror without this folder and re-add it.`, { path: spec.path });
    }
    found.push({ spec, real, sb });
  }
  const withSb = found.filter((f) => f.sb !== null);
  if (withSb.length === 0) {
    throw new MirrorError('ENOTMEMBER', `None of these folders holds a NAS Mirror member (no ${META_DIR}/superblock.json). Is the drive mounted?`, { path: o.members[0]!.path });
  }
  const freshest = withSb.reduce((a, b) => (b.sb!.generation > a.sb!.generation ? b : a)).sb!;
  for (const f of withSb) {
    if (f.sb!.mirrorId !== freshest.mirrorId) {
      throw new MirrorError('EFOREIGN', `"${f.spec.path}" belongs to another mirror ("${f.sb!.mirrorLabel}"); open it separately.`, { path: f.spec.path });
    }
  }
  const lim = limits(o, freshest);
  const members: Member[] = [];
  const needFull: Member[] = [];
  for (const entry of freshest.members) {
    const f = withSb.find((x) => x.sb!.memberId === entry.id);
    if (!f) {
      const gone = new Member(entry.id, entry.label, '', entry.writeMostly, memberFs({ path: '/' }), 'removed');
      gone.error = `"${entry.label}" is not connected. Plug its drive in and add its folder to catch it up.`;
      members.push(gone);
      continue;
    }
    const m = new Member(entry.id, f.spec.label ?? entry.label, f.real, f.spec.writeMostly ?? entry.writeMostly, memberFs(f.spec), 'in_sync');
    m.rules = await prepareMemberFolder(m.fs, m.root);
    // A member the freshest superblock does not call in sync, or that missed a generation, is stale (invariant 17).
    const trusted = (entry.state === 'in_sync' || entry.state === 'behind') && f.sb!.generation === freshest.generation;
    if (!trusted) { m.transition('resync-started'); needFull.push(m); }
    members.push(m);
  }
  // Folders given without a superblock (an empty mount point) are never members, and never cause a delete (invariant 21).
  for (const f of found.filter((x) => x.sb === null)) {
    const stray = new Member(`missing:${f.real}`, f.spec.label ?? defaultLabel(f.real), f.real, f.spec.writeMostly ?? false, memberFs(f.spec), 'faulty');
    stray.error = `"${f.spec.path}" holds no member of this mirror (no ${META_DIR}/superblock.json): is its drive unmounted? It was left untouched.`;
    members.push(stray);
  }
  const primary = members.find((m) => m.state === 'in_sync' && !m.writeMostly) ?? members.find((m) => m.state === 'in_sync');
  if (!primary) throw new MirrorError('ENOINSYNC', 'No up-to-date member is among these folders; connect the drive that was in use last.');
  if (!freshest.clean) {
    // After a crash any member other than the primary may differ: bring it back from the primary.
    for (const m of members) if (m !== primary && m.state === 'in_sync') { m.transition('resync-started'); needFull.push(m); }
  }
  const mirror = new MirrorImpl({ id: freshest.mirrorId, label: freshest.mirrorLabel, members, ...lim, generation: freshest.generation, generationCleared: freshest.generationCleared });
  await mirror.persist();
  for (const m of needFull) mirror.startResync(m, null);
  return mirror;
}

export { writeSuperblock };
