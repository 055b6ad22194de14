// The write request (cf. md r1bio, raid1_write_request()): legs per member, behind legs from a copy, one acknowledgement.
import { createHash } from 'node:crypto';
import { MirrorError } from '../contract/errors.ts';
import { concatBytes } from '../fs/bytes.ts';
import { errnoCode, type AtomicWriter, type FsStat } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { isActive, isReadable } from './member-state.ts';
import { applyLeg, opPaths, openLegWriter, trashTicketBase, validateOp, type Op, type WriteLook } from './ops.ts';
import { PreparedWrites } from './prepared-write.ts';
import type { Slot } from './path-order.ts';
import { chooseReadMember } from './read-balance.ts';
import { chooseBehind } from './behind-choice.ts';
import { streamBlocks } from './stream-blocks.ts';
import { giveChunk } from '../fs/chunk-pool.ts';
import { compareMeta, hashOf, metaOf } from '../journal/manifest.ts';
import { causeOf, type FailureCause } from './failure.ts';
import { isLinkError, linkRefusal } from './links.ts';

/** What the write path needs from the mirror that owns it. */
export interface WriteHost {
  readonly members: readonly Member[];
  readonly maxBehindWrites: number;
  readonly maxBehindBytes: number;
  readonly stopping: boolean;
  /** An operation was acknowledged: its paths changed (for views of the files). */
  filesChanged(paths: readonly string[]): void;
  assertRunning(): void;
  /** Durably marks the mirror active (not clean) before its first write. */
  ensureActive(): Promise<void>;
  /** Intent records for these paths are durable on every active member (the journal's seam). */
  markIntent(paths: readonly string[]): Promise<void>;
  /** Every leg of the operation has finished; `ok` when all succeeded (records may then be cleared). */
  endIntent(paths: readonly string[], ok: boolean): void;
  /** Marks a member faulty (`detail`: what failed on it); resolves once that is durable in the survivors' superblocks. */
  fault(m: Member, detail: string | undefined, cause?: FailureCause): Promise<void>;
  /**
   * A write met a full drive: deletes the oldest recently deleted entries on those members (all, when none is named)
   * for at least `bytes`, if that may be done now; true when the write should be retried.
   */
  purgeForSpace(members?: readonly Member[], bytes?: number): Promise<boolean>;
  /** Recently deleted (issue 11, part 4): the id and time every member keeps a delete's entry under. */
  stampDelete?(): { id: string; deletedAt: number };
  behindChanged(m: Member): void;
  totalBehind(): { writes: number; bytes: number };
}

/**
 * A write's body: bytes, or a stream. `owned`: the stream hands its chunks over (stream-blocks.ts). `staged`: the
 * stream reads a file a host staged in that member's temp folder; there the file itself lands (renamed into place,
 * NodeFs.adoptAtomic), the other members get copies of what the stream read.
 */
export type Payload = { data: Uint8Array }
  | { stream: AsyncIterable<Uint8Array>; owned?: boolean; staged?: { member: Member; file: string } };

/**
 * One client write (DESIGN.md: write request; md's r1bio): the operation, the members it goes to and each one's place
 * in line. submitOp opens it and acknowledges it once; it closes once, when every leg has finished — the one place the
 * intent records may be cleared, and only when every leg landed.
 */
export class WriteRequest {
  readonly paths: string[];
  #closed = false;
  constructor(readonly host: WriteHost, readonly op: Op, readonly targets: readonly Member[], readonly slots: Map<Member, Slot>,
    readonly taken?: Taken) {
    this.paths = opPaths(op);
  }

  /** Every leg has finished (`ok`: all landed). */
  close(ok: boolean): void {
    if (this.#closed) throw new Error(`the write request for "${this.paths[0]}" was closed twice`);
    this.#closed = true;
    this.host.endIntent(this.paths, ok);
  }

  /** Gives up every place in line (a request refused before any leg started, or one whose legs have all ended). */
  releaseAll(): void { for (const s of this.slots.values()) s.release(); }
}

// -- outside changes taken as writes (issue 11, part 2) --
/**
 * A change made directly in a member's folder, taken as a write (resync/outside.ts): the content is already on
 * `member` — at `from`, or at the operation's own path — as `stat` describes it (null: a delete; on a remove that
 * clears the way for a file that became a folder or back, what is there now). It is read there in
 * the path's turn in line. The member the change was made on keeps its copy as it is and only records it: a file that
 * another program may still be writing is never replaced under it.
 */
export interface Taken { member: Member; stat: FsStat | null; from?: string }

/** Whether `m` made the change itself: its leg only records the operation in its manifest. */
const keepsOwn = (t: Taken | undefined, m: Member, op: Op): t is Taken =>
  t !== undefined && t.member === m && (op.kind === 'remove' || (op.kind === 'write' && (t.from ?? op.path) === op.path));

function recordKept(m: Member, op: Op, hash: string | undefined, t: Taken): void {
  if (op.kind === 'remove') m.manifest?.remove(op.path);
  else if (op.kind === 'write' && hash && t.stat) m.manifest?.set(op.path, hash, metaOf(t.stat));
}

/** The content of a taken change, read in its turn; a copy that changed again since it was seen is not taken (yet). */
async function readTaken(t: Taken, path: string, slots: Map<Member, Slot>): Promise<Payload> {
  const from = t.from ?? path;
  if (from === path) await slots.get(t.member)?.ready;
  const now = await t.member.statOrNull(from);
  if (!now || !t.stat || compareMeta(metaOf(t.stat), now, true) !== 'same') {
    throw new MirrorError('EBUSY', `"${from}" on "${t.member.label}" changed again while it was being taken; it is looked at again once it settles.`, { path: from, memberId: t.member.id });
  }
  return { stream: t.member.fs.readStream(t.member.abs(from)) };
}

/**
 * A delete taken from a drive, looked at again in its turn: what was seen before this operation took its place in
 * line may have been undone since (a write through the mirror that came first, the user putting the file back), and a
 * delete applied then would take that write off the other members. `t.stat` null: the path must still be gone; a
 * remove that clears the way for a file that became a folder (or the other way round) needs that new kind still there.
 * Rule: what an outside change was decided on is checked again in the change's turn (readTaken does it for content).
 */
async function checkTakenRemove(t: Taken, path: string, slots: Map<Member, Slot>): Promise<void> {
  await slots.get(t.member)?.ready;
  const now = await t.member.statOrNull(path);
  if (t.stat === null ? now === null : now?.type === t.stat.type) return;
  throw new MirrorError('EBUSY', `"${path}" on "${t.member.label}" changed again while its delete was being taken; it is looked at again once it settles.`, { path, memberId: t.member.id });
}
// -- end outside changes --

/** Full-drive and read-only errors on every synchronous leg refuse the write instead of failing members. */
const REFUSALS = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);
const FULL = new Set(['ENOSPC', 'EDQUOT']);

class LegError { constructor(readonly m: Member, readonly error: unknown) {} }

function faultReason(m: Member, op: Op, e: unknown): string {
  const what = op.kind === 'rename' ? `renaming "${op.from}"`
    : `${op.kind === 'write' ? 'writing' : op.kind === 'mkdir' ? 'creating' : op.kind === 'attrs' ? 'setting the time or mode of' : 'removing'} "${op.path}"`;
  return `${what} on ${m.root} failed: ${e instanceof Error ? e.message : String(e)}`;
}

function refusal(op: Op, legs: LegError[]): MirrorError {
  const code = errnoCode(legs[0]!.error);
  const path = opPaths(op)[0]!;
  const names = legs.map((l) => `"${l.m.label}"`).join(', ');
  return code === 'EROFS'
    ? new MirrorError('EREADONLY', `Cannot change "${path}": ${names} ${legs.length > 1 ? 'are' : 'is'} read-only. Nothing was changed.`, { path, memberId: legs[0]!.m.id })
    : new MirrorError('ENOSPC', `Cannot write "${path}": ${names} ${legs.length > 1 ? 'are' : 'is'} full. Free some space; nothing was changed.`, { path, memberId: legs[0]!.m.id });
}

/**
 * A leg that did not land on a member that has left (failed, ejected): its re-add must catch these paths up. The
 * journals cannot say so for a member that left clean, whose catch-up starts after its own generation (membership.ts).
 */
function missedBy(m: Member, paths: readonly string[]): void {
  for (const p of paths) m.dirty.add(p);
}

async function bufferUpTo(stream: AsyncIterable<Uint8Array>, limit: number) {
  const it = stream[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { data: concatBytes(chunks, size), rest: undefined };
    const c = r.value; // a block of streamBlocks: already this write's own copy
    chunks.push(c);
    size += c.byteLength;
    if (size > limit) return { data: undefined, chunks, rest: it };
  }
}

/** Submits one operation: ordered on every member now, acknowledged once every synchronous leg is durable. */
export async function submitOp(host: WriteHost, op: Op, payload?: Payload, taken?: Taken): Promise<void> {
  host.assertRunning();
  const paths = opPaths(op);
  // A member being caught up takes the leg only where it holds every path current; otherwise the paths join its
  // catch-up, copied after this operation (invariant 25: the rule is in catch-up.ts). Decided now, synchronously.
  const targets = host.members.filter((m) => isActive(m.state) && !m.ejecting && m.takesLiveLeg(paths));
  // Members that will not get this write must catch it up when they come back (re-add).
  for (const m of host.members) if (!targets.includes(m)) missedBy(m, paths);
  if (!targets.some((m) => isReadable(m.state))) {
    throw new MirrorError('ENOINSYNC', `No member holds an up-to-date copy, so "${paths[0]}" cannot be changed. Reconnect a drive of this mirror.`, { path: paths[0] });
  }
  // Places in line are taken synchronously, before any await, so they follow submission order (invariant 11).
  const slots = new Map<Member, Slot>(targets.map((m) => [m, m.order.reserve(paths)]));
  // Admitted: from the moment it records its intent until its legs end or it is refused, the write counts on every
  // target member (Member.idle), so an eject or a stop that begins meanwhile waits for it (invariant 20). Rule: a wait
  // covers what was admitted before it began, and only that: a write still receiving its body when an eject begins
  // is not waited for (it records its intent at the new epoch and its leg there is missed, so the catch-up has it),
  // and one that reaches its intent after a stop began is refused — so neither waits on a slow sender, nor for ever
  // while writes keep arriving.
  let admittedEnd!: () => void;
  const admitted = new Promise<void>((r) => (admittedEnd = r));
  const admit = () => { for (const m of targets) void m.track(admitted); };
  try {
    await runAdmitted(host, op, paths, targets, slots, payload, taken, admit);
  } finally {
    admittedEnd();
  }
}

/** The rest of submitOp, for a write holding its places in line on `targets`: body, checks, intent, legs, acknowledgement. */
async function runAdmitted(host: WriteHost, op: Op, paths: string[], targets: Member[], slots: Map<Member, Slot>,
  payload: Payload | undefined, taken: Taken | undefined, admit: () => void): Promise<void> {
  let data: Uint8Array | undefined;
  let streamed: { chunks: Uint8Array[]; rest: AsyncIterator<Uint8Array>; staged?: { member: Member; file: string } } | undefined;
  let prepared: PreparedWrites | undefined;
  let look: WriteLook | undefined;
  let marking: Promise<void> | undefined;
  try {
    await host.ensureActive();
    if (taken && op.kind === 'write') payload = await readTaken(taken, op.path, slots);
    if (taken && op.kind === 'remove') await checkTakenRemove(taken, op.path, slots);
    if (payload && 'stream' in payload) {
      // Hold as much as could still go behind: a file that fits the behind budget is written behind like any other;
      // a bigger one streams to every member in step, so memory stays bounded by maxBehindBytes. With no write-mostly
      // target nothing can go behind: past 1 MiB the file streams (holding 64 MiB whole cost ~280 ms of copying here).
      const canGoBehind = host.maxBehindWrites > 0 && targets.some((m) => m.writeMostly);
      const budget = canGoBehind ? host.maxBehindBytes - host.totalBehind().bytes : 0;
      const b = await bufferUpTo(streamBlocks(payload.stream, undefined, payload.owned), Math.max(1 << 20, budget));
      if (b.rest) streamed = { chunks: b.chunks!, rest: b.rest, ...(payload.staged ? { staged: payload.staged } : {}) }; else data = b.data;
    } else if (payload) {
      // The behind copy (invariant 8): taken before the acknowledgement, independent of the caller's buffer.
      data = Uint8Array.from(payload.data);
    }
    // A delete taken from the member it was made on is checked against a member that still has the path.
    const primary = (taken && op.kind === 'remove' ? chooseReadMember(targets.filter((m) => m !== taken.member)) : undefined) ?? chooseReadMember(targets);
    // Every member holding the mirror failed while the body came in (checked at submission, looked at again here).
    if (!primary) throw new MirrorError('ENOINSYNC', `No member holds an up-to-date copy any more, so "${paths[0]}" was not changed. Reconnect a drive of this mirror.`, { path: paths[0] });
    await slots.get(primary)!.ready;
    // Decided at submission, decided again after the awaits: a stop that began meanwhile closes the journals once it
    // has waited for this write, so the write is refused here, having changed nothing.
    host.assertRunning();
    admit(); // synchronously with the check: a stop either refused this write or waits for it
    // Rule (the acknowledgement path's order): what only reads the member, or writes this write's own temp files, runs
    // at once — the intent record is made durable, the fast members' temp files are written and flushed
    // (prepared-write.ts), and the write is validated, all together; nothing at the write's paths changes on any member
    // before both the intent is durable (invariant 13) and the validation passed. Measured: 1,000 sequential 4 KiB
    // writes, fast + fast on two loop ext4 drives, validating first cost ~0.5 ms of a 3.9 ms acknowledgement.
    if (data && op.kind === 'write') {
      const fast = targets.filter((m) => !m.writeMostly && !keepsOwn(taken, m, op));
      if (fast.length > 0) prepared = new PreparedWrites(fast, op.path, data, op.attrs);
    }
    marking = host.markIntent(paths); // invariant 13: before any data leg lands
    marking.catch(() => {}); // awaited below, or in the catch when the validation fails first
    look = await validateOp(op, primary, host.members, data?.byteLength).catch((e) => { throw isLinkError(e) ? linkRefusal(e, paths[0]!, primary) : e; });
    // Recently deleted: what the operation takes away is measured once, on the first member.
    const ticket = host.stampDelete ? await trashTicketBase(op, primary) : null;
    await marking;
    // The entry's id is decided after the intent is held (so a settle point never counts an entry still being made).
    if (ticket && (op.kind === 'remove' || op.kind === 'rename')) op = { ...op, trash: { ...ticket, ...host.stampDelete!() } };
  } catch (e) {
    // A write refused after its intent was recorded (the validation failed): the record is let go like a finished
    // write's; it changed nothing, so the record is cleared at the next idle tick. A mark that failed has let it go.
    if (marking) await marking.then(() => host.endIntent(paths, true), () => {});
    await prepared?.dropAll();
    await streamed?.rest.return?.().catch(() => {}); // a refused stream is let go: a file source closes its handle
    for (const s of slots.values()) s.release();
    throw e;
  }
  const req = new WriteRequest(host, op, targets, slots, taken);
  if (streamed) await streamLegs(req, streamed); else await runLegs(req, data, prepared, look);
  host.filesChanged(paths);
}

/**
 * Applies a leg; one that meets a full drive is tried again after the oldest recently deleted entries on it were
 * purged, when every member is present (a user deleting files to make room should not have to wait for an idle moment).
 */
async function applyWithRoom(host: WriteHost, m: Member, op: Op, data: Uint8Array | undefined, hash: string | undefined,
  prepared?: PreparedWrites, look?: WriteLook): Promise<void> {
  // Each purge deletes at least one entry, oldest first: tried again until it fits or nothing is left to delete.
  // The first try only uses what was prepared and seen before the leg began (a purge's wait comes between).
  for (let first = true; ; first = false) {
    try {
      return await applyLeg(m, op, data, hash, await prepared?.take(m), first ? look : undefined);
    } catch (e) {
      if (!FULL.has(errnoCode(e) ?? '') || !(await host.purgeForSpace([m], data?.byteLength ?? 0))) throw e;
    }
  }
}

async function runLegs(req: WriteRequest, data: Uint8Array | undefined, prepared?: PreparedWrites, look?: WriteLook): Promise<void> {
  const { host, op, targets, slots, taken, paths } = req;
  const size = data?.byteLength ?? 0;
  const hash = data && op.kind === 'write' ? hashOf(data) : undefined; // once, for every member's manifest
  const behind = chooseBehind(host, targets, size);
  let syncDone!: (ok: boolean) => void;
  const syncOutcome = new Promise<boolean>((r) => (syncDone = r));

  const leg = async (m: Member): Promise<true | LegError> => {
    const slot = slots.get(m)!;
    const b = behind.has(m) ? m.addBehind(paths, size) : undefined;
    if (b) host.behindChanged(m);
    try {
      await slot.ready;
      // A behind leg never applies a write its synchronous legs refused.
      if (b && !(await syncOutcome)) return new LegError(m, new Error('write refused'));
      if (!isActive(m.state)) {
        missedBy(m, paths);
        return new LegError(m, new Error(`${m.label} is ${m.state}`));
      }
      const t0 = performance.now();
      if (keepsOwn(taken, m, op)) { recordKept(m, op, hash, taken); return true; }
      await applyWithRoom(host, m, op, data, hash, prepared, look);
      m.recordWrite(size, performance.now() - t0);
      return true;
    } catch (e) {
      if (b) await host.fault(m, faultReason(m, op, e), causeOf(e)); // after the ack: never turned into an error (invariant 7)
      if (!isActive(m.state)) missedBy(m, paths);
      return new LegError(m, e);
    } finally {
      await prepared?.drop(m); // not landed (left, refused, kept its own): its temp file goes, within the tracked leg
      slot.release();
      if (b) { b.finish(); host.behindChanged(m); }
    }
  };
  const runs = targets.map((m) => ({ m, behind: behind.has(m), p: m.track(leg(m)) }));
  void Promise.all(runs.map((r) => r.p)).then((rs) => req.close(rs.every((r) => r === true)));
  const syncRuns = runs.filter((r) => !r.behind);
  const syncResults = await Promise.all(syncRuns.map((r) => r.p));
  const failed = syncResults.filter((r): r is LegError => r !== true);
  const okInSync = syncRuns.filter((r, i) => syncResults[i] === true && isReadable(r.m.state));

  if (failed.length === syncRuns.length && failed.length > 0 && failed.every((f) => REFUSALS.has(errnoCode(f.error) ?? ''))) {
    syncDone(false); // nothing landed anywhere: refuse, fail no member
    throw refusal(op, failed);
  }
  syncDone(true);
  // Invariant 18: a member that missed this write is recorded faulty before the write is acknowledged.
  for (const f of failed) if (isActive(f.m.state)) await host.fault(f.m, faultReason(f.m, op, f.error), causeOf(f.error));
  if (okInSync.length > 0) return;
  // Every fast leg failed: the write stands if a behind leg lands (cf. md: ack when a write-mostly leg succeeds).
  const behindResults = await Promise.all(runs.filter((r) => r.behind).map((r) => r.p));
  if (behindResults.some((r) => r === true)) return;
  const why = [...failed, ...behindResults.filter((r): r is LegError => r !== true)]
    .map((f) => `${f.m.label}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
  throw new MirrorError('EIO', `"${paths[0]}" could not be written to any member (${why}). Check the drives.`, { path: paths[0] });
}

/**
 * How far the source of a streamed write may run ahead of the slowest member. Reading the next chunk, hashing it and
 * every member's writes overlap instead of going in lock-step; memory stays bounded (chunks are shared by the legs).
 */
export const STREAM_WINDOW_BYTES = 16 << 20;

/** A write too big to hold a behind copy of: every leg is synchronous, chunks are pipelined to all members. */
async function streamLegs(req: WriteRequest, s: { chunks: Uint8Array[]; rest: AsyncIterator<Uint8Array>; staged?: { member: Member; file: string } }): Promise<void> {
  const { host, op, targets, taken } = req;
  const path = req.paths[0]!;
  const attrs = op.kind === 'write' ? op.attrs : undefined;
  const keeper = taken && targets.includes(taken.member) && (taken.from ?? path) === path ? taken : undefined;
  const writers = targets.filter((m) => m !== keeper?.member);
  const live = new Map<Member, AtomicWriter>();
  /** Members landing the staged file itself (nothing is written to them). */
  const adopted = new Set<Member>();
  const errors: LegError[] = [];
  let finishAll!: () => void;
  const allDone = new Promise<void>((r) => (finishAll = r));
  for (const m of targets) void m.track(allDone);
  const drop = async (m: Member, e: unknown) => {
    const w = live.get(m);
    live.delete(m);
    await w?.abort().catch(() => {});
    errors.push(new LegError(m, e));
    if (!isActive(m.state)) missedBy(m, req.paths);
  };
  // Each member's writes, in order (one file handle each); they never reject: a failing member is dropped.
  const tails = new Map<Member, Promise<void>>();
  const settled = () => Promise.all(tails.values());
  try {
    await Promise.all(writers.map(async (m) => {
      try {
        await req.slots.get(m)!.ready;
        const staged = s.staged?.member === m && m.fs.adoptAtomic ? s.staged.file : undefined;
        live.set(m, await openLegWriter(m, path, attrs, staged));
        if (staged) adopted.add(m);
      } catch (e) { await drop(m, e); }
    }));
    const hasher = createHash('sha256');
    const inflight: { landed: Promise<unknown>; bytes: number }[] = [];
    let queued = 0;
    const send = async (chunk: Uint8Array) => {
      hasher.update(chunk);
      // The member whose staged file this stream reads has the bytes already (adopted, not written again).
      const legs = [...live.keys()].filter((m) => !adopted.has(m)).map((m) => {
        const tail = (tails.get(m) ?? Promise.resolve()).then(async () => {
          const w = live.get(m);
          const t0 = performance.now();
          if (w) await w.write(chunk).then(() => m.recordWrite(chunk.byteLength, performance.now() - t0), (e) => drop(m, e));
        });
        tails.set(m, tail);
        return tail;
      });
      const landed = Promise.all(legs);
      // The block goes back to the pool once every member's write of it has landed; not after a failed leg, whose
      // write a hung drive may still be holding (chunk-pool.ts).
      void landed.then(() => { if (errors.length === 0) giveChunk(chunk); });
      inflight.push({ landed, bytes: chunk.byteLength });
      queued += chunk.byteLength;
      while (queued > STREAM_WINDOW_BYTES) { const o = inflight.shift()!; await o.landed; queued -= o.bytes; }
    };
    let size = 0;
    for (const c of s.chunks) { size += c.byteLength; await send(c); }
    s.chunks.length = 0;
    for (let r = await s.rest.next(); !r.done; r = await s.rest.next()) {
      if (live.size === 0 && !keeper) { await s.rest.return?.(); break; } // every leg failed: reading on would change nothing
      const c = r.value; // a block of streamBlocks: the write's own copy, so legs may hold it while the source reads on
      size += c.byteLength;
      if (size > Math.min(...targets.map((t) => t.rules.maxFileSize))) {
        throw new MirrorError('ETOOBIG', `"${path}" is larger than a member's filesystem allows (FAT32: 4 GiB). Nothing was changed.`, { path });
      }
      await send(c);
    }
    await settled();
    await Promise.all([...live].map(([m, w]) => w.commit().catch((e) => drop(m, e))));
    const hash = hasher.digest('base64url');
    await Promise.all([...live].map(([m, w]) => m.manifest?.landed(path, hash, w.landed)));
    if (keeper) recordKept(keeper.member, { kind: 'write', path }, hash, keeper);
  } catch (e) {
    await settled();
    await Promise.all([...live.values()].map((w) => w.abort().catch(() => {})));
    await s.rest.return?.().catch(() => {});
    throw e;
  } finally {
    req.releaseAll();
    finishAll();
    req.close(errors.length === 0 && live.size === writers.length);
  }
  if (live.size === 0 && errors.length > 0 && errors.every((f) => REFUSALS.has(errnoCode(f.error) ?? ''))) {
    throw refusal({ kind: 'write', path }, errors);
  }
  for (const f of errors) if (isActive(f.m.state)) await host.fault(f.m, faultReason(f.m, { kind: 'write', path }, f.error), causeOf(f.error));
  if (![...live.keys(), ...(keeper ? [keeper.member] : [])].some((m) => isReadable(m.state))) {
    throw new MirrorError('EIO', `"${path}" could not be written to any member. Check the drives.`, { path });
  }
}
