// Re-add against live writes (invariants 1, 10, 12, 25): the overlaps that broke the promise, forced — a leg the member
// left running when it failed, renames and removes during its catch-up, two members coming back one after the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { fastAndUsb } from '../helpers/faulty-pair.ts';
import { FoldingFs } from '../helpers/fs/folding-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { text, treeOf } from '../helpers/engine.ts';

const hangOnce = (fs: FaultyFs, match: (path: string, op: string) => boolean) => {
  let armed = true;
  fs.hang((p, op) => { if (armed && match(p, op)) { armed = false; return true; } return false; });
};
const ids = (m: Mirror) => m.status().members.map((x) => x.id);
const addBack = (m: Mirror, spec: EngineMemberSpec) => m.addMember(spec as never);

/**
 * Lets a held leg go once the member's catch-up has finished — the moment it would do the most harm (on an engine
 * that lets a member rejoin while its old legs run) — or after `ms` at the latest, since an engine that waits for
 * the old leg first never lets the member finish without it. Either way the result must be the same tree.
 */
function resumeWhenCaughtUp(m: Mirror, id: string, fs: FaultyFs, ms = 2000): void {
  const timer = setTimeout(go, ms);
  const off = m.onEvent((e) => { if (e.type === 'member-state' && e.memberId === id && e.state === 'in_sync') go(); });
  function go() { clearTimeout(timer); off(); fs.resume(); }
}

/** Fails by name instead of stalling the run when a drain never ends (a catch-up that cannot finish). */
async function drainWithin(m: Mirror, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`drain did not finish within ${ms} ms: ${m.status().members.map((x) => `${x.label} ${x.state}`).join(', ')}`)), ms);
  });
  try { await Promise.race([m.drain(), late]); } finally { clearTimeout(timer); }
}

test('a re-add waits for the legs its member left running: a file renamed away does not come back (issue 10 case 1)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' }, { path: join(dir, 'm1'), label: 'm1' },
    { path: join(dir, 'm2'), label: 'm2', writeMostly: true, fs: usb },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 256, memberTimeoutMs: 0 });
  t.after(() => m.stop().catch(() => {}));
  const [id0, id1, id2] = ids(m);
  hangOnce(usb, (p, op) => op === 'open' && p.endsWith('/d1/c')); // its behind write of d1/c stays in flight
  await m.writeFile('d1/c', 'c'); // acknowledged by the fast members
  await m.failMember(id2!);
  const adding = addBack(m, specs[2]!); // while that leg still runs
  await m.writeFile('d0/b', 'b');
  await m.rename('d1/c', 'd0/a');
  await m.writeFile('d1/a', 'a');
  await m.remove('d0/a');
  await m.writeFile('d0/a', 'a2');
  usb.resume(); // the old leg lands only now, after all of that
  assert.equal(await adding, id2);
  await m.drain();
  await usb.idle();
  assert.equal(m.status().members[2]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[2]!.path), await treeOf(specs[0]!.path), 'the re-added member equals a fast one');
  await m.failMember(id0!);
  await m.failMember(id1!);
  await assert.rejects(m.readFile('d1/c'), { code: 'ENOTFOUND' }, 'the renamed-away file is not served');
  assert.deepEqual((await m.readdir('d1')).map((e) => e.name), ['a']);
  assert.equal(text(await m.readFile('d0/a')), 'a2');
});

test('a file deleted while its member was away does not come back when it is re-added (issue 10 case 2)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', writeMostly: true, fs: usb, throttle: { latencyMs: 5 } },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 4, memberTimeoutMs: 0 });
  t.after(() => m.stop().catch(() => {}));
  const [id0, id1] = ids(m);
  hangOnce(usb, (p, op) => op === 'open' && p.endsWith('/d0/a'));
  await m.writeFile('d0/a', 'before the failure');
  await m.failMember(id1!);
  await m.writeFile('d0/a', 'v2');
  await m.writeFile('d0/a', 'v3');
  await m.remove('d0/a');
  resumeWhenCaughtUp(m, id1!, usb);
  const adding = addBack(m, specs[1]!);
  await assert.rejects(m.remove('d0/a'), { code: 'ENOTFOUND' });
  await adding;
  await m.drain();
  await usb.idle();
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
  await m.failMember(id0!);
  await assert.rejects(m.readFile('d0/a'), { code: 'ENOTFOUND' }, 'the deleted file stays deleted');
});

test('a stale version does not survive under the right name: a rename chain while the old write lands (issue 10 case 6)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', writeMostly: true, fs: usb },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 256, memberTimeoutMs: 0 });
  t.after(() => m.stop().catch(() => {}));
  const [id0, id1] = ids(m);
  await m.writeFile('a', 'A1');
  await m.writeFile('c', 'C1');
  hangOnce(usb, (p, op) => op === 'open' && p.endsWith('/b'));
  await m.writeFile('b', 'B1 (old)');
  await m.failMember(id1!);
  await m.writeFile('b', 'B2');
  await m.remove('c'); // a name removed while the member was away …
  resumeWhenCaughtUp(m, id1!, usb);
  const adding = addBack(m, specs[1]!);
  await m.rename('b', 'c'); // … that a rename takes again, during the catch-up
  await m.rename('a', 'b'); // and a chain: a → b → …
  await m.rename('b', 'd');
  await adding;
  await m.drain();
  await usb.idle();
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
  await m.failMember(id0!);
  assert.equal(text(await m.readFile('c')), 'B2');
  assert.equal(text(await m.readFile('d')), 'A1');
  await assert.rejects(m.readFile('b'), { code: 'ENOTFOUND' });
  await assert.rejects(m.readFile('a'), { code: 'ENOTFOUND' });
});

test('renames and removes during a catch-up that is held up commute with it (invariant 25)', async (t) => {
  const { usb, specs, m, usbId: id1 } = await fastAndUsb(t);
  for (const p of ['x/1', 'x/2', 'y/1', 'z']) await m.writeFile(p, `old ${p}`);
  await m.drain();
  await m.failMember(id1!);
  await m.writeFile('x/1', 'new x/1');
  await m.rename('y', 'w'); // a folder renamed while away
  await m.remove('z');
  // Its copies are held up: every file it would create waits until resumed (renames and removes do not).
  usb.hang((p, op) => op === 'open' && p.startsWith(specs[1]!.path + '/') && !p.includes('/.nas-mirror/'));
  await addBack(m, specs[1]!);
  assert.equal(m.status().members[1]!.state, 'resyncing');
  await m.rename('x', 'v'); // the folder holding a pending path
  await m.rename('w', 'z'); // onto a name removed while it was away
  await m.remove('v/2');
  usb.resume();
  await drainWithin(m, 30_000);
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
});

test('two members away, re-added one after the other, both reach in_sync (issue 10 case 6)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', writeMostly: true, fs: new FaultyFs(new NodeFs(), { jitterMs: 2 }) },
    { path: join(dir, 'm2'), label: 'm2', writeMostly: true, fs: new FaultyFs(new NodeFs(), { jitterMs: 2 }), throttle: { latencyMs: 2 } },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 4, intentClearMs: 5 });
  t.after(() => m.stop().catch(() => {}));
  const [, id1, id2] = ids(m);
  for (let i = 0; i < 20; i++) await m.writeFile(`f/${i % 7}/${i}`, `v1 ${i}`);
  await m.failMember(id1!);
  for (let i = 0; i < 10; i++) await m.writeFile(`f/${i % 7}/${i}`, `v2 ${i}`);
  await m.failMember(id2!);
  await m.rename('f/3', 'g/3');
  await m.remove('f/4');
  await Promise.all([m.writeFile('f/0/0', 'v3'), m.rename('f/1', 'f/9'), m.writeFile('f/5/new', 'n')]);
  const first = addBack(m, specs[1]!);
  const writes = Promise.all([m.writeFile('f/0/0', 'v4'), m.rename('g/3', 'f/3'), m.remove('f/2')]);
  await first;
  const second = addBack(m, specs[2]!);
  await Promise.all([writes, second, m.writeFile('f/9/7', 'v5'), m.remove('f/6')]);
  await drainWithin(m, 60_000);
  for (const st of m.status().members) assert.equal(st.state, 'in_sync', `${st.label} caught up`);
  const truth = await treeOf(specs[0]!.path);
  for (const s of specs.slice(1)) assert.deepEqual(await treeOf(s.path), truth, `${s.label} equals m0`);
});

/** m0 plain, m1 case-insensitive (FoldingFs); "D/a" written on both, then m1 failed: ready to be added back. */
async function foldingPairAway(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const path1 = join(dir, 'm1');
  const specs: EngineMemberSpec[] = [{ path: join(dir, 'm0'), label: 'm0' }, { path: path1, label: 'm1', fs: new FoldingFs(new NodeFs(), path1) }];
  const m = await createMirror({ members: specs });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('D/a', 'old');
  await m.failMember(ids(m)[1]!);
  return { m, specs, path1 };
}

test('a case-insensitive member caught up never loses a folder the source holds under another case (commute test)', async (t) => {
  // Found by the commute property below: "D/a" on both; the case-insensitive member away (a write of the twin "d/a" is
  // refused meanwhile); "D" removed and "d/a" written while it is re-added. The catch-up copied "d/a" (landing in the member's "D"), then saw "D" absent on the source
  // and removed it — "d" and everything in it with it — and called the member in sync.
  const { m, specs, path1 } = await foldingPairAway(t);
  await assert.rejects(m.writeFile('d/a', 'twin'), /"d\/a"|D/, 'a case twin, refused for the absent member: it still marks the path');
  await Promise.all([addBack(m, specs[1]!), m.remove('D'), m.writeFile('d/a', 'new')]);
  await m.drain();
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual(await treeOf(path1), await treeOf(specs[0]!.path));
  assert.deepEqual([...(await treeOf(path1)).keys()], ['d/', 'd/a'], 'the source\'s spelling, and its file');
});

test('a case-insensitive member caught up keeps nothing a folder respelled on the way still held (commute test)', async (t) => {
  // Found by the commute property (seed 2105451581): "D/a" on both; while the case-insensitive member is re-added, a
  // refused rename of "d/a" (it marks "d/a" to catch up), "D" removed and "d/b" written. Catching up "d/a" made its
  // folder "d" by respelling the member's stale "D" — with "a" still in it — so "D" and "D/a" were found nowhere under
  // those spellings and the stale file stayed on a member called in sync. A path stands for every spelling of it.
  const { m, specs, path1 } = await foldingPairAway(t);
  const renamed = m.rename('d/a', 'a', { replace: true });
  await Promise.all([addBack(m, specs[1]!), assert.rejects(renamed, /does not exist/), m.remove('D'), m.writeFile('d/b', 'new')]);
  await m.drain();
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual([...(await treeOf(path1)).keys()], ['d/', 'd/b'], 'the old "D/a" is gone under any spelling');
  assert.deepEqual(await treeOf(path1), await treeOf(specs[0]!.path));
});

test('two catch-up copies that need the same folder clear a stale spelling of it once (commute test)', async (t) => {
  // Found by the commute property (seed 501800277): a file "D" on both; while the case-insensitive member is away,
  // refused operations on "d/a" and "d/b" mark both to catch up; during the re-add "D" goes away as "d/a". The copies
  // of "d/a" and "d/b" ran at once, each making folder "d" by moving the stale file "D" aside: the second found it
  // gone (ENOENT) and the member was failed. Folders above a copied path are made one at a time per member.
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const path1 = join(dir, 'm1');
  const specs: EngineMemberSpec[] = [{ path: join(dir, 'm0'), label: 'm0' }, { path: path1, label: 'm1', fs: new FoldingFs(new FaultyFs(new NodeFs()), path1) }];
  const m = await createMirror({ members: specs, maxBehindWrites: 8 });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('D', '0');
  await m.failMember(ids(m)[1]!);
  await assert.rejects(m.remove('d/a'), { code: 'ENOTFOUND' });
  await assert.rejects(m.writeFile('d/b', '0'), { code: 'EINVALIDPATH' });
  await Promise.all([addBack(m, specs[1]!), m.rename('D', 'a', { replace: true }), m.rename('a', 'd/a', { replace: true })]);
  await drainWithin(m, 30_000);
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual([...(await treeOf(path1)).keys()], ['d/', 'd/a']);
  assert.deepEqual(await treeOf(path1), await treeOf(specs[0]!.path));
});

test('a catch-up never copies from a member being ejected (model test, seed 424242)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const specs: EngineMemberSpec[] = [0, 1, 2].map((i) => ({ path: join(dir, `m${i}`), label: `m${i}` }));
  const m = await createMirror({ members: specs, maxBehindWrites: 0 });
  t.after(() => m.stop().catch(() => {}));
  const [id0, id1] = ids(m);
  await m.failMember(id0!);
  await m.writeFile('d0/a', 'v1');
  await Promise.all([addBack(m, specs[0]!), m.writeFile('d1/b', 'b')]);
  await m.writeFile('d0/a', 'v2');
  // m1 stops receiving writes the moment its eject begins: a copy from it would carry v2 past v3 and v4.
  await Promise.all([m.eject(id1!), m.writeFile('d0/a', 'v3'), m.writeFile('d0/a', 'v4')]);
  await drainWithin(m, 30_000);
  assert.equal(m.status().members[0]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[0]!.path), await treeOf(specs[2]!.path));
  assert.equal(text(await m.readFile('d0/a')), 'v4');
});

test('every error that leaves addMember is a MirrorError naming the drive and saying what to do', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [{ path: join(dir, 'm0'), label: 'm0' }, { path: join(dir, 'm1'), label: 'USB', writeMostly: true, fs: usb }];
  const m = await createMirror({ members: specs });
  t.after(() => m.stop().catch(() => {}));
  const [, id1] = ids(m);
  await m.writeFile('a', 'a');
  await m.failMember(id1!);
  usb.options.failPath = (p, op) => op === 'remove' && p.endsWith('/.nas-mirror/tmp'); // its temp folder cannot be cleared
  await assert.rejects(addBack(m, specs[1]!), (e: Error & { code?: string }) => {
    assert.equal(e.name, 'MirrorError');
    assert.equal(e.code, 'EIO');
    assert.match(e.message, /"USB"/);
    assert.match(e.message, /Check the drive/);
    return true;
  });
  assert.equal(m.status().members[1]!.state, 'faulty', 'nothing changed');
  usb.options.failPath = undefined;
  await addBack(m, specs[1]!);
  await m.drain();
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
});

// NAS_COMMUTE_RUNS=N and NAS_COMMUTE_SEED=N set the count and replay a seed (npm run test:long runs 5,000).
const COMMUTE_RUNS = Number(process.env.NAS_COMMUTE_RUNS ?? 200);
const COMMUTE_SEED = process.env.NAS_COMMUTE_SEED ? Number(process.env.NAS_COMMUTE_SEED) : Math.floor(Math.random() * 2 ** 31);

test(`a catch-up and live operations on the same paths commute, whatever the interleaving (invariant 25, ${COMMUTE_RUNS} schedules, seed ${COMMUTE_SEED})`, async (t) => {
  const base = await tempDir(t, 'nasm-', RAM_DIR);
  const names = ['a', 'b', 'A', 'd/a', 'd/b', 'D/a', 'e'];
  const opArb = fc.oneof(
    fc.record({ k: fc.constant('write' as const), p: fc.constantFrom(...names), v: fc.nat(99) }),
    fc.record({ k: fc.constant('rename' as const), p: fc.constantFrom(...names, 'd', 'D'), to: fc.constantFrom(...names, 'd', 'D') }),
    fc.record({ k: fc.constant('remove' as const), p: fc.constantFrom(...names, 'd', 'D') }),
  );
  type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;
  let run = 0;
  await fc.assert(fc.asyncProperty(
    fc.record({ folding: fc.boolean(), writeMostly: fc.boolean(), jitter: fc.integer({ min: 0, max: 3 }) }),
    fc.array(opArb, { maxLength: 6 }), fc.array(opArb, { maxLength: 6 }), fc.array(opArb, { minLength: 1, maxLength: 8 }),
    async (setup, before, away, during) => {
      const dir = join(base, `r${run++}`);
      await mkdir(dir);
      const path1 = join(dir, 'm1');
      // An even jitter also copies small files in bulk (batches of siblings), as on a real drive.
      const faulty = new FaultyFs(new NodeFs(), { jitterMs: setup.jitter, bulk: setup.jitter % 2 === 0 });
      const specs: EngineMemberSpec[] = [
        { path: join(dir, 'm0'), label: 'm0' },
        { path: path1, label: 'm1', writeMostly: setup.writeMostly, fs: setup.folding ? new FoldingFs(faulty, path1) : faulty },
      ];
      const m = await createMirror({ members: specs, maxBehindWrites: 8 });
      try {
        const apply = (o: Op) => (o.k === 'write' ? m.writeFile(o.p, `${o.v}`) : o.k === 'rename' ? m.rename(o.p, o.to, { replace: true }) : m.remove(o.p)).catch(() => {});
        for (const o of before) await apply(o);
        await m.failMember(ids(m)[1]!);
        for (const o of away) await apply(o);
        // The re-add and the live operations are submitted together: every interleaving of copies and legs is possible.
        await Promise.all([addBack(m, specs[1]!), ...during.map(apply)]);
        await drainWithin(m, 30_000);
        assert.equal(m.status().members[1]!.state, 'in_sync');
        assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
      } finally {
        await m.stop().catch(() => {});
      }
    }), { numRuns: COMMUTE_RUNS, seed: COMMUTE_SEED, includeErrorInReport: true });
});

test('a catch-up from the write-mostly drive waits for what it owes there: no stale or missing copy (seed rule)', async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const usb = new FaultyFs(new NodeFs());
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', writeMostly: true, fs: usb },
    { path: join(dir, 'm2'), label: 'm2' },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 16, memberTimeoutMs: 0 });
  t.after(() => { usb.resume(); return m.stop().catch(() => {}); });
  const [id0, , id2] = ids(m);
  await m.writeFile('d/x', 'old');
  await m.drain();
  await m.failMember(id2!);
  // The USB drive's copies of these two writes stay in flight: it owes them while the catch-up reads from it.
  usb.hang((p, op) => op === 'open' && (p.endsWith('/d/x') || p.endsWith('/d/y')));
  await m.writeFile('d/x', 'new');
  await m.writeFile('d/y', 'just written');
  await m.failMember(id0!); // only the USB drive is left to copy from
  resumeWhenCaughtUp(m, id2!, usb);
  await addBack(m, specs[2]!);
  await drainWithin(m, 30_000);
  await usb.idle();
  assert.equal(m.status().members[2]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[2]!.path), await treeOf(specs[1]!.path), 'the re-added member equals the drive it copied from');
  assert.equal(text(await m.readFile('d/x')), 'new', 'not the version the USB drive held before its write landed');
  assert.equal(text(await m.readFile('d/y')), 'just written', 'not removed because the USB drive did not hold it yet');
});
