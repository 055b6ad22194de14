// Space on full drives (invariants 10, 22, 27): deletes wait in the trash (recently deleted), whose oldest entries a
// write that needs the room deletes first when every member is present — and never while a member that has not
// applied them is away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMirror, MirrorError, type Mirror } from '../../core/index.ts';
import { nextEvent, treeOf } from '../helpers/engine.ts';
import { isMountPoint } from '../helpers/loop.ts';

const exec = promisify(execFile);
const MiB = 1 << 20;
const body = (i: number, size = MiB) => new Uint8Array(size).fill(i);
/** The recently deleted entries a member folder holds: each is `<id>` with its record `<id>.json` beside it. */
const trashOf = async (root: string) => {
  const names = await readdir(join(root, '.nas-mirror', 'trash')).catch(() => [] as string[]);
  return names.filter((n) => !n.endsWith('.json') && names.includes(`${n}.json`));
};
/** Which of the deleted old/<i>.bin files a member still keeps, by i. */
const keptOf = async (root: string) => {
  const names = await trashOf(root);
  const paths = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(root, '.nas-mirror', 'trash', `${n}.json`), 'utf8')).path as string));
  return paths.map((p) => Number(/old\/(\d)\.bin/.exec(p)![1])).sort();
};
/** The entries that went are the oldest: what is kept is the newest run, ending with the last delete (old/6.bin). */
const assertOldestWent = (kept: number[], root: string) => {
  assert.ok(kept.length > 0 && kept.length < 7, `${root}: only as many entries went as the write needed (${kept.join(',')} kept)`);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 7 - kept.length + i), `${root}: the oldest went first`);
};
const freeBytes = async (root: string) => { const s = await statfs(root); return s.bavail * s.bsize; };
const memberOf = (m: Mirror, label: string) => m.status().members.find((x) => x.label === label)!;
/** Never purged by the journal's idle tick during a test: only a write that needs the room may empty the trash. */
const NO_IDLE_PURGE = 600_000;

interface RamDrives { roots: string[]; beforeUnmount(fn: () => Promise<unknown>): void }

/**
 * Small drives that really fill up: a tmpfs of `sizeMiB` per name, each holding a member folder. Torn down in one
 * hook, in order: whatever the test registered (the mirror's stop), the unmounts, then the folder. null: skipped.
 */
async function ramDrives(t: { after(fn: () => Promise<void>): void; skip(why: string): void }, names: string[], sizeMiB: number): Promise<RamDrives | null> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    t.skip('needs root to mount small tmpfs drives: not running as root on Linux');
    return null;
  }
  const dir = await mkdtemp(join(tmpdir(), 'nasm-space-'));
  const mounted: string[] = [];
  const first: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const fn of first) await fn().catch(() => {});
    for (const mp of mounted) await exec('umount', [mp]).catch(() => exec('umount', ['-l', mp]).catch(() => {}));
    const still = [];
    for (const mp of mounted) if (await isMountPoint(mp)) still.push(mp);
    if (still.length) throw new Error(`tmpfs teardown: ${still.join(', ')} still mounted; not removing ${dir}`);
    await rm(dir, { recursive: true, force: true });
  });
  for (const name of names) {
    const mp = join(dir, name);
    await mkdir(mp);
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', mp]);
    } catch (e) {
      t.skip(`cannot mount a tmpfs here: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
      return null;
    }
    mounted.push(mp);
  }
  return { roots: mounted.map((mp) => join(mp, 'mirror')), beforeUnmount: (fn) => { first.push(fn); } };
}

/** Two members on 8 MiB drives, 7 MiB of files written to both. */
async function fullMirror(t: Parameters<typeof ramDrives>[0]) {
  const drives = await ramDrives(t, ['Disk 1', 'Disk 2'], 8);
  if (!drives) return null;
  const [D1, D2] = drives.roots as [string, string];
  const m = await createMirror({ intentClearMs: NO_IDLE_PURGE, members: [{ path: D1, label: 'Disk 1' }, { path: D2, label: 'Disk 2' }] });
  drives.beforeUnmount(() => m.stop());
  for (let i = 0; i < 7; i++) await m.writeFile(`old/${i}.bin`, body(i));
  return { m, D1, D2 };
}

const BIG = body(0xb1, 5 * MiB);

test('deleting files on a full mirror frees their space at once: a write that needs it deletes the oldest entries first and succeeds', async (t) => {
  const s = await fullMirror(t);
  if (!s) return;
  const { m, D1, D2 } = s;
  for (let i = 0; i < 7; i++) await m.remove(`old/${i}.bin`);
  for (const root of [D1, D2]) {
    assert.equal((await trashOf(root)).length, 7, 'the deletes wait in the trash (two-phase), still using their space');
    assert.ok(await freeBytes(root) < BIG.byteLength, `only ${await freeBytes(root)} bytes free: the write fits only once the trash is emptied`);
  }

  await m.writeFile('new.bin', BIG); // refused ENOSPC before the engine made room for it
  assert.ok(Buffer.from(await m.readFile('new.bin')).equals(BIG));
  for (const root of [D1, D2]) {
    assertOldestWent(await keptOf(root), root);
    assert.deepEqual([...(await treeOf(root)).keys()].sort(), ['new.bin', 'old/']);
  }
  assert.deepEqual((await m.listDeleted()).map((e) => e.path), (await keptOf(D1)).reverse().map((i) => `old/${i}.bin`), 'what is kept is still listed');
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
});

test('with a member away, the trash is kept: the write is refused ENOSPC naming the full drive and changes nothing', async (t) => {
  const s = await fullMirror(t);
  if (!s) return;
  const { m, D1, D2 } = s;
  const away = memberOf(m, 'Disk 2').id;
  await m.failMember(away);
  for (let i = 0; i < 7; i++) await m.remove(`old/${i}.bin`); // Disk 2 has not applied these
  const trashBefore = (await trashOf(D1)).sort();
  const treeBefore = await treeOf(D1);
  assert.equal(trashBefore.length, 7);

  const err = await m.writeFile('new.bin', BIG).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof MirrorError, `the write must be refused; got ${String(err)}`);
  assert.equal(err.code, 'ENOSPC');
  assert.match(err.message, /"Disk 1" is full/);
  assert.match(err.message, /nothing was changed/);
  assert.deepEqual((await trashOf(D1)).sort(), trashBefore, 'the deletes Disk 2 has not applied stay recoverable');
  assert.deepEqual(await treeOf(D1), treeBefore);
  assert.deepEqual(await readdir(join(D1, '.nas-mirror', 'tmp')), [], 'no temp file of the refused write is left');
  await assert.rejects(m.stat('new.bin'), { code: 'ENOTFOUND' });
  assert.equal(memberOf(m, 'Disk 1').state, 'in_sync', 'a full drive refuses the write; it is not failed');
  assert.equal((await treeOf(D2)).size, 8, 'Disk 2 (away) still holds every file it had');

  // Back, Disk 2 catches up the deletes; with every member present, the same write deletes the oldest and lands.
  const back = nextEvent(m, 'member-state', (e) => e.memberId === away && e.state === 'in_sync');
  await m.addMember({ path: D2 });
  await back;
  await m.writeFile('new.bin', BIG);
  for (const root of [D1, D2]) {
    assertOldestWent(await keptOf(root), root);
    assert.deepEqual([...(await treeOf(root)).keys()].sort(), ['new.bin', 'old/']);
  }
  assert.ok(Buffer.from(await readFile(join(D2, 'new.bin'))).equals(BIG));
});

test('a mirror full to the last block refuses new writes with ENOSPC and fails no member (invariant 22)', {
}, async (t) => {
  const drives = await ramDrives(t, ['Disk 1', 'Disk 2'], 8);
  if (!drives) return;
  const m = await createMirror({ intentClearMs: NO_IDLE_PURGE, members: drives.roots.map((path, i) => ({ path, label: `Disk ${i + 1}` })) });
  drives.beforeUnmount(() => m.stop());
  const refusedOrDone = async (p: Promise<void>, what: string) => {
    const e = await p.then(() => null, (err: unknown) => err);
    if (e) assert.equal((e as MirrorError).code, 'ENOSPC', `${what}: ${(e as Error).message}`);
    return e === null;
  };
  // Fill both drives to the last block: 1 MiB files until refused, then halves down to 512 bytes.
  let n = 0;
  for (let size = MiB; size >= 512;) if (!(await refusedOrDone(m.writeFile(`fill/${n++}.bin`, body(n, size)), `fill ${size}`))) size >>= 1;
  for (const root of drives.roots) t.diagnostic(`${root}: ${await freeBytes(root)} bytes free`);
  // New names need new intent records: each write either lands or is refused, and the drives stay members.
  for (let i = 0; i < 300; i++) await refusedOrDone(m.writeFile(`new/a-file-with-a-longer-name-${i}.txt`, ''), `new file ${i}`);
  assert.deepEqual(m.status().members.map((x) => `${x.label}: ${x.state}`), ['Disk 1: in_sync', 'Disk 2: in_sync']);
});
