// Catch-up copies of sibling small files in batches (resync.ts, syncBatch): one copier holds the places in line of up
// to 64 siblings at once and copies them in three bulk calls. The rule of catch-up.ts must hold for a batch as for
// one path: live operations on the same files, submitted while the batch waits or runs, commute with it. Each test
// here makes folders of many siblings so that batches form (the general commute test rarely has six paths queued).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { treeOf } from '../helpers/engine.ts';

/** Every file's text below `dir` (a drive's own folder: its trash). */
async function contentsUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(await readFile(join(e.parentPath, e.name), 'utf8').catch(() => ''));
  }
  return out;
}

const ids = (m: Mirror) => m.status().members.map((x) => x.id);
const FILES = Array.from({ length: 24 }, (_, i) => `p/f${i}`);

// NAS_BATCH_RUNS=N and NAS_BATCH_SEED=N set the count and replay a seed (npm run test:long runs 1,000).
const RUNS = Number(process.env.NAS_BATCH_RUNS ?? 60);
const SEED = process.env.NAS_BATCH_SEED ? Number(process.env.NAS_BATCH_SEED) : Math.floor(Math.random() * 2 ** 31);

test(`a batched catch-up and live operations on the same siblings commute (${RUNS} schedules, seed ${SEED})`, async (t) => {
  const base = await tempDir(t, 'nasm-', RAM_DIR);
  const target = fc.constantFrom(...FILES, 'p/sub/x', 'q');
  const opArb = fc.oneof(
    fc.record({ k: fc.constant('write' as const), p: target, v: fc.nat(99) }),
    fc.record({ k: fc.constant('rename' as const), p: fc.constantFrom(...FILES, 'p/sub'), to: target }),
    fc.record({ k: fc.constant('remove' as const), p: fc.constantFrom(...FILES, 'p/sub', 'p') }),
  );
  type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;
  let run = 0;
  await fc.assert(fc.asyncProperty(
    fc.record({ writeMostly: fc.boolean(), jitter: fc.integer({ min: 0, max: 2 }), fresh: fc.boolean() }),
    fc.array(opArb, { maxLength: 10 }), fc.array(opArb, { minLength: 1, maxLength: 12 }),
    async (setup, away, during) => {
      const dir = join(base, `r${run++}`);
      await mkdir(dir);
      const faulty = new FaultyFs(new NodeFs(), { jitterMs: setup.jitter, bulk: true });
      const specs: EngineMemberSpec[] = [
        { path: join(dir, 'm0'), label: 'm0' },
        { path: join(dir, 'm1'), label: 'm1', writeMostly: setup.writeMostly, fs: faulty },
      ];
      const m = await createMirror({ members: specs, maxBehindWrites: 8 });
      try {
        const apply = (o: Op) => (o.k === 'write' ? m.writeFile(o.p, `${o.v}`) : o.k === 'rename' ? m.rename(o.p, o.to, { replace: true }) : m.remove(o.p)).catch(() => {});
        await Promise.all(FILES.map((p, i) => m.writeFile(p, `first ${i}`)));
        await m.failMember(ids(m)[1]!);
        for (const o of away) await apply(o);
        // fresh: a member that starts empty (a full resync: every file is copied); else a re-add (the paths dirtied).
        if (setup.fresh) await mkdir(join(dir, 'm2'));
        const adding = setup.fresh
          ? m.addMember({ path: join(dir, 'm2'), label: 'm2', writeMostly: setup.writeMostly, fs: new FaultyFs(new NodeFs(), { jitterMs: setup.jitter, bulk: true }) } as never)
          : m.addMember(specs[1] as never);
        await Promise.all([adding, ...during.map(apply)]);
        await m.drain();
        const added = m.status().members.find((x) => x.label === (setup.fresh ? 'm2' : 'm1'))!;
        assert.equal(added.state, 'in_sync');
        assert.deepEqual(await treeOf(setup.fresh ? join(dir, 'm2') : specs[1]!.path), await treeOf(specs[0]!.path));
      } finally {
        await m.stop().catch(() => {});
      }
    }), { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
});

test('a batch leaves to the one-path copy what it must not write over: a copy edited on the drive is kept', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const specs: EngineMemberSpec[] = [{ path: join(dir, 'A'), label: 'A' }, { path: join(dir, 'B'), label: 'B' }];
  const m = await createMirror({ members: specs, watchOutside: false });
  t.after(() => m.stop().catch(() => {}));
  for (const p of FILES) await m.writeFile(p, `v1 ${p}`);
  await m.drain();
  await m.failMember(ids(m)[1]!);
  for (const p of FILES) await m.writeFile(p, `v2 ${p}`);
  await writeFile(join(dir, 'B', 'p/f3'), 'edited on B while it was away'); // not the engine's copy any more
  await m.addMember(specs[1] as never);
  await m.drain();
  assert.equal(m.status().members[1]!.state, 'in_sync');
  for (const p of FILES) assert.equal(await readFile(join(dir, 'B', p), 'utf8'), `v2 ${p}`, p);
  const kept = await contentsUnder(join(dir, 'B', '.nas-mirror'));
  assert.ok(kept.includes('edited on B while it was away'), 'the edited copy is kept in the drive\'s trash');
});
