// Randomised schedules against a model of the acknowledged tree (invariants 1-3, 5, 7, 9-12, 20, 23-26). Weighted to
// what broke before: fail / eject / re-add interleaved with renames of files and folders, removes and rewrites,
// operations submitted together, a case- and Unicode-insensitive member, planted links, and listings and reads with
// only a write-mostly member left. Every run prints its seed; NAS_MODEL_SEED=N replays it, NAS_MODEL_RUNS=N sets the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { FoldingFs } from '../helpers/fs/folding-fs.ts';
import { text, treeOf } from '../helpers/engine.ts';
import { LINK, MirrorModel, type ModelOp } from '../helpers/mirror-model.ts';

const RUNS = Number(process.env.NAS_MODEL_RUNS ?? 500);
const SEED = process.env.NAS_MODEL_SEED ? Number(process.env.NAS_MODEL_SEED) : Math.floor(Math.random() * 2 ** 31);
// tmpfs makes fsync free, so hundreds of schedules fit in a test run; ordering and waits are what is under test.
const BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

// Few names, so operations overlap: case twins (d0/a, d0/A, D0/a), a Unicode pair (NFC and NFD "café"), folders to
// rename and remove, and paths through the planted link.
const FILES = ['d0/a', 'd0/A', 'd0/b', 'D0/a', 'd1/c', 'd1/a', 'd1/caf\u00e9', 'd1/cafe\u0301', 'd1/sub/x', `${LINK}/s`];
const DIRS = ['d0', 'd1', 'D0', 'd1/sub', LINK];
const fileArb = fc.constantFrom(...FILES);
const anyArb = fc.constantFrom(...FILES, ...DIRS);
const valueArb = fc.integer({ min: 0, max: 1e6 });
const dataOpArb: fc.Arbitrary<DataCmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('write' as const), p: fileArb, v: valueArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mkdir' as const), p: fc.constantFrom(...DIRS) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('remove' as const), p: anyArb }) },
  // Onto existing names too: without replace they must be refused (no silent overwrite), with it a file is replaced.
  { weight: 4, arbitrary: fc.record({ k: fc.constant('rename' as const), p: anyArb, to: anyArb, replace: fc.boolean() }) },
);
type DataCmd = { k: 'write'; p: string; v: number } | { k: 'mkdir'; p: string } | { k: 'remove'; p: string } | { k: 'rename'; p: string; to: string; replace: boolean };
type MemberCmd = { k: 'fail' | 'eject' | 'readd'; i: number };
const memberOpArb: fc.Arbitrary<MemberCmd> = fc.record({ k: fc.constantFrom('fail' as const, 'eject' as const, 'readd' as const), i: fc.nat(3) });
const cmdArb = fc.oneof(
  { weight: 8, arbitrary: dataOpArb },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('burst' as const), p: fileArb, n: fc.integer({ min: 2, max: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), p: anyArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('list' as const), p: fc.constantFrom('', ...DIRS) }) },
  // Submitted together, without waiting in between: a membership change first (or none), then data operations.
  { weight: 4, arbitrary: fc.record({ k: fc.constant('group' as const), member: fc.option(memberOpArb, { nil: undefined }), ops: fc.array(dataOpArb, { minLength: 2, maxLength: 5 }) }) },
  { weight: 2, arbitrary: memberOpArb },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('solo' as const) }) },
);
const setupArb = fc.record({
  members: fc.array(fc.record({
    writeMostly: fc.boolean(), folding: fc.boolean(), jitterMs: fc.integer({ min: 0, max: 3 }), latencyMs: fc.constantFrom(0, 0, 2, 5),
  }), { minLength: 2, maxLength: 4 }),
  maxBehindWrites: fc.constantFrom(0, 1, 4, 256),
  links: fc.boolean(),
});
type Setup = typeof setupArb extends fc.Arbitrary<infer S> ? S : never;
type Cmd = typeof cmdArb extends fc.Arbitrary<infer C> ? C : never;

let seq = 0;
const toModelOp = (c: DataCmd): ModelOp => (c.k === 'write' ? { k: 'write', p: c.p, v: `${c.v}-${seq++}` } : c);

let reported = false;

/** The first failing schedule is printed at once, before fast-check spends minutes shrinking it. */
let done = 0;
const started = performance.now();

async function runSchedule(setup: Setup, cmds: Cmd[]): Promise<void> {
  try {
    await runScheduleOnce(setup, cmds);
    // A long run says how far it got, so a stalled one shows where.
    if (++done % 1000 === 0) console.log(`# ${done} schedules done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } catch (e) {
    if (!reported) {
      reported = true;
      console.error(`# first failing schedule (replay with NAS_MODEL_EXAMPLE): ${JSON.stringify([setup, cmds])}\n# ${(e as Error).message.split('\n').slice(0, 12).join('\n# ')}`);
    }
    throw e;
  }
}

const bulkCopies = (setup: Setup) => [...JSON.stringify(setup)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 2 === 0;

async function runScheduleOnce(setup: Setup, cmds: Cmd[]): Promise<void> {
  const dir = await realpath(await mkdtemp(join(BASE, 'nasm-model-')));
  const outside = join(dir, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'secret');
  // At least one fast member (m0), and at most one that folds names; a folding member is a write-mostly USB disk or not.
  const folding = setup.members.findIndex((s, i) => i > 0 && s.folding);
  const specs: EngineMemberSpec[] = setup.members.map((s, i) => {
    const path = join(dir, `m${i}`);
    // Half the schedules (by their setup, so a replay takes the same half) copy small files in bulk, as real drives do.
    const faulty = new FaultyFs(new NodeFs(), { jitterMs: s.jitterMs, bulk: bulkCopies(setup) });
    return {
      path, label: `m${i}`, writeMostly: i === 0 ? false : s.writeMostly,
      fs: i === folding ? new FoldingFs(faulty, path) : faulty,
      throttle: s.latencyMs ? { latencyMs: s.latencyMs } : undefined,
    };
  });
  let m: Mirror | undefined;
  try {
    m = await createMirror({ members: specs, maxBehindWrites: setup.maxBehindWrites, intentClearMs: 5 });
    const mirror = m;
    if (setup.links) for (const s of specs) await symlink(outside, join(s.path, LINK));
    const model = new MirrorModel(folding >= 0, setup.links);
    let violation: string | undefined;
    mirror.onEvent((e) => {
      if (e.type !== 'behind') return;
      const total = mirror.status().members.reduce((n, x) => n + x.behindWrites, 0);
      if (total > setup.maxBehindWrites) violation = `behind writes ${total} > maxBehindWrites ${setup.maxBehindWrites}`; // invariant 5
    });
    const ids = mirror.status().members.map((x) => x.id);
    const state = (i: number) => mirror.status().members.find((x) => x.id === ids[i])!.state;
    const readable = (i: number) => state(i) === 'in_sync' || state(i) === 'behind';
    const hasCopy = () => ids.some((_, i) => readable(i));
    const cleanEjected = new Set<number>();

    const submit = (op: ModelOp): Promise<void> => {
      switch (op.k) {
        case 'write': return mirror.writeFile(op.p, op.v);
        case 'mkdir': return mirror.mkdir(op.p);
        case 'remove': return mirror.remove(op.p);
        case 'rename': return mirror.rename(op.p, op.to, { replace: op.replace });
      }
    };
    const check = async (op: ModelOp, expected: boolean, outcome: Promise<void>) => {
      const r = await outcome.then(() => null, (e: unknown) => e as { code?: string; message?: string });
      if (expected && r !== null) assert.fail(`${JSON.stringify(op)} was refused (${r.code}: ${r.message}); the model accepts it`);
      if (!expected && r === null) assert.fail(`${JSON.stringify(op)} was accepted; the model refuses it`);
      if (r !== null) assert.ok(r.code && r.message, `${JSON.stringify(op)}: a refusal carries a code and a message`);
    };
    /** Starts a membership change; returns what it must come to (checked once it settles). */
    const member = (c: MemberCmd, inGroup: boolean): { run: Promise<void>; check: (r: unknown) => Promise<void> } | undefined => {
      const i = c.i % ids.length;
      const others = ids.some((_, j) => j !== i && readable(j));
      if (inGroup && c.k !== 'readd' && !others) return undefined; // a group's data operations need a copy left
      const st = state(i);
      if (c.k === 'fail') {
        if (st !== 'removed') cleanEjected.delete(i); // failing a drive already ejected clean changes nothing
        return { run: mirror.failMember(ids[i]!), check: async (r) => assert.equal(r, null, `fail m${i}`) };
      }
      if (c.k === 'eject') {
        const snapshot = model.tree();
        const mustResolve = st === 'removed' ? cleanEjected.has(i) : (st === 'in_sync' || st === 'behind') && others;
        return {
          run: mirror.eject(ids[i]!),
          check: async (r) => {
            if (st === 'in_sync' || st === 'behind') {
              if (!others) { assert.equal((r as { code?: string })?.code, 'EBUSY', `eject of the last copy m${i}`); return; }
              assert.equal(r, null, `eject m${i} (${st}) ends clean (invariant 26): ${(r as Error)?.message}`);
              cleanEjected.add(i);
              // Invariant 20: a complete, plain-file copy as of the eject point.
              assert.deepEqual(await treeOf(specs[i]!.path), snapshot, `m${i} after eject equals the mirror at the eject point`);
              return;
            }
            if (mustResolve) assert.equal(r, null, `eject of m${i}, already ejected clean`);
            else assert.ok(r !== null && (r as { code?: string }).code !== undefined, `eject of m${i} (${st}) is refused (invariant 26)`);
          },
        };
      }
      if (st !== 'faulty' && st !== 'removed') return undefined;
      if (!others) return undefined; // nothing to catch up from
      cleanEjected.delete(i);
      return { run: mirror.addMember({ path: specs[i]!.path, writeMostly: specs[i]!.writeMostly, label: `m${i}`, fs: specs[i]!.fs, throttle: specs[i]!.throttle } as EngineMemberSpec).then(() => {}), check: async (r) => assert.equal(r, null, `re-add m${i}: ${(r as Error)?.message}`) };
    };
    const settle = (p: Promise<void>) => p.then(() => null, (e: unknown) => e);

    for (const c of cmds) {
      const live = hasCopy();
      switch (c.k) {
        case 'write': case 'mkdir': case 'remove': case 'rename': {
          const op = toModelOp(c);
          if (!live) { await assert.rejects(submit(op)); break; }
          await check(op, model.apply(op), submit(op));
          break;
        }
        case 'burst': {
          if (!live) break;
          // Concurrent rewrites of one path: the last submitted must win on every member (invariant 11).
          const ops = Array.from({ length: c.n }, () => toModelOp({ k: 'write', p: c.p, v: 0 }));
          const expected = ops.map((op) => model.apply(op));
          await Promise.all(ops.map((op, i) => check(op, expected[i]!, submit(op))));
          break;
        }
        case 'read': {
          if (!live) break;
          const r = await settle(mirror.readFile(c.p).then((d) => { assert.equal(text(d), model.files.get(c.p), `read ${c.p} (invariant 1)`); }));
          const want = model.files.has(c.p) ? null : model.isDir(c.p) ? 'EISDIR' : model.throughLink(c.p) ? 'EINVALIDPATH' : 'ENOTFOUND';
          if (want === null && r !== null) throw r;
          if (want !== null) assert.equal((r as { code?: string } | null)?.code, want, `read ${c.p}`);
          break;
        }
        case 'list': {
          if (!live) break;
          const r = await settle(mirror.readdir(c.p).then((es) => {
            assert.deepEqual(es.map((e) => e.name).sort(), model.listing(c.p).sort(), `listing of "${c.p}"`);
          }));
          const want = c.p === '' || model.isDir(c.p) ? null : model.throughLink(c.p) ? 'EINVALIDPATH' : 'ENOTFOUND';
          if (want === null && r !== null) throw r;
          if (want !== null) assert.equal((r as { code?: string } | null)?.code, want, `list ${c.p}`);
          break;
        }
        case 'group': {
          if (!live) break;
          const change = c.member ? member(c.member, true) : undefined;
          const ops = c.ops.map(toModelOp);
          const expected = ops.map((op) => model.apply(op));
          const outcomes = ops.map((op) => submit(op)); // in this order, without waiting: places in line are taken now
          await Promise.all([
            ...ops.map((op, i) => check(op, expected[i]!, outcomes[i]!)),
            change ? settle(change.run).then(change.check) : undefined,
          ]);
          break;
        }
        case 'fail': case 'eject': case 'readd': {
          const change = member(c, false);
          if (change) await change.check(await settle(change.run));
          break;
        }
        case 'solo': {
          // Only write-mostly members left: reads fall back to them and must wait for what they still owe.
          const wm = ids.findIndex((_, i) => readable(i) && specs[i]!.writeMostly);
          if (wm < 0) break;
          for (const [i, id] of ids.entries()) if (readable(i) && !specs[i]!.writeMostly) await mirror.failMember(id);
          break;
        }
      }
      if (violation) assert.fail(violation);
    }
    await mirror.drain();
    if (violation) assert.fail(violation);
    // Invariant 12: after the workload drains, every in-sync member holds exactly the model.
    const expected = model.tree();
    for (const st of mirror.status().members) {
      assert.notEqual(st.state, 'resyncing', `${st.label} finished its catch-up`);
      if (st.state === 'in_sync') assert.deepEqual(await treeOf(st.path), expected, `member ${st.label} equals the model`);
    }
    // With only a write-mostly member left, listings and reads through the mirror still show exactly the model.
    const wm = ids.findIndex((_, i) => readable(i) && specs[i]!.writeMostly);
    if (wm >= 0) {
      for (const [i, id] of ids.entries()) if (i !== wm && readable(i)) await mirror.failMember(id);
      for (const d of ['', ...model.dirs]) {
        assert.deepEqual((await mirror.readdir(d)).map((e) => e.name).sort(), model.listing(d).sort(), `listing of "${d}" from m${wm} alone`);
      }
      for (const [p, v] of model.files) assert.equal(text(await mirror.readFile(p)), v, `read ${p} from m${wm} alone`);
    }
    // Invariant 24: nothing outside the member folders was touched through the planted links.
    assert.deepEqual(await treeOf(outside), new Map([['secret.txt', Buffer.from('secret').toString('base64')]]), 'the folder behind the links is untouched');
    await mirror.stop();
  } finally {
    await m?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

// NAS_MODEL_EXAMPLE='<the Counterexample JSON fast-check printed>' runs just that schedule (undefined written as null).
if (process.env.NAS_MODEL_EXAMPLE) {
  test('model: the given counterexample', async () => {
    const [setup, cmds] = JSON.parse(process.env.NAS_MODEL_EXAMPLE!.replaceAll('undefined', 'null'), (_k, v) => (v === null ? undefined : v));
    await runSchedule(setup, cmds);
  });
}

// Every schedule a long run ever failed on, replayed in every run: model-examples/<date>-<what>.json, as printed.
for (const name of readdirSync(new URL('./model-examples/', import.meta.url)).filter((n) => n.endsWith('.json')).sort()) {
  test(`model: the schedule a long run failed on (${name})`, async () => {
    const json = readFileSync(new URL(`./model-examples/${name}`, import.meta.url), 'utf8').trim();
    const [setup, cmds] = JSON.parse(json.replaceAll('undefined', 'null'), (_k, v) => (v === null ? undefined : v));
    await runSchedule(setup, cmds);
  });
}

// A schedule spends most of its time waiting (jitter, slow members, fsync): lanes run side by side, each its own
// fast-check run with seed SEED + lane. A replayed seed runs in one lane unless NAS_MODEL_LANES says otherwise.
/** A schedule that has not ended by then fails (and is shrunk) instead of stalling the run: a wait that never ends. */
const SCHEDULE_TIMEOUT_MS = 120_000;
const LANES = Math.max(1, Number(process.env.NAS_MODEL_LANES ?? (process.env.NAS_MODEL_SEED ? 1 : 4)));

test(`model: ${RUNS} random schedules (seed ${SEED}, ${LANES} lanes) of writes, renames, removes, reads, listings, failures, ejects and re-adds`, async (t) => {
  const lanes = Array.from({ length: LANES }, (_, i) => ({ seed: SEED + i, runs: Math.floor(RUNS / LANES) + (i < RUNS % LANES ? 1 : 0) }));
  const replay = lanes.map((l) => `NAS_MODEL_SEED=${l.seed} NAS_MODEL_RUNS=${l.runs} NAS_MODEL_LANES=1`).join(' | ');
  t.diagnostic(`seed ${SEED}; replay a lane with: ${replay}`);
  console.log(`# engine model: seed ${SEED}, ${RUNS} runs in ${LANES} lanes (replay a lane: ${replay})`);
  const t0 = performance.now();
  await Promise.all(lanes.map((l) => fc.assert(fc.asyncProperty(setupArb, fc.array(cmdArb, { minLength: 5, maxLength: 25 }), runSchedule),
    { numRuns: l.runs, seed: l.seed, includeErrorInReport: true, timeout: SCHEDULE_TIMEOUT_MS })));
  t.diagnostic(`${RUNS} schedules in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
