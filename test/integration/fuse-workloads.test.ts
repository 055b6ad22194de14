// Real programs on the FUSE mount of `serve --mount` (issue 14): cp -a of a 2,000-file tree, rsync -a in and out,
// tar x, git, SQLite with 1,000 transactions, two writers at once — each checked against the source, and the members'
// plain copies after stop. Root and /dev/fuse needed; without them every test skips with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savedMirror } from '../helpers/dav.ts';
import { forceUnmount, fuseSkipReason, sh, shOk, startMountServe, type MountServe } from '../helpers/fuse.ts';

const skip = await fuseSkipReason();
let dir = '';
let serve: MountServe | undefined;
let members: string[] = [];
let mnt = '';
const hooks = { list: [] as (() => Promise<void> | void)[], after(fn: () => Promise<void> | void) { this.list.push(fn); } };

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'nasm-fuse-'));
  ({ members } = await savedMirror(dir));
  mnt = join(dir, 'mnt');
  serve = await startMountServe(hooks, ['--config', join(dir, 'config'), '--port', '0', '--mount', mnt], mnt);
});

after(async () => {
  for (const fn of hooks.list.reverse()) await fn();
  if (mnt) await forceUnmount(mnt);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A tree of `files` files in nested folders: sizes up to 64 KiB (a few of 1 MiB), varied modes and old dates. */
async function makeTree(root: string, files: number): Promise<void> {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < files; i++) {
    const d = join(root, `d${i % 20}`, `e${i % 7}`);
    await mkdir(d, { recursive: true });
    const size = i % 400 === 0 ? 1 << 20 : Math.floor(rand() * 65536);
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j += 4096) data[j] = Math.floor(rand() * 256);
    const f = join(d, `f${i}.bin`);
    await writeFile(f, data);
    await chmod(f, i % 5 === 0 ? 0o755 : i % 5 === 1 ? 0o600 : 0o644);
    const t = 1_500_000_000 + i * 37.123456;
    await utimes(f, t, t);
  }
}

/** path → [size, mtime in ms (whole ms: what the mount shows), mode] for every file under `root`. */
async function metaOf(root: string): Promise<Map<string, [number, number, number]>> {
  const out = new Map<string, [number, number, number]>();
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (rel === '' && e.name === '.nas-mirror') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else { const s = await lstat(join(d, e.name)); out.set(r, [s.size, Math.floor(s.mtimeMs), s.mode & 0o777]); }
    }
  };
  await walk(root, '');
  return out;
}

test('cp -a of a 2,000-file tree: diff -r finds nothing, sizes, times and modes equal', { timeout: 900_000, skip: skip ?? false }, async () => {
  const src = join(dir, 'src-cp');
  await makeTree(src, 2000);
  const t0 = performance.now();
  await shOk(`cp -a ${src} ${mnt}/cp`);
  const secs = (performance.now() - t0) / 1000;
  console.log(`cp -a of 2,000 files into the mount: ${secs.toFixed(1)} s`);
  await shOk(`diff -r ${src} ${mnt}/cp`);
  assert.deepEqual(await metaOf(join(mnt, 'cp')), await metaOf(src));
  // What the engine wrote on the fast member is the same, as plain files.
  await shOk(`diff -r ${src} ${members[0]}/cp`);
  assert.deepEqual(await metaOf(join(members[0]!, 'cp')), await metaOf(src));
});

test('rsync -a in and out: identical, and a second run transfers nothing', { timeout: 900_000, skip: skip ?? false }, async () => {
  const src = join(dir, 'src-rsync');
  await makeTree(src, 300);
  const transferred = (out: string) => Number(/Number of regular files transferred: (\d+)/.exec(out)?.[1] ?? NaN);
  assert.equal(transferred(await shOk(`rsync -a --stats ${src}/ ${mnt}/rsync/`)), 300);
  await shOk(`diff -r ${src} ${mnt}/rsync`);
  assert.equal(transferred(await shOk(`rsync -a --stats ${src}/ ${mnt}/rsync/`)), 0, 'times and sizes kept: nothing to send again');
  const back = join(dir, 'rsync-out');
  assert.equal(transferred(await shOk(`rsync -a --stats ${mnt}/rsync/ ${back}/`)), 300);
  await shOk(`diff -r ${src} ${back}`);
  assert.equal(transferred(await shOk(`rsync -a --stats ${mnt}/rsync/ ${back}/`)), 0);
  assert.deepEqual(await metaOf(back), await metaOf(src));
});

test('tar x into the mount gives the archived tree back', { timeout: 600_000, skip: skip ?? false }, async () => {
  const src = join(dir, 'src-tar');
  await makeTree(src, 200);
  await shOk(`tar --format=posix -C ${src} -cf ${dir}/tree.tar .`); // pax keeps sub-second times
  await mkdir(join(mnt, 'tar'));
  await shOk(`tar -C ${mnt}/tar -xpf ${dir}/tree.tar`);
  await shOk(`diff -r ${src} ${mnt}/tar`);
  assert.deepEqual(await metaOf(join(mnt, 'tar')), await metaOf(src));
});

test('git init, add, commit on the mount; git fsck is clean', { timeout: 600_000, skip: skip ?? false }, async () => {
  const repo = join(mnt, 'repo');
  await shOk(`mkdir ${repo} && cp -r ${join(process.cwd(), 'core/fs')} ${repo}/fs`);
  const git = (c: string) => shOk(`git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main ${c}`, { cwd: repo });
  await git('init -q');
  await git('add .');
  await git('commit -q -m first');
  await writeFile(join(repo, 'fs', 'extra.txt'), 'second\n');
  await git('add .');
  await git('commit -q -m second');
  const fsck = await sh('git fsck --full --strict', { cwd: repo });
  assert.equal(fsck.code, 0, fsck.stderr);
  assert.equal((await git('log --oneline')).trim().split('\n').length, 2);
  assert.equal((await git('status --porcelain')).trim(), '', 'nothing changed behind git\'s back');
});

test('SQLite: 1,000 transactions, then integrity_check is ok on the mount and on each member after stop', { timeout: 900_000, skip: skip ?? false }, async () => {
  const db = join(mnt, 'db', 'test.sqlite');
  await mkdir(join(mnt, 'db'));
  const sql = ['CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);'];
  for (let i = 0; i < 1000; i++) sql.push(`INSERT INTO t (v) VALUES ('row ${i} ${'x'.repeat(i % 200)}');`);
  await writeFile(join(dir, 'tx.sql'), sql.join('\n'));
  const t0 = performance.now();
  await shOk(`sqlite3 ${db} < ${dir}/tx.sql`);
  console.log(`SQLite, 1,000 transactions on the mount: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal((await shOk(`sqlite3 ${db} 'PRAGMA integrity_check; SELECT count(*) FROM t;'`)).trim(), 'ok\n1000');
});

test('two processes writing different files at once both land whole', { timeout: 600_000, skip: skip ?? false }, async () => {
  await mkdir(join(mnt, 'two'));
  await shOk(`head -c 20000000 /dev/urandom > ${dir}/a.bin; head -c 15000000 /dev/urandom > ${dir}/b.bin`);
  await Promise.all([shOk(`dd if=${dir}/a.bin of=${mnt}/two/a.bin bs=64k status=none`), shOk(`dd if=${dir}/b.bin of=${mnt}/two/b.bin bs=128k status=none`)]);
  await shOk(`cmp ${dir}/a.bin ${mnt}/two/a.bin && cmp ${dir}/b.bin ${mnt}/two/b.bin`);
});

test('after stop: every member holds the same plain files (the SQLite database passes integrity_check on each)', { timeout: 900_000, skip: skip ?? false }, async () => {
  assert.equal(await serve!.stop(), 0, serve!.stderr());
  assert.equal(await import('../helpers/fuse.ts').then((f) => f.isMounted(mnt)), false, 'unmounted on stop');
  await shOk(`diff -r --exclude=.nas-mirror ${members[0]} ${members[1]}`);
  for (const m of members) assert.equal((await shOk(`sqlite3 ${m}/db/test.sqlite 'PRAGMA integrity_check;'`)).trim(), 'ok', m);
});
