// A scrub reads each drive in that drive's own line (scrub.ts scrubBatch): a backup drive that stops answering in the
// middle of a scrub never holds up writes on the fast drive, and what scrub finds and heals is unchanged by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMirror, NodeFs } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { rot } from '../helpers/engine.ts';

async function ssdAndUsb(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const SSD = join(dir, 'ssd'), USB = join(dir, 'usb');
  const usb = new FaultyFs(new NodeFs());
  const members = [{ path: SSD, label: 'SSD' }, { path: USB, label: 'USB', writeMostly: true, fs: usb }];
  const m = await createMirror({ members, watchOutside: false, memberTimeoutMs: 0 });
  t.after(async () => { usb.resume(); await m.stop().catch(() => {}); });
  return { SSD, USB, usb, m };
}

test('a scrub held up on the write-mostly drive never holds up a write on the fast drive', { timeout: 90_000 }, async (t) => {
  const { SSD, USB, usb, m } = await ssdAndUsb(t);
  await m.writeFile('a.txt', 'v1');
  await m.writeFile('b.txt', 'b');
  await m.drain();
  const held = usb.hang((p, op) => op === 'read' && p === join(USB, 'a.txt'));
  const scrub = m.scrub({ repair: true });
  await held;
  // The bound only ends a failing run: the write waited for the hung drive (before the rule, until it was resumed).
  const acked = await Promise.race([m.writeFile('a.txt', 'v2').then(() => 'acknowledged'), sleep(20_000, 'still waiting', { ref: false })]);
  assert.equal(acked, 'acknowledged', 'the write waited for the hung USB drive');
  assert.equal(usb.stuck > 0, true, 'the scrub is still held up on the USB drive');
  usb.resume();
  const r = await scrub;
  assert.deepEqual(r.findings, [], 'healthy copies: nothing found, whatever the write did meanwhile');
  await m.drain();
  assert.equal(await readFile(join(USB, 'a.txt'), 'utf8'), 'v2');
  assert.equal(await readFile(join(SSD, 'a.txt'), 'utf8'), 'v2');
});

test('a damaged copy found in a drive\'s own line is judged again with both lines held and healed', async (t) => {
  const { USB, m } = await ssdAndUsb(t);
  await m.writeFile('a.txt', 'the photo');
  await m.writeFile('b.txt', 'untouched');
  await m.drain();
  await rot(join(USB, 'a.txt'));
  const r = await m.scrub({ repair: true });
  assert.deepEqual((r.findings ?? []).map((f) => [f.path, f.drive, f.kind, f.action, f.done]), [['a.txt', 'USB', 'damaged', 'heal', true]]);
  assert.equal(await readFile(join(USB, 'a.txt'), 'utf8'), 'the photo');
  assert.deepEqual((await m.scrub()).findings, []);
});
