// SIGKILL of `serve --mount` while the mount is in use (a shell inside it, a file held open after fsync, a write not
// yet closed): the next start clears the dead mount and mounts again, and every acknowledged file — closed, or fsynced
// — is intact; what was never acknowledged is the last acknowledged version. Root and /dev/fuse needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { savedMirror } from '../helpers/dav.ts';
import { fuseSkipReason, isMounted, shOk, startMountServe } from '../helpers/fuse.ts';

const skip = await fuseSkipReason();
const run = promisify(execFile);

/** A child that opens `file`, writes `text`, fsyncs (or not) and prints "ready", then holds the file open. */
function holder(file: string, text: string, fsync: boolean): Promise<ChildProcess> {
  const script = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(file)},'w');fs.writeSync(fd,${JSON.stringify(text)});` +
    `${fsync ? 'fs.fsyncSync(fd);' : ''}console.log('ready');setInterval(()=>{},1e9);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', () => resolve(child));
  });
}

/** The children of a process (to end what a killed serve left running: they would hold the mount's connection). */
async function childrenOf(pid: number): Promise<number[]> {
  const out = await run('ps', ['-o', 'pid=', '--ppid', String(pid)]).then((r) => r.stdout, () => '');
  return out.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

test('SIGKILL of serve with the mount in use: the next start mounts again; acknowledged files are intact', { timeout: 600_000, skip: skip ?? false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-fuse-crash-'));
  const { config, members } = await savedMirror(dir);
  const mnt = join(dir, 'mnt');
  const extra: ChildProcess[] = [];
  const leftovers: number[] = [];
  t.after(async () => {
    for (const c of extra) c.kill('SIGKILL');
    for (const pid of leftovers) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await rm(dir, { recursive: true, force: true });
  });
  const args = ['--config', config, '--port', '0', '--mount', mnt];
  const first = await startMountServe(t, args, mnt);

  // Acknowledged: closed files (a tree of them), and one fsynced and still held open.
  await shOk(`mkdir -p ${mnt}/docs && for i in $(seq 1 50); do echo "file $i" > ${mnt}/docs/f$i.txt; done`);
  await shOk(`printf v1 > ${mnt}/pending.txt`);
  extra.push(await holder(join(mnt, 'synced.txt'), 'fsynced and still open', true));
  // Never acknowledged: a new version written but neither closed nor fsynced.
  extra.push(await holder(join(mnt, 'pending.txt'), 'v2, never closed', false));
  // And a shell sitting inside the mount.
  const inside = spawn('sleep', ['600'], { cwd: join(mnt, 'docs'), stdio: 'ignore' });
  extra.push(inside);

  leftovers.push(...(await childrenOf(first.child.pid!)));
  assert.equal(await first.stop('SIGKILL'), null);

  const second = await startMountServe(t, args, mnt);
  assert.ok(await isMounted(mnt));
  for (let i = 1; i <= 50; i++) assert.equal(await readFile(join(mnt, 'docs', `f${i}.txt`), 'utf8'), `file ${i}\n`);
  assert.equal(await readFile(join(mnt, 'synced.txt'), 'utf8'), 'fsynced and still open');
  assert.equal(await readFile(join(mnt, 'pending.txt'), 'utf8'), 'v1', 'what was never acknowledged is the last acknowledged version');
  await shOk(`echo after > ${mnt}/docs/after.txt`);
  assert.equal(await second.stop(), 0, second.stderr());
  assert.equal(await isMounted(mnt), false);
  assert.equal(await readFile(join(members[1]!, 'synced.txt'), 'utf8'), 'fsynced and still open', 'on the write-mostly member too');
});

test('a dead mount left at the folder ("Transport endpoint is not connected") is cleared at start', { timeout: 300_000, skip: skip ?? false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-fuse-dead-'));
  const { config } = await savedMirror(dir);
  const mnt = join(dir, 'mnt');
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Any FUSE file system whose process dies without unmounting (no auto_unmount helper) leaves exactly this.
  const script = `const Fuse=require('@cocalc/fuse-native');require('fs').mkdirSync(${JSON.stringify(mnt)},{recursive:true});` +
    `new Fuse(${JSON.stringify(mnt)},{},{}).mount((e)=>{if(e)throw e;console.log('mounted')});`;
  const other = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    other.once('exit', (code) => reject(new Error(`the other file system exited ${code}`)));
    createInterface({ input: other.stdout! }).once('line', () => resolve());
  });
  other.kill('SIGKILL');
  await new Promise((r) => other.once('close', r));
  const dead = await run('stat', [mnt]).then(() => '', (e: { stderr: string }) => e.stderr);
  assert.match(dead, /Transport endpoint is not connected/);

  const s = await startMountServe(t, ['--config', config, '--port', '0', '--mount', mnt], mnt);
  assert.match(s.stderr(), /held a dead mount/);
  await shOk(`echo alive > ${mnt}/a.txt && cat ${mnt}/a.txt`);
  assert.equal(await s.stop(), 0, s.stderr());
  assert.equal(await isMounted(mnt), false);
});
