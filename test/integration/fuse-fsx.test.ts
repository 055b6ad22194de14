// An fsx-style exerciser (after the classic fsx of NFS and xfstests): 10,000 random operations — writes and reads at
// random offsets, truncates that shrink and grow, fsyncs, closes and reopens — on one file through the FUSE mount,
// each checked against a reference buffer; after every close the committed version is read back through the engine's
// read path (a fresh read-only open), and at the end from a member's plain copy.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savedMirror } from '../helpers/dav.ts';
import { fuseSkipReason, startMountServe } from '../helpers/fuse.ts';

const skip = await fuseSkipReason();
const OPS = Number(process.env.NAS_FSX_OPS ?? 10_000);
const BIG_OPS = Number(process.env.NAS_FSX_BIG_OPS ?? 1_500);

test(`fsx: ${OPS} random reads, writes, truncates, fsyncs and reopens match a reference buffer`, { timeout: 1_200_000, skip: skip ?? false }, (t) => fsx(t, OPS, 1 << 20));

// Past 1 MiB a file is staged in a temp file on the fast member, which lands itself at each fsync and close
// (Mirror.writeStaged) and is taken in again by the next write: the same checks on that path.
test(`fsx, files up to 4 MiB (staged on the drive): ${BIG_OPS} operations match a reference buffer`, { timeout: 1_200_000, skip: skip ?? false }, (t) => fsx(t, BIG_OPS, 4 << 20));

// Two fast members: every commit of a big stage lands it on the first and streams a copy to the second in step, both
// acknowledged together. Mostly appends (how files are written), so they grow past 1 MiB that way, broken by writes
// elsewhere, truncates, fsyncs and O_TRUNC reopens; every commit must land the reference on both members.
test(`fsx, mostly appends on two fast members: ${BIG_OPS} operations match a reference buffer`,
  { timeout: 1_200_000, skip: skip ?? false }, (t) => fsx(t, BIG_OPS, 6 << 20, { appends: true }));

async function fsx(t: TestContext, OPS: number, MAX_SIZE: number, o: { appends?: boolean } = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-fsx-'));
  const { config, members } = await savedMirror(dir, { fastPair: o.appends === true });
  const mnt = join(dir, 'mnt');
  const serve = await startMountServe(t, ['--config', config, '--port', '0', '--mount', mnt], mnt);
  t.after(() => rm(dir, { recursive: true, force: true }));

  const seed = Number(process.env.NAS_FSX_SEED ?? Date.now() % 1_000_000);
  console.log(`fsx seed ${seed} (replay with NAS_FSX_SEED=${seed})`);
  let state = seed;
  const rand = (n: number) => { state = (state * 1103515245 + 12345) % 2147483648; return Math.floor((state / 2147483648) * n); };

  const file = join(mnt, 'fsx.bin');
  let ref = Buffer.alloc(0);
  let fh: FileHandle = await open(file, 'w+');
  const counts: Record<string, number> = {};
  const log: string[] = []; // the last operations, for the failure message
  const step = (what: string) => { counts[what.split(' ')[0]!] = (counts[what.split(' ')[0]!] ?? 0) + 1; log.push(what); if (log.length > 20) log.shift(); };
  const check = async (what: string, got: Buffer, want: Buffer) => {
    if (!got.equals(want)) {
      const at = [...want].findIndex((b, i) => got[i] !== b);
      assert.fail(`${what}: ${got.length} bytes read, ${want.length} expected, first difference at ${at}; last operations:\n${log.join('\n')}`);
    }
  };

  for (let i = 0; i < OPS; i++) {
    const r = o.appends ? appendsMix(rand(100)) : rand(100);
    if (r < 0) { // the next bytes at the end (up to 256 KiB), or, past MAX_SIZE, cut to nothing
      const len = 1 + rand(256 << 10);
      if (ref.length + len > MAX_SIZE) {
        step('truncate 0');
        await fh.truncate(0);
        ref = Buffer.alloc(0);
        continue;
      }
      const data = Buffer.alloc(len, (i % 251) + 1);
      for (let k = 0; k < len; k += 997) data[k] = (i + k) & 0xff;
      step(`append ${ref.length}+${len}`);
      await fh.write(data, 0, len, ref.length);
      ref = Buffer.concat([ref, data]);
    } else if (r < 40) { // write at a random offset, possibly past the end (a hole)
      const off = rand(Math.min(MAX_SIZE, ref.length + 65536));
      const len = 1 + rand(Math.min(65536, MAX_SIZE - off));
      const data = Buffer.alloc(len, (i % 251) + 1);
      for (let k = 0; k < len; k += 997) data[k] = (i + k) & 0xff; // no two writes look alike
      step(`write ${off}+${len}`);
      await fh.write(data, 0, len, off);
      if (off + len > ref.length) ref = Buffer.concat([ref, Buffer.alloc(off + len - ref.length)]);
      data.copy(ref, off);
    } else if (r < 75) { // read at a random offset, possibly across the end
      const off = rand(ref.length + 1024);
      const len = 1 + rand(65536);
      step(`read ${off}+${len}`);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, off);
      await check(`read ${off}+${len}`, buf.subarray(0, bytesRead), ref.subarray(Math.min(off, ref.length), Math.min(off + len, ref.length)));
    } else if (r < 85) { // truncate: shrink or grow
      const size = rand(MAX_SIZE);
      step(`truncate ${size}`);
      await fh.truncate(size);
      ref = size <= ref.length ? Buffer.from(ref.subarray(0, size)) : Buffer.concat([ref, Buffer.alloc(size - ref.length)]);
    } else if (r < 92) { // stat
      step('stat');
      assert.equal((await fh.stat()).size, ref.length, `size after: ${log.join(', ')}`);
    } else if (r < 96) { // fsync: the whole file is committed before it returns
      step('fsync');
      await fh.sync();
    } else { // close (commit), read the committed version through a fresh read-only open, reopen for writing
      step('close');
      await fh.close();
      await check('reopened read-only', await readFile(file), ref);
      // Reads at random offsets, backwards too, from the committed version (the engine's reader, not a stage).
      const ro = await open(file, 'r');
      try {
        for (let k = 0; k < 8; k++) {
          const off = rand(ref.length + 1), len = 1 + rand(300_000);
          const buf = Buffer.alloc(len);
          const { bytesRead } = await ro.read(buf, 0, len, off);
          await check(`read-only read ${off}+${len}`, buf.subarray(0, bytesRead), ref.subarray(off, Math.min(off + len, ref.length)));
        }
      } finally {
        await ro.close();
      }
      // Two fast members: half the reopens truncate (O_TRUNC: written from its start again).
      if (o.appends && rand(2) === 0) { fh = await open(file, 'w+'); ref = Buffer.alloc(0); } else fh = await open(file, 'r+');
    }
  }
  await fh.close();
  await check('at the end', await readFile(file), ref);
  console.log(`fsx: ${JSON.stringify(counts)}; final size ${ref.length}`);
  assert.equal(await serve.stop(), 0, serve.stderr());
  await check('on the fast member after stop', await readFile(join(members[0]!, 'fsx.bin')), ref);
  await check(o.appends ? 'on the second fast member after stop' : 'on the write-mostly member after stop', await readFile(join(members[1]!, 'fsx.bin')), ref);
  if (o.appends) {
    for (const m of members) assert.deepEqual((await readdir(join(m, '.nas-mirror', 'tmp'))).filter((n) => n.endsWith('.stage')), [], `no stage left on ${m}`);
  }
}

/**
 * The appends mix, from the same 0-99 draw: appends 60 % (returned as -1), then writes elsewhere 4 %, reads 15 %,
 * truncates 7 %, stats 8 %, fsyncs 3 %, closes 3 % (each returned as the start of its range in the mix above).
 */
function appendsMix(r: number): number {
  let at = 60;
  if (r < at) return -1;
  for (const [width, start] of [[4, 0], [15, 40], [7, 75], [8, 85], [3, 92]] as const) {
    if (r < (at += width)) return start;
  }
  return 96;
}
