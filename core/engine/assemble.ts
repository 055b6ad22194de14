// createMirror / assembleMirror: check every folder first (a refused request changes nothing), then build the mirror.
import { randomUUID } from 'node:crypto';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MirrorError } from '../contract/errors.ts';
import type { MemberSpec, MirrorOptions } from '../contract/types.ts';
import { readSuperblock, writeSuperblock, type Superblock } from '../journal/superblock.ts';
import { catchUpPlan, type CatchUpPlan } from '../mirror/catch-up.ts';
import { Member } from '../mirror/member.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { MirrorImpl } from './mirror.ts';
import { defaultLabel, openJournal } from './membership.ts';
import { checkNewMemberFolder, describeFolder, holdsFilesError, memberFs, prepareMemberFolder, userEntries } from '../mirror/member-folder.ts';
import { refreshManifest } from '../resync/resync.ts';
import { ResumeLog } from '../resync/resume-log.ts';
import { DEFAULT_STALL_MS } from '../fs/watchdog-fs.ts';
import { isInside, META_DIR } from '../mirror/paths.ts';
import { outsideOptions } from '../resync/outside.ts';
import { deletedOptions } from '../mirror/recently-deleted.ts';

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

/** Which member `adoptFrom` names (an index, or a folder as given or resolved); undefined when it is not given. */
async function adoptIndex(o: MirrorOptions, roots: readonly string[]): Promise<number | undefined> {
  const a = o.adoptFrom;
  if (a === undefined) return undefined;
  if (typeof a === 'number') {
    if (Number.isInteger(a) && a >= 0 && a < o.members.length) return a;
    throw new MirrorError('EINVALIDOPTION', `adoptFrom must be the index of a member (0 to ${o.members.length - 1}); got ${a}.`);
  }
  const real = typeof a === 'string' ? await realpath(a).catch(() => a) : undefined;
  const i = o.members.findIndex((m, j) => m.path === a || roots[j] === real);
  if (i >= 0) return i;
  throw new MirrorError('EINVALIDOPTION', `adoptFrom names "${String(a)}", which is not one of the mirror's folders.`, { path: String(a) });
}

/**
 * Adoption: the mirror starts from one folder's files (adoptFrom, or the one folder that holds any) and copies them to
 * the others, which must hold nothing of the user's (system names aside): two folders with files are never merged or
 * overwritten, the creation is refused naming the folder and what it holds.
 */
async function chooseAdoption(o: MirrorOptions, roots: readonly string[], toCreate: readonly string[]): Promise<{ source: number; hasFiles: boolean }> {
  const chosen = await adoptIndex(o, roots);
  const withFiles: number[] = [];
  for (const [i, root] of roots.entries()) if (!toCreate.includes(root) && (await userEntries(root)).length > 0) withFiles.push(i);
  const source = chosen ?? withFiles[0] ?? 0;
  if (chosen === undefined && withFiles.length > 1) {
    const what = await Promise.all(withFiles.map((i) => describeFolder(o.members[i]!, roots[i]!)));
    throw new MirrorError('EBUSY', `More than one folder holds files: ${what.join('; ')}. A mirror starts from one folder's files and copies them to the others, and files are never merged or overwritten: choose which folder's files to keep (adoptFrom), and give the other drives an empty (or new) folder. Nothing was changed.`, { path: o.members[withFiles[1]!]!.path });
  }
  const other = withFiles.find((i) => i !== source);
  if (other !== undefined) {
    throw await holdsFilesError(o.members[other]!, roots[other]!, `The mirror starts from the files in "${o.members[source]!.path}" and copies them here, so this folder must be empty.`);
  }
  return { source, hasFiles: withFiles.includes(source) };
}

/**
 * Creates a new mirror. One folder's files (see chooseAdoption) are adopted and copied to the others in the background,
 * a full resync that resumes where it stopped if the app is closed or crashes (resync/resume-log.ts).
 */
export async function createMirror(o: MirrorOptions): Promise<Mirror> {
  checkSpecs(o?.members);
  if (o.members.length < 2) throw new MirrorError('EINVALIDOPTION', `A mirror needs at least two folders, on different drives; got ${o.members.length}.`);
  const lim = limits(o);
  const deleted = deletedOptions(o); // recently deleted (issue 11, part 4): retention, checked before anything is written
  // Every check runs before anything is written.
  const roots: string[] = [];
  const toCreate: string[] = [];
  for (const spec of o.members) {
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
      await checkNewMemberFolder(real, roots, spec, { mayHoldFiles: true }); // which may is chooseAdoption's to say
    }
    for (const other of roots) {
      if (isInside(real, other) || isInside(other, real)) {
        throw new MirrorError('ENESTED', `"${spec.path}" and "${other}" are inside one another; members must be separate folders.`, { path: spec.path });
      }
    }
    roots.push(real);
  }
  const adopt = await chooseAdoption(o, roots, toCreate);
  for (const dir of toCreate) await mkdir(dir);
  const fss = o.members.map((spec, i) => memberFs(spec, lim.memberTimeoutMs, roots[i]!));
  const members = o.members.map((spec, i) => new Member(randomUUID(), spec.label ?? defaultLabel(roots[i]!), roots[i]!,
    spec.writeMostly ?? false, fss[i]!, i !== adopt.source && adopt.hasFiles ? 'resyncing' : 'in_sync'));
  for (const m of members) {
    m.rules = await prepareMemberFolder(m.fs, m.root);
    await ResumeLog.discard(m.fs, m.root); // a new mirror resumes nothing a folder may hold from an earlier life
    await openJournal(m);
  }
  const mirror = new MirrorImpl({ id: randomUUID(), label: o.label ?? 'NAS Mirror', members, ...lim, deleted, outside: outsideOptions(o), generation: 0, generationCleared: 0 });
  await mirror.persist();
  for (const m of members) {
    if (m.state !== 'resyncing') continue;
    m.startCatchUp(null);
    mirror.startResync(m);
  }
  mirror.outside.start(); // outside changes: watchers on the members (looks wait for an adoption to finish)
  return mirror;
}

interface Probed { spec: MemberSpec; real: string; sb: Superblock | null }
interface Probe { found: Probed[]; hung: MemberSpec[]; freshest: Superblock; silent: string }

/**
 * Probe: every folder's superblock, read at once, each with a deadline — a drive that does not answer (a stopped FUSE
 * daemon, a hung share) is left out as not answering, and the mirror opens from the others, as with a drive that is
 * unplugged. Picks the freshest superblock and refuses folders of another mirror.
 */
async function probe(o: Omit<MirrorOptions, 'label'>, stallMs: number): Promise<Probe> {
  const probes = await Promise.all(o.members.map(async (spec) => {
    const read = (async () => {
      const real = await realpath(spec.path).catch(() => spec.path);
      try {
        return { spec, real, sb: await readSuperblock(memberFs({ path: real }, 0), real) };
      } catch (e) {
        throw new MirrorError('EIO', `${(e as Error).message}. Open the mirror without this folder and re-add it.`, { path: spec.path });
      }
    })();
    return stallMs > 0 ? withDeadline(read, stallMs, () => ({ spec, hung: true as const })) : read;
  }));
  const found: Probed[] = [];
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
  return { found, hung, freshest, silent };
}

/**
 * Classify: each member the freshest superblock names is present and trusted, present and to be caught up (and how:
 * catchUpPlan), or away; a folder without a superblock is never a member and never causes a delete (invariant 21).
 */
async function classify(p: Probe, memberTimeoutMs: number): Promise<{ members: Member[]; catchUp: Map<Member, CatchUpPlan> }> {
  const { found, hung, freshest, silent } = p;
  const members: Member[] = [];
  const catchUp = new Map<Member, CatchUpPlan>();
  // Every present member's folder and metadata files are opened at once: a manifest of a million files is ~100 MB
  // to read and scan, and one drive's read overlaps the other's scan.
  const open = async (entry: Superblock['members'][number], f: Probed): Promise<Member> => {
    const m = new Member(entry.id, f.spec.label ?? entry.label, f.real, f.spec.writeMostly ?? entry.writeMostly, memberFs(f.spec, memberTimeoutMs, f.real), 'in_sync');
    m.rules = await prepareMemberFolder(m.fs, m.root);
    await openJournal(m);
    return m;
  };
  const pairs = freshest.members.map((entry) => {
    const f = found.find((x) => x.sb?.memberId === entry.id);
    const ready = f ? open(entry, f) : undefined;
    ready?.catch(() => {}); // awaited in the loop below, which reports the first failure
    return { entry, f, ready };
  });
  for (const { entry, f, ready } of pairs) {
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
    const m = await ready!;
    // Invariant 17: a source must be in sync by the freshest superblock and at most one generation behind it
    // (a crash can land between superblock writes of one update).
    const trusted = (entry.state === 'in_sync' || entry.state === 'behind') && freshest.generation - sb.generation <= 1;
    if (!trusted) {
      m.transition('resync-started');
      const stillFilling = entry.state === 'resyncing' && entry.resync !== 'records';
      catchUp.set(m, catchUpPlan(sb, { generationCleared: freshest.generationCleared, stillFilling, clean: sb.clean }));
    }
    members.push(m);
  }
  for (const f of found.filter((x) => x.sb === null)) {
    const stray = new Member(`missing:${f.real}`, f.spec.label ?? defaultLabel(f.real), f.real, f.spec.writeMostly ?? false, memberFs(f.spec, memberTimeoutMs, f.real), 'faulty');
    stray.error = `"${f.spec.path}" holds no member of this mirror (no ${META_DIR}/superblock.json): is its drive unmounted? It was left untouched.`;
    members.push(stray);
  }
  return { members, catchUp };
}

/**
 * Recover: every exact record a trusted member holds marks a path a crash may have left different between members.
 * After a crash (the freshest superblock not clean) the primary's manifest is refreshed there and every other in-sync
 * member catches up those paths (invariant 19). Then each member to bring back gets its list of paths.
 */
async function recover(mirror: MirrorImpl, primary: Member, freshest: Superblock, catchUp: Map<Member, CatchUpPlan>): Promise<void> {
  const members = mirror.members;
  const records = new Map<string, number>();
  for (const m of members) {
    if (m.state !== 'in_sync' || !m.journal || m.journal.coarse) continue;
    for (const [p, g] of m.journal.exactRecords()) records.set(p, Math.max(g, records.get(p) ?? 0));
  }
  const haveExact = members.some((m) => m.state === 'in_sync' && m.journal && !m.journal.coarse);
  mirror.intent.adopt(records.keys());
  if (!freshest.clean) {
    await refreshManifest(primary, records.keys());
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
}

/** Assembles an existing mirror from its members' folders, recognised by superblock, never by path: probe, classify, recover. */
export async function assembleMirror(o: Omit<MirrorOptions, 'label'>): Promise<Mirror> {
  checkSpecs(o?.members);
  if (o.members.length < 1) throw new MirrorError('EINVALIDOPTION', 'Give the folders of the mirror to open.');
  const stallMs = memberTimeout(o); // checked before any folder is touched, as the other options are
  const probed = await probe(o, stallMs);
  const { freshest } = probed;
  const lim = limits(o, freshest);
  const deleted = deletedOptions(o, freshest); // recently deleted (issue 11, part 4): the superblock's retention
  const { members, catchUp } = await classify(probed, lim.memberTimeoutMs);
  const primary = members.find((m) => m.state === 'in_sync' && !m.writeMostly) ?? members.find((m) => m.state === 'in_sync');
  if (!primary) throw new MirrorError('ENOINSYNC', 'No up-to-date member is among these folders; connect the drive that was in use last.');
  const mirror = new MirrorImpl({ id: freshest.mirrorId, label: freshest.mirrorLabel, members, ...lim, deleted, outside: outsideOptions(o), generation: freshest.generation, generationCleared: freshest.generationCleared });
  await recover(mirror, primary, freshest, catchUp);
  await mirror.membershipChanged();
  for (const m of catchUp.keys()) mirror.startResync(m);
  mirror.outside.start(); // outside changes: what changed on the drives while the mirror was closed, then watchers
  return mirror;
}

export { writeSuperblock };
