// The write rate the flush ETA is measured from: windowed, overlap counted once, unknown until there is enough to say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createMirror } from '../index.ts';
import type { MirrorEvent } from '../contract/types.ts';
import { flushEtaMs } from '../contract/flush-eta.ts';
import { tempDir } from '../../test/helpers/tmp.ts';
import { WriteRate } from './write-rate.ts';

const MB = 1_000_000;

test('unknown (0) until a few writes took measurable time; then bytes over time busy', () => {
  const r = new WriteRate();
  r.record(MB, 100, 1000);
  r.record(MB, 100, 1100);
  assert.equal(r.bytesPerSecond, 0, 'two writes are too few to say');
  r.record(MB, 100, 1200);
  assert.equal(r.bytesPerSecond, 10 * MB);
  assert.equal(flushEtaMs(5 * MB, r.bytesPerSecond), 500);
  assert.equal(flushEtaMs(5 * MB, new WriteRate().bytesPerSecond), null, 'no rate: the UI says "estimating…"');
});

test('a tiny write slowed by its fsync and a big one into the cache do not swing it: they are summed', () => {
  const r = new WriteRate();
  r.record(4_000, 40, 1000); // 100 KB/s alone
  r.record(40 * MB, 40, 1040); // 1 GB/s alone
  r.record(4_000, 40, 1080);
  r.record(6 * MB, 80, 1160);
  const rate = r.bytesPerSecond;
  assert.ok(Math.abs(rate - 46_008_000 / 0.2) < 1, `${rate}`);
});

test('overlapping writes count their time once; idle time between bursts does not dilute it', () => {
  const r = new WriteRate();
  // four writes of 1 MB in flight together for the same 200 ms: 4 MB in 200 ms
  for (let i = 0; i < 4; i++) r.record(MB, 200, 5000);
  assert.equal(r.bytesPerSecond, 20 * MB);
  // a pause of 5 s, then the same again: still 20 MB/s, not diluted by the pause
  for (let i = 0; i < 4; i++) r.record(MB, 200, 10_000);
  assert.equal(r.bytesPerSecond, 20 * MB);
});

test('the window follows the drive: after it slowed down, the old speed is forgotten', () => {
  const r = new WriteRate(10_000);
  for (let t = 0; t < 5; t++) r.record(10 * MB, 100, 1000 + t * 100); // 100 MB/s
  for (let t = 0; t < 5; t++) r.record(MB, 1000, 20_000 + t * 1000); // 1 MB/s, 19 s later
  assert.equal(r.bytesPerSecond, MB);
});

test('each behind event carries the paths still behind, so a landed file leaves the list with its count', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [
    { path: join(dir, 'ssd'), label: 'SSD' },
    { path: join(dir, 'usb'), label: 'USB', writeMostly: true, throttle: { latencyMs: 20 } },
  ] });
  t.after(() => m.stop().catch(() => {}));
  const usbId = m.status().members[1]!.id;
  const events: Extract<MirrorEvent, { type: 'behind' }>[] = [];
  m.onEvent((e) => { if (e.type === 'behind' && e.memberId === usbId) events.push(e); });
  for (const name of ['a.txt', 'b.txt', 'c.txt']) await m.writeFile(name, name);
  await m.drain();
  assert.ok(events.some((e) => e.behindWrites > 0), 'the writes went behind');
  for (const e of events) {
    assert.equal(e.behindPaths?.length, e.behindWrites, `paths ${e.behindPaths} for ${e.behindWrites} writes`);
  }
  assert.deepEqual(events.at(-1)!.behindPaths, []);
  assert.equal(typeof events.at(-1)!.writeBytesPerSecond, 'number');
});
