// Randomised schedules against an in-memory model of acknowledged state (invariants 1-3, 5, 7, 9, 11, 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createMirror, FaultyFs, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { text, treeOf } from '../helpers/engine.ts';

const RUNS = Number(process.env.NAS_MODEL_RUNS ?? 500);
// tmpfs makes fsync free, so hundreds of schedules fit in a test run; ordering and waits are what is under test.
const BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const paths = ['d0/a', 'd0/b', 'd1/a', 'd1/c'];
const pathArb = fc.constantFrom(...paths);
const cmdArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('write' as const), p: pathArb, v: fc.integer({ min: 0, max: 1e6 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('burst' as const), p: pathArb, n: fc.integer({ min: 2, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('read' as const), p: pathArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rename' as const), p: pathArb, to: pathArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), p: pathArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fail' as const), i: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('eject' as const), i: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('readd' as const), i: fc.nat(3) }) },
);
const setupArb = fc.record({
  members: fc.array(fc.record({ writeMostly: fc.boolean(), jitterMs: fc.integer({ min: 0, max: 3 }), latencyMs: fc.constantFrom(0, 0, 2, 5) }), { minLength: 2, maxLength: 4 }),
  maxBehindWrites: fc.constantFrom(0, 1, 4, 256),
});

type Cmd = fc.Arbitrary<unknown> extends never ? never : (typeof cmdArb) extends fc.Arbitrary<infer C> ? C : never;

async function runSchedule(setup: fc.Arbitrary<unknown> extends never ? never : (typeof setupArb) extends fc.Arbitrary<infer S> ? S : never, cmds: Cmd[]) {
  const dir = await mkdtemp(join(BASE, 'nasm-model-'));
  const specs: EngineMemberSpec[] = setup.members.map((s, i) => ({
    path: join(dir, `m${i}`), label: `m${i}`,
    writeMostly: i === 0 ? false : s.writeMostly, // at least one fast member
    fs: new FaultyFs(new NodeFs(), { jitterMs: s.jitterMs }),
    throttle: s.latencyMs ? { latencyMs: s.latencyMs } : undefined,
  }));
  let m: Mirror | undefined;
  try {
    m = await createMirror({ members: specs, maxBehindWrites: setup.maxBehindWrites });
    const mirror = m;
    const model = new Map<string, string>();
    let violation: string | undefined;
    mirror.onEvent((e) => {
      if (e.type !== 'behind') return;
      const total = mirror.status().members.reduce((n, x) => n + x.behindWrites, 0);
      if (total > setup.maxBehindWrites) violation = `behind writes ${total} > maxBehindWrites ${setup.maxBehindWrites}`; // invariant 5
    });
    const ids = mirror.status().members.map((x) => x.id);
    const hasCopy = () => mirror.status().members.some((x) => x.state === 'in_sync' || x.state === 'behind');
    let seq = 0;
    for (const c of cmds) {
      const live = hasCopy();
      switch (c.k) {
        case 'write': {
          const v = `${c.v}-${seq++}`;
          if (!live) { await assert.rejects(mirror.writeFile(c.p, v)); break; }
          await mirror.writeFile(c.p, v);
          model.set(c.p, v);
          break;
        }
        case 'burst': {
          if (!live) break;
          // Concurrent rewrites of one path: the last submitted must win on every member (invariant 11).
          const vs = Array.from({ length: c.n }, () => `burst-${seq++}`);
          await Promise.all(vs.map((v) => mirror.writeFile(c.p, v)));
          model.set(c.p, vs.at(-1)!);
          break;
        }
        case 'read': {
          if (!live) break;
          if (model.has(c.p)) assert.equal(text(await mirror.readFile(c.p)), model.get(c.p), `read ${c.p} (invariant 1)`);
          else await assert.rejects(mirror.readFile(c.p), { code: 'ENOTFOUND' });
          break;
        }
        case 'rename': {
          if (!live) break;
          if (!model.has(c.p) || c.p === c.to) { await assert.rejects(mirror.rename(c.p, c.to)); break; }
          await mirror.rename(c.p, c.to);
          model.set(c.to, model.get(c.p)!);
          model.delete(c.p);
          break;
        }
        case 'remove': {
          if (!live) break;
          if (!model.has(c.p)) { await assert.rejects(mirror.remove(c.p), { code: 'ENOTFOUND' }); break; }
          await mirror.remove(c.p);
          model.delete(c.p);
          break;
        }
        case 'fail': {
          const id = ids[c.i % ids.length]!;
          await mirror.failMember(id);
          break;
        }
        case 'eject': {
          const id = ids[c.i % ids.length]!;
          await mirror.eject(id).catch((e) => assert.equal(e.code, 'EBUSY'));
          break;
        }
        case 'readd': {
          const i = c.i % ids.length;
          const st = mirror.status().members.find((x) => x.id === ids[i]);
          if (!live || !st || (st.state !== 'faulty' && st.state !== 'removed')) break;
          await mirror.addMember({ path: specs[i]!.path, writeMostly: specs[i]!.writeMostly, label: `m${i}` });
          break;
        }
      }
      if (violation) assert.fail(violation);
    }
    await mirror.drain();
    if (violation) assert.fail(violation);
    // Invariant 12: after the workload drains, every in-sync member holds exactly the model.
    const expected = new Map([...model].map(([p, v]) => [p, Buffer.from(v).toString('base64')]));
    for (const st of mirror.status().members) {
      if (st.state !== 'in_sync') continue;
      const files = new Map([...(await treeOf(st.path))].filter(([p]) => !p.endsWith('/')));
      assert.deepEqual(files, expected, `member ${st.label} equals the model`);
    }
    await mirror.stop();
  } finally {
    await m?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

test(`model: ${RUNS} random schedules of writes, rewrites, renames, deletes, reads, failures, ejects and re-adds`, async () => {
  await fc.assert(fc.asyncProperty(setupArb, fc.array(cmdArb, { minLength: 5, maxLength: 25 }), runSchedule), { numRuns: RUNS, includeErrorInReport: true, ...(process.env.NAS_MODEL_SEED ? { seed: Number(process.env.NAS_MODEL_SEED) } : {}) });
});
