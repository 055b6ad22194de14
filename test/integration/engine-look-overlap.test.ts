// The look for outside changes overlapped by the app's own operations, over many random schedules. The look walks each
// drive without holding the paths' lines, ticking off the recorded paths it meets (compact-store.ts marks); the app
// writes, renames and removes meanwhile. Whatever the order, a file deleted outside is found and taken, and nothing the
// app did is taken for an outside change. Each schedule holds the walk at a random folder while the app works, with
// jitter on the drive so the rest of the walk interleaves differently each time.
//   NAS_LOOK_RUNS=2000 NAS_LOOK_SEED=N node --import tsx --test test/integration/engine-look-overlap.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs } from '../../core/index.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { recordEvents, text } from '../helpers/engine.ts';

const RUNS = Number(process.env.NAS_LOOK_RUNS ?? 30);
const SEED = process.env.NAS_LOOK_SEED ? Number(process.env.NAS_LOOK_SEED) : Math.floor(Math.random() * 2 ** 31);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t ^= t + Math.imul(t ^ (t >>> 7), 61 | t); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; };
}

test(`a look overlapped by the app's own operations finds exactly the outside deletes (${RUNS} schedules, seed ${SEED})`, { timeout: Infinity }, async (t) => {
  for (let run = 0; run < RUNS; run++) {
    const rnd = prng(SEED + run);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const dir = await tempDir(t, 'nasm-look-', RAM_DIR);
    const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
    const ssd = new FaultyFs(new NodeFs(), { jitterMs: rnd() < 0.5 ? 2 : 0 });
    const members = [{ path: SSD, label: 'SSD', fs: ssd }, { path: USB, label: 'USB', writeMostly: true }];
    const m = await createMirror({ members, outsideSettleMs: 50, intentClearMs: 20, memberTimeoutMs: 0, watchOutside: false });
    const where = `run ${run} (NAS_LOOK_SEED=${SEED + run} NAS_LOOK_RUNS=1)`;
    try {
      const folders = ['', 'a', 'b', 'a/deep', 'c'];
      const files: string[] = [];
      for (let i = 0; i < 4 + Math.floor(rnd() * 20); i++) {
        const f = pick(folders);
        const p = `${f ? `${f}/` : ''}f${i}.txt`;
        await m.writeFile(p, `v${i}`);
        files.push(p);
      }
      await m.drain();
      // Deleted outside on the SSD: some files (never a whole folder: a folder gone is one change, told apart elsewhere).
      const gone = new Set(files.filter(() => rnd() < 0.25));
      for (const p of gone) await unlink(join(SSD, p));
      const kept = files.filter((p) => !gone.has(p));
      const events = recordEvents(m);
      const holdAt = pick(['a', 'b', 'a/deep', 'c']);
      let holding = false;
      const held = ssd.hang((p, op) => op === 'readdir' && p === join(SSD, holdAt));
      void held.then(() => { holding = true; });
      const look = m.reconcile();
      // The app's own operations on what was not deleted outside, while the walk is held (or, where the held folder
      // holds nothing, while the walk runs on).
      const live = new Map(kept.map((p) => [p, `v${files.indexOf(p)}`]));
      const ops = 2 + Math.floor(rnd() * 6);
      for (let k = 0; k < ops && live.size > 0; k++) {
        const p = pick([...live.keys()]), r = rnd();
        if (r < 0.35) {
          const v = `rewritten ${k} ${'x'.repeat(Math.floor(rnd() * 60))}`;
          await m.writeFile(p, v);
          live.set(p, v);
        } else if (r < 0.6) {
          const to = `${pick(folders.filter((f) => f !== ''))}/moved${run}-${k}.txt`;
          await m.rename(p, to);
          live.set(to, live.get(p)!);
          live.delete(p);
        } else if (r < 0.8) {
          await m.remove(p);
          live.delete(p);
        } else {
          const q = `${pick(folders.filter((f) => f !== ''))}/new${k}.txt`;
          if (!live.has(q) && !gone.has(q)) { await m.writeFile(q, `new ${k}`); live.set(q, `new ${k}`); }
        }
      }
      ssd.resume();
      await look;
      await m.drain();
      const outside = events.filter((e) => e.type === 'outside-change').map((e) => e.type === 'outside-change' ? `${e.path} ${e.change} ${e.outcome}` : '').sort();
      assert.deepEqual(outside, [...gone].map((p) => `${p} deleted taken`).sort(), `${where}: held at ${holdAt} (${holding ? 'held' : 'never reached'}): the outside deletes, and only they`);
      for (const p of gone) await assert.rejects(stat(join(USB, p)), { code: 'ENOENT' }, `${where}: ${p} deleted on the backup drive too`);
      for (const [p, v] of live) assert.equal(text(await m.readFile(p)), v, `${where}: ${p}`);
      assert.equal(m.status().conflicts, 0, where);
    } finally {
      ssd.resume();
      await m.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true }); // thousands of schedules: not kept until the test ends
    }
  }
});
