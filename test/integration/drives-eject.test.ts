// Safe eject end to end on loop-mounted drives: flush 200 behind writes, unmount, remount and find plain files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror, MirrorError, type EjectProgress } from '../../core/index.ts';
import { ejectDrive } from '../../core/drives/index.ts';
import { nextEvent, treeOf } from '../helpers/engine.ts';
import { loopMirror } from '../helpers/loop-mirror.ts';

test('eject flushes 200 behind writes, unmounts, and the remounted drive holds every file as a plain file', async (t) => {
  const setup = await loopMirror(t, { usb: 'exfat', usbFolder: 'NAS Mirror', throttle: { latencyMs: 20 } });
  if (!setup) return;
  const { lab, usb, B, m, usbId } = setup;

  const expected = new Map<string, string>();
  await Promise.all(Array.from({ length: 200 }, (_v, i) => {
    const path = `docs/f${String(i).padStart(3, '0')}.txt`;
    const body = `file ${i} `.repeat(20 + i);
    expected.set(path, body);
    return m.writeFile(path, body);
  }));
  const pending = m.status().members.find((x) => x.id === usbId)!;
  assert.ok(pending.behindWrites > 0, 'writes are still behind on the slow member when eject starts');

  const progress: EjectProgress[] = [];
  await ejectDrive(m, usbId, (p) => progress.push(p));

  assert.equal(await lab.isMounted(usb), false, 'the drive is unmounted when ejectDrive resolves');
  assert.equal(m.status().members.find((x) => x.id === usbId)!.state, 'removed');
  const phases = progress.map((p) => p.phase);
  assert.equal(phases[0], 'flushing');
  assert.ok(progress[0]!.behindWrites > 0, 'the first report shows what is left to flush');
  assert.deepEqual(phases.slice(-2), ['unmounting', 'done']);
  assert.equal(phases.indexOf('unmounting'), phases.length - 2, 'nothing flushes after the unmount starts');

  await lab.remount(usb);
  const tree = await treeOf(B);
  for (const [path, body] of expected) assert.equal(Buffer.from(tree.get(path) ?? '', 'base64').toString(), body, path);
  const sb = JSON.parse(await readFile(join(B, '.nas-mirror', 'superblock.json'), 'utf8'));
  assert.equal(sb.clean, true);
  assert.equal(sb.memberId, usbId);
});

test('eject with a file held open: a clear EBUSY naming the process, and the member stays clean and re-addable', async (t) => {
  const setup = await loopMirror(t);
  if (!setup) return;
  const { lab, usb, B, m, usbId } = setup;
  await m.writeFile('keep.txt', 'safe');
  await writeFile(join(usb.mountPoint, 'held.log'), 'x');

  const holder = spawn('tail', ['-f', join(usb.mountPoint, 'held.log')], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { holder.kill(); });
  // tail prints the file's last lines from the descriptor it then keeps open to follow it.
  await firstOutput(holder, join(usb.mountPoint, 'held.log'));

  const err = await ejectDrive(m, usbId).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof MirrorError, `expected a MirrorError, got ${String(err)}`);
  assert.equal(err.code, 'EBUSY');
  assert.match(err.message, new RegExp(`tail \\(pid ${holder.pid}\\)`));
  assert.equal(await lab.isMounted(usb), true);
  assert.equal(m.status().members.find((x) => x.id === usbId)!.state, 'removed');
  const sb = JSON.parse(await readFile(join(B, '.nas-mirror', 'superblock.json'), 'utf8'));
  assert.equal(sb.clean, true);
  assert.equal(await readFile(join(B, 'keep.txt'), 'utf8'), 'safe');

  // Re-adding the same folder catches it up; then eject again once the holder is gone, and it succeeds.
  await m.writeFile('later.txt', 'after the eject');
  const back = nextEvent(m, 'member-state', (e) => e.memberId === usbId && e.state === 'in_sync');
  assert.equal(await m.addMember({ path: B }), usbId);
  await back;
  assert.equal(await readFile(join(B, 'later.txt'), 'utf8'), 'after the eject');
  holder.kill();
  await new Promise((resolve) => holder.once('exit', resolve));
  await ejectDrive(m, usbId);
  assert.equal(await lab.isMounted(usb), false);
});

test('eject refuses a member on the system drive before touching anything', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-ej-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a'));
  const m = await createMirror({ members: [{ path: join(dir, 'a') }, { path: join(dir, 'b'), writeMostly: true, label: 'B' }] });
  t.after(() => m.stop().catch(() => {}));
  const id = m.status().members.find((x) => x.label === 'B')!.id;
  const sysDrive = { mountPoint: dir, device: '/dev/fake', filesystem: 'ext4', sizeBytes: 1e12, freeBytes: 1e11, removable: false, readOnly: false, system: true };
  await assert.rejects(ejectDrive(m, id, undefined, { drives: [sysDrive] }), (e: MirrorError) => e.code === 'EUNMOUNT' && /system drive/.test(e.message));
  assert.notEqual(m.status().members.find((x) => x.id === id)!.state, 'removed');
});

/** Resolves once `holder` (tail -f) has printed `file`, so holds it open; fails by name if it exits first or within 20 s. */
function firstOutput(holder: ChildProcess, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tail (pid ${holder.pid}) printed nothing of ${file} within 20 s`)), 20_000);
    holder.stdout!.once('data', () => { clearTimeout(timer); resolve(); });
    holder.once('error', (e) => { clearTimeout(timer); reject(e); });
    holder.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`tail exited (${code ?? signal}) before opening ${file}`)); });
  });
}
