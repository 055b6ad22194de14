// A member drive that stops answering (calls neither fail nor finish) is failed by the watchdog; the mirror goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMirror, NodeFs, assembleMirror, type EngineMemberSpec } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { WatchdogFs } from '../../core/fs/watchdog-fs.ts';
import type { MirrorImpl } from '../../core/engine/mirror.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { nextEvent, text, treeOf } from '../helpers/engine.ts';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';
import type { Mirror } from '../../core/index.ts';

/** Writes during/0..n-1 one after another; resolves with each acknowledgement's time in ms. */
async function timedWrites(m: Mirror, n: number): Promise<number[]> {
  const acks: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await m.writeFile(`during/${i}.txt`, `during ${i}`);
    acks.push(performance.now() - t0);
  }
  return acks;
}

/** The engine's watchdog over a member's drive: only it knows when the calls stuck in the drive have all come back. */
function watchdogOf(m: Mirror, memberId: string): WatchdogFs {
  const fs = (m as unknown as MirrorImpl).members.find((x) => x.id === memberId)?.fs;
  assert.ok(fs instanceof WatchdogFs, 'the member\'s drive is behind a watchdog');
  return fs;
}

/** An SSD folder and an exFAT image through exfat-fuse whose daemon can be stopped (the drive hangs) and resumed. */
async function fuseUsb(t: Parameters<typeof loopLab>[0]) {
  const lab = await loopLab(t);
  const usbDrive = await lab.mountExfatImage('Hung USB', { sizeMiB: 32 });
  const dir = await tempDir(t, 'nasm-', RAM_DIR); // the SSD: under a 1 s timeout, a shared disk's fsyncs must not count
  const daemon = await lab.fusePid(usbDrive);
  // Resumed whatever happens: by the test, by the after-hook, or by this outside timer if the test itself freezes.
  const rescue = spawn('sh', ['-c', `sleep 90; kill -CONT ${daemon}`], { stdio: 'ignore' });
  t.after(async () => { process.kill(daemon, 'SIGCONT'); rescue.kill(); });
  return { usbDrive, dir, hang: () => process.kill(daemon, 'SIGSTOP'), resume: () => process.kill(daemon, 'SIGCONT') };
}

test('a write-mostly drive that hangs is failed after the timeout; writes go on, stop does not wait for it, re-add catches up', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR); // the watchdog is what is timed here, not a shared disk's fsyncs
  const usb = new FaultyFs(new NodeFs());
  const m = await createMirror({ memberTimeoutMs: 300, maxBehindWrites: 8, members: [
    { path: join(dir, 'SSD'), label: 'SSD' },
    { path: join(dir, 'USB'), label: 'USB', writeMostly: true, fs: usb } as EngineMemberSpec,
  ] });
  let stopped = false;
  t.after(async () => { usb.resume(); if (!stopped) await m.stop().catch(() => {}); });
  for (let i = 0; i < 5; i++) await m.writeFile(`before/${i}.txt`, `before ${i}`);
  await m.drain();

  usb.hang((p) => p.includes('during')); // the data: its superblock still answers, so re-add recognises it
  const faulty = nextEvent(m, 'member-state', (e) => e.state === 'faulty', 20_000);
  const acks = await timedWrites(m, 30);
  await faulty;
  const usbStatus = m.status().members[1]!;
  assert.equal(usbStatus.state, 'faulty');
  assert.match(usbStatus.error ?? '', /"USB" .* stopped answering/);
  t.diagnostic(`ack ms: max ${Math.max(...acks).toFixed(0)}, median ${acks.sort((a, b) => a - b)[15]!.toFixed(0)}`);
  assert.ok(Math.max(...acks) < 5_000, 'no write waited longer than the timeout (plus the fault record)');
  assert.ok(usb.stuck > 0, 'calls really are stuck inside the drive');
  for (let i = 0; i < 30; i++) assert.equal(text(await m.readFile(`during/${i}.txt`)), `during ${i}`);

  // Re-adding while calls are still stuck in it is refused: one of them could land an old version afterwards.
  const usbId = usbStatus.id;
  await assert.rejects(m.addMember({ path: join(dir, 'USB'), writeMostly: true, fs: usb } as EngineMemberSpec), { code: 'ETIMEDOUT' });
  const answering = watchdogOf(m, usbId).answering();
  usb.resume();
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync', 20_000);
  // The stuck calls come back on their own; then the drive can be re-added and catches up.
  await answering;
  await m.addMember({ path: join(dir, 'USB'), writeMostly: true, fs: usb } as EngineMemberSpec);
  await back;
  await m.drain();
  await m.stop();
  stopped = true;
  assert.deepEqual(await treeOf(join(dir, 'USB')), await treeOf(join(dir, 'SSD')));
});

test('stop() with a hung write-mostly drive and writes still behind finishes once the drive is failed', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR); // the watchdog is what is timed here, not a shared disk's fsyncs
  const usb = new FaultyFs(new NodeFs());
  const m = await createMirror({ memberTimeoutMs: 1_000, members: [
    { path: join(dir, 'SSD'), label: 'SSD' },
    { path: join(dir, 'USB'), label: 'USB', writeMostly: true, fs: usb } as EngineMemberSpec,
  ] });
  t.after(() => usb.resume());
  usb.hang((p) => /\/f\d/.test(p)); // the data; the journal record still lands, so the writes go behind
  for (let i = 0; i < 10; i++) await m.writeFile(`f${i}`, `v${i}`); // acknowledged: written behind
  // Normally all 10 are still behind here; on a starved machine the 1 s may already have run out (then it is faulty).
  const behind = m.status().members[1]!;
  assert.ok(behind.behindWrites > 0 || behind.state === 'faulty', `${behind.behindWrites} behind, ${behind.state}`);
  t.diagnostic(`${behind.behindWrites} writes behind on the hung drive when stop() was called`);
  const t0 = performance.now();
  await m.stop(); // without the watchdog this waits for the drive forever (quit would hang at "flushing…")
  t.diagnostic(`stop took ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(m.status().members[1]!.state, 'faulty');
  for (let i = 0; i < 10; i++) assert.equal(text(await new NodeFs().readFile(join(dir, 'SSD', `f${i}`))), `v${i}`);
});

test('a fast drive that hangs is failed; reads and writes continue on the other member', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t, 'nasm-', RAM_DIR); // the watchdog is what is timed here, not a shared disk's fsyncs
  const ssd = new FaultyFs(new NodeFs());
  const m = await createMirror({ memberTimeoutMs: 300, members: [
    { path: join(dir, 'SSD'), label: 'SSD', fs: ssd } as EngineMemberSpec,
    { path: join(dir, 'HDD'), label: 'HDD' },
  ] });
  t.after(async () => { ssd.resume(); await m.stop().catch(() => {}); });
  await m.writeFile('a.txt', 'A');
  ssd.hang();
  assert.equal(text(await m.readFile('a.txt')), 'A', 'a read that hung on the SSD is answered from the HDD');
  await m.writeFile('b.txt', 'B');
  assert.equal(text(await m.readFile('b.txt')), 'B');
  assert.equal(m.status().members[0]!.state, 'faulty');
  assert.equal(m.status().members[1]!.state, 'in_sync');
});

test('real drive: the exFAT USB member\'s FUSE daemon is stopped; the mirror fails it, keeps writing, stops, and re-adds it once it answers', { timeout: 120_000 }, async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const { usbDrive, dir, hang, resume } = await fuseUsb(t);
  const m = await createMirror({ memberTimeoutMs: 1_000, maxBehindWrites: 16, members: [
    { path: join(dir, 'SSD'), label: 'SSD' },
    { path: usbDrive.mountPoint, label: 'USB', writeMostly: true },
  ] });
  let stopped = false;
  t.after(async () => { if (!stopped) await m.stop().catch(() => {}); });
  for (let i = 0; i < 5; i++) await m.writeFile(`before/${i}.txt`, `before ${i}`);
  await m.drain();

  hang();
  const faulty = nextEvent(m, 'member-state', (e) => e.state === 'faulty', 30_000);
  const acks = await timedWrites(m, 40);
  await faulty;
  const usb = m.status().members[1]!;
  assert.equal(usb.state, 'faulty');
  assert.match(usb.error ?? '', /stopped answering/);
  t.diagnostic(`longest ack with the drive hung: ${Math.max(...acks).toFixed(0)} ms`);
  assert.ok(Math.max(...acks) < 10_000, 'no write waited much longer than the 1 s timeout');
  for (let i = 0; i < 40; i++) assert.equal(text(await m.readFile(`during/${i}.txt`)), `during ${i}`);
  await m.stop(); // would wait for the stopped drive forever without the watchdog
  stopped = true;

  // The drive answers again: open the mirror from both folders; the USB copy comes back and catches up.
  resume();
  const again = await assembleMirror({ members: [{ path: join(dir, 'SSD') }, { path: usbDrive.mountPoint }] });
  try {
    const usbId = again.status().members.find((x) => x.label === 'USB')!.id;
    if (again.status().members.find((x) => x.id === usbId)!.state !== 'in_sync') {
      const back = nextEvent(again, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync', 30_000);
      if (again.status().members.find((x) => x.id === usbId)!.state === 'faulty') await again.addMember({ path: usbDrive.mountPoint, writeMostly: true });
      await back;
    }
    await again.drain();
  } finally {
    await again.stop();
  }
  assert.deepEqual(await treeOf(usbDrive.mountPoint), await treeOf(join(dir, 'SSD')));
});

test('real drive: opening a mirror whose USB drive does not answer opens it from the SSD, then takes the USB back', { timeout: 120_000 }, async (t) => {
  const why = await loopUnsupported({ exfat: true });
  if (why) return t.skip(why);
  const { usbDrive, dir, hang, resume } = await fuseUsb(t);
  const first = await createMirror({ members: [{ path: join(dir, 'SSD'), label: 'SSD' }, { path: usbDrive.mountPoint, label: 'USB', writeMostly: true }] });
  await first.writeFile('photo.jpg', 'taken before');
  await first.stop();
  hang();

  const t0 = performance.now();
  const m = await assembleMirror({ memberTimeoutMs: 1_000, members: [{ path: join(dir, 'SSD') }, { path: usbDrive.mountPoint }] });
  let stopped = false;
  t.after(async () => { if (!stopped) await m.stop().catch(() => {}); });
  t.diagnostic(`opened in ${(performance.now() - t0).toFixed(0)} ms with the USB drive not answering`);
  const usb = m.status().members.find((x) => x.label === 'USB')!;
  assert.notEqual(usb.state, 'in_sync');
  assert.match(usb.error ?? '', /not answering/);
  assert.equal(text(await m.readFile('photo.jpg')), 'taken before');
  await m.writeFile('photo2.jpg', 'taken while the USB drive hung');

  resume();
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usb.id && e.state === 'in_sync', 30_000);
  await m.addMember({ path: usbDrive.mountPoint, writeMostly: true });
  await back;
  await m.drain();
  await m.stop(); // before the lab's teardown unmounts the drive
  stopped = true;
  assert.deepEqual(await treeOf(usbDrive.mountPoint), await treeOf(join(dir, 'SSD')));
});
