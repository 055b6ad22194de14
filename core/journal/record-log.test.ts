// RecordLog: group commit, a torn last line, a failed append, and a commit after close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import { APPEND_PREALLOC_BYTES, NodeFs } from '../fs/node-fs.ts';
import type { Filesystem } from '../fs/filesystem.ts';
import { RecordLog } from './record-log.ts';
import { until } from '../../test/helpers/faulty-pair.ts';

async function logIn(t: Parameters<typeof tempDir>[0], fs: Filesystem = new NodeFs()) {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'tmp'));
  const file = join(dir, 'records.log');
  return { file, open: () => RecordLog.open(fs, file, join(dir, 'tmp')) };
}

test('records survive a reopen; a torn last line (a crash mid-append) is ignored', async (t) => {
  const { file, open } = await logIn(t);
  const log = await open();
  log.set('a', '1');
  log.set('b', '2');
  log.delete('a');
  await log.commit();
  await log.close();
  await appendFile(file, '+"c"\t3\n+"d'); // the second line was cut by a crash
  const again = await open();
  assert.deepEqual([...again.map], [['b', '2'], ['c', '3']]);
  await again.close();
});

test('a torn line with its value cut short is not taken, and what is appended after it is kept', async (t) => {
  const { file, open } = await logIn(t);
  const log = await open();
  log.set('photos/a b.jpg', 'HASH 100 1.5 7');
  log.set('odd "name"\\x', 'HASH 1 2 3');
  await log.commit();
  await log.close();
  const clean = await readFile(file, 'utf8');
  assert.equal((await open().then(async (l) => { await l.close(); return readFile(file, 'utf8'); })), clean, 'a log that has not grown is not rewritten at open');
  await appendFile(file, '+"photos/a b.jpg"\tHASH 2'); // a crash cut the new value short
  const again = await open();
  assert.equal(again.map.get('photos/a b.jpg'), 'HASH 100 1.5 7', 'the cut line is not taken');
  assert.equal(again.map.get('odd "name"\\x'), 'HASH 1 2 3', 'a name with escapes is read back');
  again.set('c', 'after');
  await again.commit();
  await again.close();
  const third = await open();
  assert.deepEqual([...third.map].sort(), [['c', 'after'], ['odd "name"\\x', 'HASH 1 2 3'], ['photos/a b.jpg', 'HASH 100 1.5 7']]);
  await third.close();
});

test('a failed append is not taken as written: the next commit rewrites the log whole', async (t) => {
  const faulty = new FaultyFs(new NodeFs());
  const { file, open } = await logIn(t, faulty);
  const log = await open();
  log.set('kept', 'x');
  await log.commit();
  faulty.options.failPath = (_p, op) => op === 'append'; // a full drive, say
  log.set('lost?', 'y');
  await assert.rejects(log.commit());
  assert.equal(log.unsynced, true, 'the change is known not to be durable');
  faulty.options.failPath = undefined;
  await log.commit(); // nothing new was set: still it must write what failed
  assert.equal(log.unsynced, false);
  await log.close();
  const text = await readFile(file, 'utf8');
  assert.match(text, /"lost\?"/);
  const again = await open();
  assert.deepEqual([...again.map].sort(), [['kept', 'x'], ['lost?', 'y']]);
  await again.close();
});

test('a commit after close rejects and leaves nothing stuck: close and later commits still settle', async (t) => {
  const { open } = await logIn(t);
  const log = await open();
  await log.close();
  log.set('late', '1');
  await assert.rejects(log.commit(), /closed/);
  await log.close(); // would spin forever on a settled flush that was never cleared
  await log.commit(); // nothing left to write: settles at once
});

test('concurrent commits share one flush and all resolve once durable', async (t) => {
  const { open } = await logIn(t);
  const log = await open();
  const commits = Array.from({ length: 20 }, (_, i) => { log.set(`k${i}`, `${i}`); return log.commit(); });
  await Promise.all(commits);
  assert.equal(log.unsynced, false);
  await log.close();
  const again = await open();
  assert.equal(again.map.size, 20);
  await again.close();
});

test('commits made while the log compacts itself wait for it and are all kept (the rewrite is in line with appends)', async (t) => {
  const afs = new FaultyFs(new NodeFs());
  const { file, open } = await logIn(t, afs);
  const log = await open();
  for (let i = 0; i < 10_010; i++) log.set('churn', String(i)); // 10,010 lines for one live record: the log has grown
  // Opening the file waits: the compaction's rewrite first (its handle is closed by then), and on the old code a later
  // commit's own loop too, which then appended to the file the rewrite's rename replaced.
  let opens = 0; // the first open is the commit's own append: it goes through
  afs.hang((p, op) => p === file && op === 'open' && ++opens >= 2);
  await log.commit();
  await until(() => afs.stuck === 1); // the loop went on to compact the file
  const later: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) { log.set(`k${i}`, 'v'); later.push(log.commit()); }
  afs.resume();
  await Promise.all(later);
  await log.close();
  await afs.idle(); // every call sent to the drive has returned (on the old code, the rewrite's rename came after)
  const again = await open();
  assert.equal(again.map.get('churn'), '10009');
  for (let i = 0; i < 5; i++) assert.equal(again.map.get(`k${i}`), 'v', `k${i} was committed during the compaction`);
  assert.ok((await readFile(file, 'utf8')).split('\n').length < 20, 'and the file was compacted');
  await again.close();
});

test('a log of durable appends never asks for a separate flush; a plain one flushes each commit', async (t) => {
  const counted = (syncs: { n: number }): Filesystem => {
    const inner = new NodeFs();
    return new Proxy(inner, {
      get(target, key) {
        if (key !== 'openAppend') return Reflect.get(target, key, target);
        return async (path: string, o?: { durable?: boolean }) => {
          const h = await target.openAppend(path, o);
          return { durable: h.durable, append: (d: Uint8Array) => h.append(d), close: () => h.close(), sync: () => { syncs.n++; return h.sync(); } };
        };
      },
    });
  };
  for (const durableAppends of [true, false]) {
    const syncs = { n: 0 };
    const dir = await tempDir(t);
    await mkdir(join(dir, 'tmp'));
    const log = await RecordLog.open(counted(syncs), join(dir, 'intent.log'), join(dir, 'tmp'), { durableAppends });
    for (let i = 0; i < 3; i++) { log.set(`p${i}`, '1'); await log.commit(); }
    log.delete('p0');
    log.lazyFlush(); // a clear: appended without waiting (durable as it lands on a durable handle)
    await log.commit();
    await log.close();
    assert.equal(syncs.n, durableAppends ? 0 : 4, `durableAppends ${durableAppends}`);
    const bytes = await readFile(join(dir, 'intent.log'));
    const content = durableAppends ? bytes.subarray(0, bytes.indexOf(0)) : bytes; // a durable log ends in preallocated zeros
    assert.equal(content.toString('utf8'), '+"p0"\t1\n+"p1"\t1\n+"p2"\t1\n-"p0"\n');
    if (durableAppends) assert.ok(bytes.subarray(content.length).every((b) => b === 0) && bytes.length >= APPEND_PREALLOC_BYTES, `${bytes.length} bytes`);
  }
});

/** A durable log in a temp folder, opened through `fs`. */
async function durableLogIn(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'tmp'));
  const file = join(dir, 'intent.log');
  return { file, open: (fs: Filesystem = new NodeFs()) => RecordLog.open(fs, file, join(dir, 'tmp'), { durableAppends: true }) };
}

test('a durable log appends over its preallocated zeros: reopened, it reads to them and writes on from there', async (t) => {
  const { file, open } = await durableLogIn(t);
  let log = await open();
  log.set('a', '1');
  await log.commit();
  await log.close();
  const first = await readFile(file);
  assert.equal(first.indexOf(0), '+"a"\t1\n'.length, 'the content ends where the zeros begin');
  log = await open();
  assert.deepEqual([...log.map], [['a', '1']]);
  log.set('b', '2');
  log.delete('a');
  await log.commit();
  await log.close();
  const second = await readFile(file);
  assert.equal(second.length, first.length, 'appended over the zeros, not after them');
  assert.equal(second.subarray(0, second.indexOf(0)).toString(), '+"a"\t1\n+"b"\t2\n-"a"\n');
  assert.deepEqual([...(await open()).map], [['b', '2']]);
});

test('a durable log grows by a run of zeros at a time, and a compaction leaves it unpadded', async (t) => {
  const { file, open } = await durableLogIn(t);
  const log = await open();
  const value = 'v'.repeat(1000);
  let lines = 0;
  while ((await readFile(file).catch(() => Buffer.alloc(0))).length <= APPEND_PREALLOC_BYTES) {
    log.set(`k${lines++}`, value);
    await log.commit();
  }
  assert.equal((await readFile(file)).length, 2 * APPEND_PREALLOC_BYTES);
  await log.compact();
  const compacted = await readFile(file);
  assert.equal(compacted.indexOf(0), -1, 'a rewrite holds no zeros');
  log.set('after', '1');
  await log.commit();
  await log.close();
  const again = await open();
  assert.equal(again.map.size, lines + 1);
  assert.equal(again.map.get('after'), '1');
});

test('a padded log opened through a drive that only appends at the end is rewritten, never appended after its zeros', async (t) => {
  const { file, open } = await durableLogIn(t);
  const log = await open();
  log.set('a', '1');
  await log.commit();
  await log.close();
  assert.ok((await readFile(file)).includes(0));
  const plain = await open(new FaultyFs(new NodeFs())); // its openAppend passes no `end`: an O_APPEND handle
  plain.set('b', '2');
  await plain.commit();
  await plain.close();
  assert.deepEqual([...(await open()).map].sort(), [['a', '1'], ['b', '2']], 'both records read back');
});

test('a torn preallocated append (bytes after the zeros) is not taken; the log is rewritten before the next append', async (t) => {
  const { file, open } = await durableLogIn(t);
  let log = await open();
  log.set('a', '1');
  await log.commit();
  await log.close();
  const bytes = await readFile(file);
  const end = bytes.indexOf(0);
  // A crash persisted the second page of a two-line append ('+"x"\t9\n-"a"\n'), not its first: a whole line after zeros.
  // Appended over without a rewrite, the next line ('+"c"\t3\n', as long as the lost one) would make it read back.
  bytes.write('-"a"\n', end + '+"x"\t9\n'.length);
  await writeFile(file, bytes);
  log = await open();
  assert.deepEqual([...log.map], [['a', '1']]);
  log.set('c', '3');
  await log.commit();
  await log.close();
  assert.deepEqual([...(await open()).map].sort(), [['a', '1'], ['c', '3']]);
});
