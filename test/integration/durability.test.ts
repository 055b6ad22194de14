// Bit rot, scrub, stale members and re-add of a 20,000-file tree (invariants 10, 16, 17, 21).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror, assembleMirror, type MirrorEvent } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { journalRecords, nextEvent, recordEvents, rot, text, treeOf } from '../helpers/engine.ts';

test('bit rot: a flipped byte is caught on read, the right data returned, the copy healed and counted', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  const m = await createMirror({ members: [{ path: A }, { path: B }] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('photos/cat.jpg', 'the original cat picture');
  const onA = join(A, 'photos', 'cat.jpg');
  const bytes = await readFile(onA);
  bytes[4] ^= 0x20; // one flipped bit, as a failing sector would: size and modification time stay as they were
  await rot(onA, bytes);
  const healed = nextEvent(m, 'read-healed');
  assert.equal(text(await m.readFile('photos/cat.jpg')), 'the original cat picture');
  const e = await healed;
  assert.equal(e.reason, 'checksum');
  assert.equal(e.memberId, m.status().members[0]!.id);
  assert.equal(m.status().readErrorsCorrected, 1);
  assert.equal(await readFile(onA, 'utf8'), 'the original cat picture', 'the rotten copy was rewritten');
});

test('scrub: check counts injected rot without writing; repair heals it; a second check finds 0', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  // Edits made on the drives are outside changes, not rot: engine-outside.test.ts has them; here only rot.
  const m = await createMirror({ members: [{ path: A }, { path: B, writeMostly: true }], watchOutside: false });
  t.after(() => m.stop().catch(() => {}));
  for (let i = 0; i < 30; i++) await m.writeFile(`docs/${i}.txt`, `document ${i}`);
  await m.drain();
  await rot(join(B, 'docs', '3.txt'), 'rottenXXXX');  // rotten on the slow member, size and time as written
  await rot(join(B, 'docs', '4.txt'), 'rottenYYYY');
  await rot(join(A, 'docs', '5.txt'), 'rottenZZZZ');  // and one on the fast member
  const before = await treeOf(B);
  const progress: MirrorEvent[] = [];
  m.onEvent((e) => { if (e.type === 'scrub-progress') progress.push(e); });
  const check = await m.scrub();
  assert.equal(check.checkedPaths, 30);
  assert.equal(check.mismatches, 3);
  assert.equal(check.repaired, 0);
  assert.deepEqual(check.findings!.map((f) => `${f.path} ${f.kind} ${f.action}`), ['docs/3.txt damaged heal', 'docs/4.txt damaged heal', 'docs/5.txt damaged heal']);
  assert.deepEqual(await treeOf(B), before, 'check writes nothing');
  assert.ok(progress.some((e) => e.type === 'scrub-progress' && e.done));
  const repair = await m.scrub({ repair: true });
  assert.equal(repair.repaired, 3);
  assert.deepEqual(await m.scrub(), { checkedPaths: 30, mismatches: 0, repaired: 0, findings: [] });
  assert.deepEqual(await treeOf(B), await treeOf(A));
  assert.equal(text(await m.readFile('docs/5.txt')), 'document 5');
});

test('scrub in batches: rot in a later batch, in a file too big for the batch call, and on a slowed drive is found in path order', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  // B is throttled: its filesystem has no batch call, so its copies are read one path at a time (the fallback).
  const m = await createMirror({ members: [{ path: A }, { path: B, writeMostly: true, throttle: { latencyMs: 0 } }], watchOutside: false });
  t.after(() => m.stop().catch(() => {}));
  for (let i = 0; i < 150; i++) await m.writeFile(`p/${String(i).padStart(3, '0')}.jpg`, `photo ${i}`);
  await m.writeFile('p/big.raw', 'R'.repeat(300 * 1024)); // over the batch call's size limit: read as a stream
  await m.drain();
  await rot(join(A, 'p', '140.jpg'), 'photo XXX'); // the third batch of 64, on the drive with the batch call
  await rot(join(A, 'p', 'big.raw'), 'Q'.repeat(300 * 1024));
  await rot(join(B, 'p', '007.jpg'), 'photo 9'); // on the slowed drive
  const check = await m.scrub();
  assert.equal(check.checkedPaths, 151);
  assert.deepEqual(check.findings!.map((f) => `${f.path} ${f.kind} ${f.drive === m.status().members[0]!.label ? 'A' : 'B'}`),
    ['p/007.jpg damaged B', 'p/140.jpg damaged A', 'p/big.raw damaged A']);
  assert.equal((await m.scrub({ repair: true })).repaired, 3);
  assert.equal((await m.scrub()).mismatches, 0);
  assert.equal(await readFile(join(A, 'p', 'big.raw'), 'utf8'), 'R'.repeat(300 * 1024));
});

test('stale member: after a crash right after failing a member, it is not used as a source and is resynced', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  // No watchers on the mirror that "crashes": a killed process holds none, and a live one would keep this one running.
  const m = await createMirror({ members: [{ path: A }, { path: B }], watchOutside: false });
  await m.writeFile('a.txt', 'v1');
  await m.failMember(m.status().members[0]!.id);
  await m.writeFile('a.txt', 'v2 — written while A was failed');
  // "Crash": the process stops here without stop(); the superblocks are what a kill would leave.
  const again = await assembleMirror({ members: [{ path: A }, { path: B }] });
  t.after(() => again.stop().catch(() => {}));
  assert.deepEqual(again.status().members.map((x) => x.state), ['resyncing', 'in_sync']);
  assert.equal(text(await again.readFile('a.txt')), 'v2 — written while A was failed');
  await again.drain();
  assert.equal(await readFile(join(A, 'a.txt'), 'utf8'), 'v2 — written while A was failed');
  assert.deepEqual(again.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
});

test('re-add of a 20,000-file member after eject and restart resyncs only what changed; deletes do not come back', async (t) => {
  // tmpfs: fsync is free, so the test measures the work done, not the disk.
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nasm-readd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const A = join(dir, 'ssd'), B = join(dir, 'usb');
  for (let d = 0; d < 200; d++) {
    await mkdir(join(A, `folder${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(A, `folder${d}`, `file${i}.txt`), `content ${d}/${i}`)));
  }
  await mkdir(B);
  const t0 = performance.now();
  const m = await createMirror({ members: [{ path: A, label: 'SSD' }, { path: B, label: 'USB', writeMostly: true }] });
  await m.drain();
  const fullMs = performance.now() - t0;
  assert.equal(m.status().members[1]!.state, 'in_sync');
  await m.eject(m.status().members[1]!.id);
  await m.stop();

  // The USB drive is away; the mirror is restarted without it and changed.
  const m2 = await assembleMirror({ members: [{ path: A }] });
  t.after(() => m2.stop().catch(() => {}));
  for (let i = 0; i < 50; i++) await m2.writeFile(`folder${i}/file${i}.txt`, `changed ${i}`);
  for (let i = 0; i < 10; i++) await m2.remove(`folder${100 + i}/file0.txt`);
  await m2.rename('folder150', 'renamed150');
  const events = recordEvents(m2);
  const t1 = performance.now();
  await m2.addMember({ path: B, writeMostly: true });
  await m2.drain();
  const readdMs = performance.now() - t1;
  const last = events.filter((e): e is Extract<MirrorEvent, { type: 'resync-progress' }> => e.type === 'resync-progress').at(-1)!;
  t.diagnostic(`full resync of 20,000 files: ${fullMs.toFixed(0)} ms; re-add with 50 changed, 10 deleted, 1 folder renamed: ${readdMs.toFixed(0)} ms, ${last.totalPaths} paths`);
  // 50 writes + 10 deletes + the renamed folder's two names and its 100 files.
  assert.ok(last.totalPaths <= 50 + 10 + 2 + 100, `only changed paths were resynced (${last.totalPaths})`);
  assert.ok(last.totalPaths >= 60);
  assert.deepEqual(await treeOf(B), await treeOf(A), 'the USB member equals the SSD');
  assert.ok(!existsSync(join(B, 'folder100', 'file0.txt')), 'a file deleted while away did not come back');
  assert.ok(!existsSync(join(B, 'folder150')));

  // Nothing changed since: a re-add finds nothing to do.
  await m2.eject(m2.status().members.find((x) => x.label === 'USB')!.id);
  const events2 = recordEvents(m2);
  await m2.addMember({ path: B, writeMostly: true });
  await m2.drain();
  const last2 = events2.filter((e): e is Extract<MirrorEvent, { type: 'resync-progress' }> => e.type === 'resync-progress').at(-1)!;
  assert.equal(last2.totalPaths, 0, 'no resync without changes');
});

test('rotating USB drives: each catches up from its own point, not from the other one\'s', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [
    { path: join(dir, 'ssd'), label: 'SSD' },
    { path: join(dir, 'usb1'), label: 'USB 1', writeMostly: true },
    { path: join(dir, 'usb2'), label: 'USB 2', writeMostly: true },
  ] });
  t.after(() => m.stop().catch(() => {}));
  const id = (label: string) => m.status().members.find((x) => x.label === label)!.id;
  const catchUp = async (label: string, folder: string): Promise<number> => {
    const events = recordEvents(m);
    await m.addMember({ path: join(dir, folder), writeMostly: true });
    await m.drain();
    const last = events.filter((e): e is Extract<MirrorEvent, { type: 'resync-progress' }> => e.type === 'resync-progress').at(-1)!;
    assert.deepEqual(await treeOf(join(dir, folder)), await treeOf(join(dir, 'ssd')), `${label} equals the SSD`);
    return last.totalPaths;
  };
  for (let i = 0; i < 20; i++) await m.writeFile(`base/${i}`, `${i}`);
  await m.drain();
  await m.eject(id('USB 1'));                                  // week 1: USB 1 goes to the office
  for (let i = 0; i < 3; i++) await m.writeFile(`week1/${i}`, 'x');
  assert.equal(await catchUp('USB 1', 'usb1'), 3, 'USB 1 gets only week 1');
  await m.eject(id('USB 2'));                                  // week 2: USB 2 goes
  for (let i = 0; i < 5; i++) await m.writeFile(`week2/${i}`, 'y');
  assert.equal(await catchUp('USB 2', 'usb2'), 5, 'USB 2 gets only week 2 (it had week 1)');
  await m.eject(id('USB 1'));                                  // week 3: USB 1 again
  for (let i = 0; i < 2; i++) await m.writeFile(`week3/${i}`, 'z');
  assert.equal(await catchUp('USB 1', 'usb1'), 2, 'USB 1 gets only week 3');
});

test('forgetting a retired drive lets records clear and deletes be purged; its folder can come back as a full copy', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'ssd'), B = join(dir, 'usb');
  const m = await createMirror({ members: [{ path: A, label: 'SSD' }, { path: B, label: 'USB', writeMostly: true }] });
  for (let i = 0; i < 5; i++) await m.writeFile(`f${i}`, `${i}`);
  const usb = m.status().members[1]!.id;
  await m.eject(usb);
  await m.remove('f0');
  await m.writeFile('f1', 'changed while USB was away');
  await assert.rejects(m.forgetMember(m.status().members[0]!.id), { code: 'EBUSY' }, 'an attached member is not forgotten');
  await m.stop(); // USB is away: records and the quarantined f0 must stay
  const records = async () => (await journalRecords(A)).size;
  assert.ok((await records()) >= 2, 'records kept for the absent drive');
  assert.ok(existsSync(join(A, '.nas-mirror', 'trash')), 'the deleted file is quarantined');

  // Retention 0 (recently deleted): a delete is kept only until every member has it — here, once USB is forgotten.
  const again = await assembleMirror({ members: [{ path: A }], deletedRetentionDays: 0 });
  t.after(() => again.stop().catch(() => {}));
  await again.forgetMember(usb);
  assert.deepEqual(again.status().members.map((x) => x.label), ['SSD']);
  await again.writeFile('f2', 'after forgetting');
  await again.stop();
  assert.equal(await records(), 0, 'with nobody absent, every record cleared');
  assert.deepEqual(await readdir(join(A, '.nas-mirror', 'trash')), [], 'quarantine purged');

  const third = await assembleMirror({ members: [{ path: A }] });
  t.after(() => third.stop().catch(() => {}));
  await third.addMember({ path: B, writeMostly: true }); // our own old copy: accepted, resynced whole
  await third.drain();
  assert.deepEqual(await treeOf(B), await treeOf(A));
  assert.ok(!existsSync(join(B, 'f0')));
});
