// NodeFs's atomic writer on a real folder: flush ahead (an fdatasync started every FLUSH_AHEAD_BYTES while a big file
// is written) and the rule that goes with it: an error of one of those fdatasyncs fails the commit, as the kernel
// reports a failed writeback once and the final fdatasync would then succeed over lost pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { APPEND_PREALLOC_BYTES, FLUSH_AHEAD_BYTES, NodeFs } from './node-fs.ts';

const execFileP = promisify(execFile);

async function folder(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-nodefs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'tmp'));
  return dir;
}

/** Counts fdatasync calls of this process, and fails the ones `fail` picks (a drive's writeback error, reported once). */
async function watchDatasync(t: { after(fn: () => void): void }, fail: (n: number) => boolean = () => false) {
  const probe = await open(__filename_like(), 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  await probe.close();
  const real = proto.datasync;
  const calls = { n: 0 };
  proto.datasync = function (this: unknown) {
    const n = ++calls.n;
    if (fail(n)) return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    return real.call(this);
  };
  t.after(() => { proto.datasync = real; });
  return calls;
}
const __filename_like = () => new URL(import.meta.url).pathname;

test('a big durable file starts its writeback as it is written, and lands whole', async (t) => {
  const dir = await folder(t);
  const calls = await watchDatasync(t);
  const data = randomBytes(3 * FLUSH_AHEAD_BYTES + 12345);
  const w = await new NodeFs().createAtomic(join(dir, 'big.bin'), join(dir, 'tmp'));
  for (let off = 0; off < data.length; off += 1 << 20) await w.write(data.subarray(off, off + (1 << 20)));
  await w.commit();
  assert.ok(calls.n >= 2, `fdatasync started ahead while writing (one at a time), then once at the commit (${calls.n} calls)`);
  assert.deepEqual(await readFile(join(dir, 'big.bin')), data);
  assert.equal(w.landed?.size, data.length);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
});

test('a writeback error met ahead fails the commit, though the final fdatasync succeeds: nothing lands', async (t) => {
  const dir = await folder(t);
  await watchDatasync(t, (n) => n === 1); // the first fdatasync (one started ahead) meets the error
  const w = await new NodeFs().createAtomic(join(dir, 'big.bin'), join(dir, 'tmp'));
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < (2 * FLUSH_AHEAD_BYTES) / chunk.length; i++) await w.write(chunk);
  await assert.rejects(w.commit(), (e: Error & { code?: string }) => e.code === 'EIO');
  await assert.rejects(stat(join(dir, 'big.bin')), 'the target was never made');
  assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'and the temp file is gone');
});

test('a small or non-durable file starts no writeback ahead', async (t) => {
  const dir = await folder(t);
  const calls = await watchDatasync(t);
  const bulk = await new NodeFs().createAtomic(join(dir, 'bulk.bin'), join(dir, 'tmp'), { durable: false });
  for (let i = 0; i < 3; i++) await bulk.write(randomBytes(FLUSH_AHEAD_BYTES));
  await bulk.commit();
  assert.equal(calls.n, 0, 'a bulk copy is made durable by one syncfs later, not file by file');
  const small = await new NodeFs().createAtomic(join(dir, 'small.bin'), join(dir, 'tmp'));
  await small.write(randomBytes(4096));
  await small.commit();
  assert.equal(calls.n, 1, 'a small durable file: the commit\'s fdatasync only');
});

test('a big file is read whole in a worker: the exact bytes, links refused, a missing file ENOENT', async (t) => {
  // Past 16 MiB readFile reads in a worker thread (a manifest of a million files), which must answer as the
  // thread-pool read does: same bytes, O_NOFOLLOW, the error's code.
  const dir = await folder(t);
  const fs = new NodeFs();
  const big = randomBytes(17 * 2 ** 20 + 11);
  await writeFile(join(dir, 'manifest.log'), big);
  assert.ok(Buffer.from(await fs.readFile(join(dir, 'manifest.log'))).equals(big));
  await symlink(join(dir, 'manifest.log'), join(dir, 'link.log'));
  await assert.rejects(fs.readFile(join(dir, 'link.log')), (e: NodeJS.ErrnoException) => e.code === 'ELOOP');
  await assert.rejects(fs.readFile(join(dir, 'gone.log')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.ok(Buffer.from(await fs.readFile(join(dir, 'manifest.log'))).equals(big), 'and again (each read has its own worker)');
});

/** The open-file flags the kernel holds for the file at `path` opened by this process (from /proc/self/fdinfo). */
async function openFlags(path: string): Promise<number> {
  for (const fd of await readdir('/proc/self/fd')) {
    if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    return parseInt(/^flags:\s+(\d+)/m.exec(info)![1]!, 8);
  }
  throw new Error(`${path} is not open`);
}

test('a durable append handle writes with O_DSYNC (each append durable as it lands); a plain one does not', { skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : false }, async (t) => {
  const dir = await folder(t);
  const fs = new NodeFs();
  const durable = await fs.openAppend(join(dir, 'intent.log'), { durable: true });
  const plain = await fs.openAppend(join(dir, 'manifest.log'));
  t.after(async () => { await durable.close(); await plain.close(); });
  assert.equal(durable.durable, true);
  assert.ok(!plain.durable);
  const { O_DSYNC, O_APPEND } = constants;
  const [d, p] = [await openFlags(join(dir, 'intent.log')), await openFlags(join(dir, 'manifest.log'))];
  assert.equal(d & O_DSYNC, O_DSYNC, `intent.log flags ${d.toString(8)}`);
  assert.equal(p & O_DSYNC, 0, `manifest.log flags ${p.toString(8)}`);
  assert.equal(d & O_APPEND, O_APPEND);
  await durable.append(Buffer.from('+"a"\t1\n'));
  await durable.append(Buffer.from('+"b"\t1\n'));
  assert.equal(await readFile(join(dir, 'intent.log'), 'utf8'), '+"a"\t1\n+"b"\t1\n');
});

test('a preallocated log on a drive too full for its zeros still takes the record, written alone', { skip: process.getuid?.() !== 0 ? 'needs root (mounts a small tmpfs)' : false }, async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'nasm-nodefs-small-'));
  await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  const fs = new NodeFs();
  let h: Awaited<ReturnType<NodeFs['openAppend']>> | undefined;
  t.after(async () => { await h?.close(); await execFileP('umount', [mnt]); await rm(mnt, { recursive: true }); });
  const file = join(mnt, 'intent.log');
  await execFileP('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']).catch(() => {}); // to the last page
  await execFileP('truncate', ['-s', '-8192', join(mnt, 'fill')]); // 8 KiB free: less than a run of zeros
  h = await fs.openAppend(file, { durable: true, end: 0 });
  await h.append(Buffer.from('+"a"\t1\n'));
  await h.append(Buffer.from('+"b"\t1\n'));
  const bytes = await readFile(file);
  assert.ok(bytes.length < APPEND_PREALLOC_BYTES, `${bytes.length} bytes: no whole run of zeros fitted`);
  const end = bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0);
  assert.equal(bytes.subarray(0, end).toString(), '+"a"\t1\n+"b"\t1\n');
  assert.ok(bytes.subarray(end).every((b) => b === 0), 'what the partial run wrote past the records is zeros');
});

test('a durable handle opened at an end writes there (O_DSYNC, no O_APPEND) and keeps written zeros ahead of it', { skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : false }, async (t) => {
  const dir = await folder(t);
  const fs = new NodeFs();
  const file = join(dir, 'intent.log');
  await writeFile(file, Buffer.concat([Buffer.from('+"a"\t1\n'), Buffer.alloc(100)])); // content, then zeros
  const h = await fs.openAppend(file, { durable: true, end: 7 });
  t.after(() => h.close());
  assert.equal(h.durable, true);
  assert.equal(h.preallocated, true);
  const flags = await openFlags(file);
  assert.equal(flags & constants.O_DSYNC, constants.O_DSYNC, `flags ${flags.toString(8)}`);
  assert.equal(flags & constants.O_APPEND, 0);
  await h.append(Buffer.from('+"b"\t1\n')); // fits in the zeros: the size stays
  assert.equal((await stat(file)).size, 107);
  await h.append(Buffer.alloc(200, 0x41)); // does not: the file grows by a run of zeros past it
  const bytes = await readFile(file);
  assert.equal(bytes.length, APPEND_PREALLOC_BYTES);
  assert.equal(bytes.subarray(0, 14).toString(), '+"a"\t1\n+"b"\t1\n');
  assert.ok(bytes.subarray(14, 214).every((b) => b === 0x41));
  assert.ok(bytes.subarray(214).every((b) => b === 0));
});
