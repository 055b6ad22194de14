// createMirror / openMirror: check every folder first (a refused request changes nothing), then build the mirror.
import { randomUUID } from 'node:crypto';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MirrorError } from '../api/errors.ts';
import type { MemberSpec, MirrorOptions } from '../api/types.ts';
import { readSuperblock, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { Member } from './member.ts';
import type { Mirror } from './mirror-api.ts';
import { MirrorImpl, defaultLabel } from './mirror.ts';
import { checkNewMemberFolder, memberFs, prepareMemberFolder } from './member-folder.ts';
import { refreshManifest } from '../resync/resync.ts';
import { DEFAULT_STALL_MS } from '../fs/watchdog-fs.ts';
import { isInside, META_DIR } from './paths.ts';

const DEFAULT_MAX_BEHIND_WRITES = 256;
const DEFAULT_MAX_BEHIND_BYTES = 64 * 1024 * 1024;
const DEFAULT_INTENT_CLEAR_MS = 1000;

/** The promise's value, or onLate()'s once `ms` have passed first (the promise is left to settle on its own). */
function withDeadline<T, L>(p: Promise<T>, ms: number, onLate: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<L>((resolve) => { timer = setTimeout(() => resolve(onLate()), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function limits(o: { maxBehindWrites?: number; maxBehindBytes?: number; memberTimeoutMs?: number; intentClearMs?: number }, fallback?: Superblock) {
  const w = o.maxBehindWrites ?? fallback?.maxBehindWrites ?? DEFAULT_MAX_BEHIND_WRITES;
  const b = o.maxBehindBytes ?? fallback?.maxBehindBytes ?? DEFAULT_MAX_BEHIND_BYTES;
  if (!Number.isInteger(w) || w < 0) throw new MirrorError('EINVALIDOPTION', `maxBehindWrites must be a whole number ≥ 0 (0 turns write-behind off); got ${w}.`);
  if (!Number.isInteger(b) || b < 0) throw new MirrorError('EINVALIDOPTION', `maxBehindBytes must be a whole number of bytes ≥ 0; got ${b}.`);
  const c = o.intentClearMs ?? DEFAULT_INTENT_CLEAR_MS;
  if (!Number.isInteger(c) || c < 1) throw new MirrorError('EINVALIDOPTION', `intentClearMs must be a whole number of milliseconds ≥ 1; got ${c}.`);
  return { maxBehindWrites: w, maxBehindBytes: b, memberTimeoutMs: memberTimeout(o), intentClearMs: c };
}

function memberTimeout(o: { memberTimeoutMs?: number }): number {
  const t = o.memberTimeoutMs ?? DEFAULT_STALL_MS;
  if (!Number.isInteger(t) || t < 0) throw new MirrorError('EINVALIDOPTION', `memberTimeoutMs must be a whole number of milliseconds ≥ 0 (0 = never); got ${t}.`);
  return t;
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
      if (isInside(real, other) || isInside(other, real)) {
        throw new MirrorError('ENESTED', `"${spec.path}" and "${other}" are inside one another; members must be separate folders.`, { path: spec.path });
      }
    }
    roots.push(real);
  }
  for (const dir of toCreate) await mkdir(dir);
  const fss = o.members.map((spec, i) => memberFs(spec, lim.memberTimeoutMs, roots[i]!));
  const firstHasData = (await fss[0]!.readdir(roots[0]!)).some((e) => e.name !== META_DIR && e.name !== 'lost+found');
  const members = o.members.map((spec, i) => new Member(randomUUID(), spec.label ?? defaultLabel(roots[i]!), roots[i]!,
    spec.writeMostly ?? false, fss[i]!, i > 0 && firstHasData ? 'resyncing' : 'in_sync'));
  for (const m of members) {
    m.rules = await prepareMemberFolder(m.fs, m.root);
    await MirrorImpl.openJournal(m);
  }
  const mirror = new MirrorImpl({ id: randomUUID(), label: o.label ?? 'NAS Mirror', members, ...lim, generation: 0, generationCleared: 0 });
  await mirror.persist();
  for (const m of members) {
    if (m.state !== 'resyncing') continue;
    m.startCatchUp(null);
    mirror.startResync(m);
  }
  return mirror;
}

/** Assembles an existing mirror from its members' folders, recognised by superblock, never by path. */
export async function openMirror(o: Omit<MirrorOptions, 'label'>): Promise<Mirror> {
  checkSpecs(o?.members);
  if (o.members.length < 1) throw new MirrorError('EINVALIDOPTION', 'Give the folders of the mirror to open.');
  const stallMs = memberTimeout(o); // checked before any folder is touched, as the other options are
  // Every folder is probed at once, each with a deadline: a drive that does not answer (a stopped FUSE daemon, a hung
  // share) is left out as not answering, and the mirror opens from the others, as with a drive that is unplugged.
  const probes = await Promise.all(o.members.map(async (spec) => {
    const probe = (async () => {
      const real = await realpath(spec.path).catch(() => spec.path);
      try {
        return { spec, real, sb: await readSuperblock(memberFs({ path: real }, 0), real) };
      } catch (e) {
        throw new MirrorError('EIO', `${(e as Error).message}. Open the mirror without this folder and re-add it.`, { path: spec.path });
      }
    })();
    return stallMs > 0 ? withDeadline(probe, stallMs, () => ({ spec, hung: true as const })) : probe;
  }));
  const found: { spec: MemberSpec; real: string; sb: Superblock | null }[] = [];
  const hung: MemberSpec[] = [];
  for (const p of probes) {
    if ('hung' in p) { hung.push(p.spec); continue; }
    if (found.some((f) => f.real === p.real)) throw new MirrorError('EDUPLICATE', `"${p.spec.path}" is listed twice.`, { path: p.spec.path });
    found.push(p);
  }
  const withSb = found.filter((f) => f.sb !== null);
  const silent = `${hung.map((s) => `"${s.path}"`).join(', ')} did not answer within ${Math.round(stallMs / 1000)} s`;
  if (withSb.length === 0 && hung.length > 0) {
    throw new MirrorError('ETIMEDOUT', `No folder of this mirror answered: ${silent}. Check the drives (cable, power, network share), then open it again.`, { path: hung[0]!.path });
  }
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
  /** Members to bring back: null = the whole tree; 'clean-since' = only what changed since their own generation. */
  const catchUp = new Map<Member, { since: number | null } | 'full'>();
  for (const entry of freshest.members) {
    const f = withSb.find((x) => x.sb!.memberId === entry.id);
    if (!f) {
      const gone = new Member(entry.id, entry.label, '', entry.writeMostly, memberFs({ path: '/' }), 'removed');
      if (entry.names) gone.rules = entry.names; // its names are checked while it is away
      gone.error = hung.length === 0
        ? `"${entry.label}" is not connected. Plug its drive in and add its folder to catch it up.`
        : `"${entry.label}" is not connected, or its drive is not answering (${silent}). Check the drive, then add its folder to catch it up.`;
      members.push(gone);
      continue;
    }
    const sb = f.sb!;
    const m = new Member(entry.id, f.spec.label ?? entry.label, f.real, f.spec.writeMostly ?? entry.writeMostly, memberFs(f.spec, lim.memberTimeoutMs, f.real), 'in_sync');
    m.rules = await prepareMemberFolder(m.fs, m.root);
    await MirrorImpl.openJournal(m);
    // Invariant 17: a source must be in sync by the freshest superblock and at most one generation behind it
    // (a crash can land between superblock writes of one update).
    const trusted = (entry.state === 'in_sync' || entry.state === 'behind') && freshest.generation - sb.generation <= 1;
    if (!trusted) {
      m.transition('resync-started');
      // A member that left cleanly, after the last clear, catches up from its own point; anything else is resynced whole.
      // A member that was still being filled by a resync when it left can only be resynced whole.
      const self = sb.members.find((x) => x.id === sb.memberId);
      const filling = (entry.state === 'resyncing' && entry.resync !== 'records') || (self?.state === 'resyncing' && self.resync !== 'records');
      catchUp.set(m, filling || sb.generation < freshest.generationCleared ? 'full'
        : sb.clean ? { since: sb.generation } : { since: null });
    }
    members.push(m);
  }
  // Folders given without a superblock (an empty mount point) are never members, and never cause a delete (invariant 21).
  for (const f of found.filter((x) => x.sb === null)) {
    const stray = new Member(`missing:${f.real}`, f.spec.label ?? defaultLabel(f.real), f.real, f.spec.writeMostly ?? false, memberFs(f.spec, lim.memberTimeoutMs, f.real), 'faulty');
    stray.error = `"${f.spec.path}" holds no member of this mirror (no ${META_DIR}/superblock.json): is its drive unmounted? It was left untouched.`;
    members.push(stray);
  }
  const primary = members.find((m) => m.state === 'in_sync' && !m.writeMostly) ?? members.find((m) => m.state === 'in_sync');
  if (!primary) throw new MirrorError('ENOINSYNC', 'No up-to-date member is among these folders; connect the drive that was in use last.');
  const mirror = new MirrorImpl({ id: freshest.mirrorId, label: freshest.mirrorLabel, members, ...lim, generation: freshest.generation, generationCleared: freshest.generationCleared });
  // Every exact record any trusted member holds: paths a crash may have left different between members.
  const records = new Map<string, number>();
  for (const m of members) {
    if (m.state !== 'in_sync' || !m.journal || m.journal.coarse) continue;
    for (const [p, g] of m.journal.exactRecords()) records.set(p, Math.max(g, records.get(p) ?? 0));
  }
  const haveExact = members.some((m) => m.state === 'in_sync' && m.journal && !m.journal.coarse);
  mirror.intent.adopt(records.keys());
  if (!freshest.clean) {
    await refreshManifest(primary, records.keys());
    // After a crash, members other than the primary may differ exactly where records are set (invariant 19).
    for (const m of members) {
      if (m === primary || m.state !== 'in_sync') continue;
      m.transition('resync-started');
      catchUp.set(m, haveExact ? { since: null } : 'full');
    }
  }
  for (const [m, how] of catchUp) {
    m.startCatchUp(how === 'full' || !haveExact ? null
      : how.since === null ? [...records.keys()] : [...records].filter(([, g]) => g > how.since!).map(([p]) => p));
  }
  await mirror.membershipChanged();
  for (const m of catchUp.keys()) mirror.startResync(m);
  return mirror;
}

export { writeSuperblock };
