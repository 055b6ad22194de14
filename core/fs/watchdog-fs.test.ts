// WatchdogFs over a real folder: a drive that stops answering becomes ETIMEDOUT; a slow one that works does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RAM_DIR } from '../../test/helpers/tmp.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import { NodeFs } from './node-fs.ts';
import { SlowFs } from './slow-fs.ts';
import { WatchdogFs } from './watchdog-fs.ts';
import type { FsStat } from './filesystem.ts';

async function folder(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  // tmpfs: these tests time the watchdog, which a shared disk's fsyncs under load would only blur.
  const dir = await mkdtemp(join(RAM_DIR, 'nasm-watchdog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('calls on a drive that stops answering fail with ETIMEDOUT after the stall time; it answers again once resumed', { timeout: 10_000 }, async (t) => {
  const dir = await folder(t);
  const drive = new FaultyFs(new NodeFs());
  const fs = new WatchdogFs(drive, { stallMs: 200, maxConcurrent: 2 });
  assert.equal((await fs.stat(dir)).type, 'dir');
  drive.hang();
  const t0 = performance.now();
  const calls = [fs.stat(dir), fs.readdir(dir), fs.stat(join(dir, 'x')), fs.mkdir(join(dir, 'new'))];
  const results = await Promise.allSettled(calls);
  const took = performance.now() - t0;
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.code, 'ETIMEDOUT');
    assert.match((r as PromiseRejectedResult).reason.message, /stopped answering: nothing sent to it finished for 0.2 s/);
  }
  assert.ok(took >= 195 && took < 2000, `declared after the stall time (${took.toFixed(0)} ms)`);
  assert.equal(drive.stuck, 2, 'only maxConcurrent calls reached the drive; the waiting ones were failed without it');
  assert.equal(fs.notResponding, true);
  await assert.rejects(fs.stat(dir), { code: 'ETIMEDOUT' }, 'a new call fails at once');
  const answering = fs.answering();
  drive.resume();
  // The stuck calls finish inside the drive; then it is healthy again.
  await answering;
  assert.equal(fs.notResponding, false);
  assert.equal(drive.stuck, 0);
  const s: FsStat = await fs.stat(dir);
  assert.equal(s.type, 'dir');
});

test('a slow drive that keeps working is not declared hung: bytes in flight extend the allowance', async (t) => {
  const dir = await folder(t);
  // 8 MiB/s: a 4 MiB write takes ~500 ms, far over the 150 ms stall time, but within 150 ms + 4 MiB at 1 MiB/s.
  const fs = new WatchdogFs(new SlowFs(new NodeFs(), { bytesPerSecond: 8 << 20 }), { stallMs: 150, floorBytesPerSecond: 1 << 20 });
  const w = await fs.createAtomic(join(dir, 'big.bin'), dir);
  const t0 = performance.now();
  await w.write(new Uint8Array(4 << 20).fill(7));
  await w.commit();
  assert.ok(performance.now() - t0 > 300, 'the write really was slower than the stall time');
  assert.equal((await readFile(join(dir, 'big.bin')))[12345], 7);
  assert.equal(fs.notResponding, false);
});

test('many calls at once reach the drive at most maxConcurrent at a time, and all complete', async (t) => {
  const dir = await folder(t);
  let now = 0, most = 0;
  class Counting extends NodeFs {
    override async stat(path: string): Promise<FsStat> {
      most = Math.max(most, ++now);
      try { await new Promise((r) => setTimeout(r, 2)); return await super.stat(path); } finally { now--; }
    }
  }
  const fs = new WatchdogFs(new Counting(), { stallMs: 5_000, maxConcurrent: 3 });
  const all = await Promise.all(Array.from({ length: 40 }, () => fs.stat(dir)));
  assert.equal(all.length, 40);
  assert.equal(most, 3);
});

test('stallMs 0 turns the watchdog off: calls pass straight through, with no limit and no timeout', { timeout: 10_000 }, async (t) => {
  const dir = await folder(t);
  const drive = new FaultyFs(new NodeFs());
  const fs = new WatchdogFs(drive, { stallMs: 0, maxConcurrent: 2 });
  drive.hang();
  let settled = 0;
  const calls = Array.from({ length: 5 }, () => fs.stat(dir).finally(() => { settled++; }));
  assert.equal(drive.stuck, 5, 'every call reached the drive at once: maxConcurrent does not apply');
  // The same hung drive behind a watchdog that is on: once it declares the drive hung, the stall time has passed,
  // and the calls with the watchdog off must still be waiting.
  const watched = new WatchdogFs(drive, { stallMs: 20 });
  await assert.rejects(watched.stat(dir), { code: 'ETIMEDOUT' });
  assert.equal(settled, 0);
  const answering = watched.answering();
  drive.resume();
  for (const s of await Promise.all(calls)) assert.equal(s.type, 'dir');
  await answering;
});
