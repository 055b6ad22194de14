// Chunked uploads and downloads over the real engine on temporary folders: atomic, bounded, cancellable, verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec } from '../index.ts';
import { FaultyFs } from '../../test/helpers/fs/faulty-fs.ts';
import type { Mirror } from '../mirror/mirror-api.ts';
import { CHUNK_BYTES } from '../contract/contract.ts';
import { MirrorError } from '../contract/errors.ts';
import { Transfers } from './transfers.ts';
import { nextEvent, rot } from '../../test/helpers/engine.ts';
import { loopLab, loopUnsupported } from '../../test/helpers/loop.ts';

type T = { after(fn: () => Promise<void>): void };

/** A fast member and a throttled write-mostly one, like an SSD and a USB disk; `ssd` slows the first one too. */
async function world(t: T, o: { idleMs?: number; maxOpen?: number; ssd?: { bytesPerSecond: number } } = {}) {
  // One after-hook in this order: transfers, then the mirror (its slow member may still be writing), then the folder.
  const dir = await mkdtemp(join(tmpdir(), 'nasm-transfers-'));
  const transfers = new Transfers({ idleMs: o.idleMs, maxOpen: o.maxOpen });
  let mirror: Mirror | undefined;
  t.after(async () => { await transfers.abortAll(); await mirror?.stop().catch(() => {}); await rm(dir, { recursive: true, force: true }); });
  const roots = [join(dir, 'SSD'), join(dir, 'USB')];
  mirror = await createMirror({
    maxBehindBytes: 16 * 2 ** 20,
    members: [{ path: roots[0]!, throttle: o.ssd }, { path: roots[1]!, writeMostly: true, throttle: { bytesPerSecond: 400e6, latencyMs: 1 } }],
  });
  return { mirror, transfers, roots };
}

async function upload(transfers: Transfers, mirror: Mirror, path: string, data: Uint8Array): Promise<string> {
  const id = await transfers.beginUpload(mirror, path);
  for (let off = 0; off < data.byteLength; off += CHUNK_BYTES) await transfers.uploadChunk(id, data.subarray(off, off + CHUNK_BYTES));
  return id;
}

async function download(transfers: Transfers, mirror: Mirror, path: string): Promise<Buffer> {
  const { id, size } = await transfers.beginDownload(mirror, path);
  const parts: Uint8Array[] = [];
  for (let c = await transfers.downloadChunk(id); c.byteLength > 0; c = await transfers.downloadChunk(id)) {
    assert.ok(c.byteLength <= CHUNK_BYTES);
    parts.push(c);
  }
  const all = Buffer.concat(parts);
  assert.equal(all.byteLength, size);
  return all;
}

/** Leftover temporary files anywhere in a member (the engine writes new files beside .nas-mirror's tmp). */
async function tmpFiles(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).filter((n) => n.endsWith('.tmp'));
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<MirrorError> {
  const e = await p.then(() => assert.fail(`expected ${code}`), (err: unknown) => err);
  assert.ok(e instanceof MirrorError, `not a MirrorError: ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return e;
}

test('a 40 MiB upload in chunks replaces the file atomically on every member', async (t) => {
  const { mirror, transfers, roots } = await world(t);
  await mirror.writeFile('video.mkv', 'old version');
  const data = randomBytes(40 * 2 ** 20 + 123);
  const id = await upload(transfers, mirror, 'video.mkv', data);
  assert.equal(Buffer.from(await mirror.readFile('video.mkv')).toString(), 'old version', 'until commit the old file is what readers see');
  await transfers.commitUpload(id);
  assert.ok((await mirror.readFile('video.mkv')).every((b, i) => b === data[i]));
  await mirror.drain();
  for (const root of roots) {
    assert.ok((await readFile(join(root, 'video.mkv'))).equals(data), `${root} has the new file`);
    assert.deepEqual(await tmpFiles(root), []);
  }
  assert.equal(transfers.open, 0);
});

test('two chunks may be in flight and land in order; a third at once is refused with EBUSY', async (t) => {
  const { mirror, transfers } = await world(t);
  const [a, b, c] = [randomBytes(CHUNK_BYTES), randomBytes(CHUNK_BYTES), randomBytes(1000)];
  const id = await transfers.beginUpload(mirror, 'three.bin');
  const first = transfers.uploadChunk(id, a!);
  const second = transfers.uploadChunk(id, b!);
  await rejectsWith(transfers.uploadChunk(id, c!), 'EBUSY');
  assert.deepEqual(await Promise.all([first, second]), [{ received: CHUNK_BYTES }, { received: 2 * CHUNK_BYTES }]);
  await transfers.uploadChunk(id, c!);
  const committed = transfers.commitUpload(id);
  await rejectsWith(transfers.uploadChunk(id, c!), 'EBUSY'); // after the commit began: refused, not left hanging
  await committed;
  assert.ok(Buffer.from(await mirror.readFile('three.bin')).equals(Buffer.concat([a!, b!, c!])));
});

test('an upload takes the transport\'s buffer uncopied: it may be reused once the chunk is accepted', async (t) => {
  // The chunk is not copied on receipt (a copy of 8 MiB cost ~40 ms here): it is accepted once the engine has copied
  // it into its own blocks. A client that refills one buffer for every chunk must still upload what it sent.
  const { mirror, transfers, roots } = await world(t);
  const data = randomBytes(3 * CHUNK_BYTES + 77);
  const buf = new Uint8Array(CHUNK_BYTES);
  const id = await transfers.beginUpload(mirror, 'reused.bin');
  for (let off = 0; off < data.byteLength; off += CHUNK_BYTES) {
    const n = Math.min(CHUNK_BYTES, data.byteLength - off);
    buf.set(data.subarray(off, off + n));
    await transfers.uploadChunk(id, buf.subarray(0, n));
    buf.fill(0xee); // what a transport reusing its buffer would do next
  }
  await transfers.commitUpload(id);
  await mirror.drain();
  for (const root of roots) assert.ok((await readFile(join(root, 'reused.bin'))).equals(data), `${root} has what was sent`);
});

test('a cancelled upload changes nothing and leaves no temporary file; its id is then unknown', async (t) => {
  const { mirror, transfers, roots } = await world(t);
  await mirror.writeFile('big.bin', 'keep me');
  const id = await upload(transfers, mirror, 'big.bin', randomBytes(3 * CHUNK_BYTES));
  transfers.abort(id);
  await transfers.closed(id);
  await rejectsWith(transfers.uploadChunk(id, new Uint8Array(10)), 'ENOTRANSFER');
  await mirror.drain();
  for (const root of roots) {
    assert.equal(await readFile(join(root, 'big.bin'), 'utf8'), 'keep me');
    assert.deepEqual(await tmpFiles(root), []);
  }
  // The path is free again: a new upload of it goes through.
  await transfers.commitUpload(await upload(transfers, mirror, 'big.bin', Buffer.from('new')));
  assert.equal(Buffer.from(await mirror.readFile('big.bin')).toString(), 'new');
});

test('an upload whose client went silent is aborted after the idle time, and nothing changed', async (t) => {
  // 50 ms is safe however slow the drives: the idle clock is stopped while a chunk is taken, and the next call follows
  // the last one's return without a turn of the event loop between them.
  const { mirror, transfers, roots } = await world(t, { idleMs: 50 });
  const id = await upload(transfers, mirror, 'half.bin', randomBytes(2 * CHUNK_BYTES));
  await transfers.closed(id);
  const e = await rejectsWith(transfers.commitUpload(id), 'ENOTRANSFER');
  assert.match(e.message, /finished, was cancelled, or timed out/);
  await rejectsWith(mirror.stat('half.bin'), 'ENOTFOUND');
  for (const root of roots) assert.deepEqual(await tmpFiles(root), []);
});

/** Runs `call` once per step and returns the longest it took, in ms. */
async function slowest(steps: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let most = 0;
  for (let i = 0; i < steps; i++) {
    const began = performance.now();
    await call(i);
    most = Math.max(most, performance.now() - began);
  }
  return most;
}

// A drive writing or reading 32 MiB/s needs ~250 ms for one 8 MiB chunk, well over the idle time.
const SLOW_SSD = { bytesPerSecond: 32 * 2 ** 20 };
const SHORT_IDLE_MS = 80;

test('a chunk a slow drive takes longer than the idle time to accept is not mistaken for a silent client', async (t) => {
  const { mirror, transfers, roots } = await world(t, { idleMs: SHORT_IDLE_MS, ssd: SLOW_SSD });
  // The first chunks are taken at once (the engine's stream window); the later ones wait for the drive.
  const data = randomBytes(6 * CHUNK_BYTES);
  const id = await transfers.beginUpload(mirror, 'slow.bin');
  const most = await slowest(6, (i) => transfers.uploadChunk(id, data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
  assert.ok(most > 2 * SHORT_IDLE_MS, `the slowest chunk took only ${Math.round(most)} ms: this test shows nothing`);
  await transfers.commitUpload(id);
  assert.ok((await readFile(join(roots[0]!, 'slow.bin'))).equals(data), 'committed whole on the slow drive');
  assert.equal(transfers.open, 0);
});

test('a chunk a slow drive takes longer than the idle time to read does not end the download', async (t) => {
  const { mirror, transfers } = await world(t, { idleMs: SHORT_IDLE_MS, ssd: SLOW_SSD });
  const data = randomBytes(2 * CHUNK_BYTES);
  await mirror.writeFile('slow.bin', data);
  const { id } = await transfers.beginDownload(mirror, 'slow.bin');
  const parts: Uint8Array[] = [];
  const most = await slowest(3, async () => parts.push(await transfers.downloadChunk(id)));
  assert.ok(most > 2 * SHORT_IDLE_MS, `the slowest chunk took only ${Math.round(most)} ms: this test shows nothing`);
  assert.equal(parts.at(-1)!.byteLength, 0, 'the empty chunk ends the download');
  assert.ok(Buffer.concat(parts).equals(data));
  assert.equal(transfers.open, 0);
});

test('an upload onto a folder is refused before any byte is sent', async (t) => {
  const { mirror, transfers } = await world(t);
  await mirror.mkdir('Photos');
  await rejectsWith(transfers.beginUpload(mirror, 'Photos'), 'EISDIR');
  assert.equal(transfers.open, 0);
  assert.equal((await mirror.stat('Photos')).type, 'dir');
});

test('an upload bigger than the drives have room for is refused as full, and nothing changed', async (t) => {
  const why = await loopUnsupported();
  if (why) return t.skip(why);
  const transfers = new Transfers();
  let mirror: Mirror | undefined;
  t.after(async () => { await transfers.abortAll(); await mirror?.stop().catch(() => {}); }); // before the lab unmounts
  const lab = await loopLab(t);
  const drives = [await lab.mountExt4Image('ssd', { sizeMiB: 32 }), await lab.mountExt4Image('usb', { sizeMiB: 32 })];
  const roots = drives.map((d) => join(d.mountPoint, 'NAS Mirror'));
  mirror = await createMirror({ members: [{ path: roots[0]! }, { path: roots[1]!, writeMostly: true }] });
  await mirror.writeFile('backup.tar', 'the old backup');
  await mirror.drain(); // on a loaded disk its behind copy may still be on the way: 'behind' is not what is checked below
  const id = await transfers.beginUpload(mirror, 'backup.tar');
  const sent = (async () => {
    const chunk = randomBytes(CHUNK_BYTES);
    for (let i = 0; i < 5; i++) await transfers.uploadChunk(id, chunk);
    await transfers.commitUpload(id);
  })();
  const e = await sent.then(() => assert.fail('a 40 MiB file fit on a 32 MiB drive'), (err: unknown) => err);
  assert.ok(e instanceof MirrorError && e.code === 'ENOSPC', String(e));
  assert.match(e.message, /full/);
  assert.equal(Buffer.from(await mirror.readFile('backup.tar')).toString(), 'the old backup');
  await mirror.drain();
  assert.deepEqual(mirror.status().members.map((m) => m.state), ['in_sync', 'in_sync'], 'a refusal fails no member');
  for (const root of roots) assert.deepEqual(await tmpFiles(root), []);
});

test('a download in chunks returns the exact bytes, and the version that was current when it began', async (t) => {
  const { mirror, transfers } = await world(t);
  const v1 = randomBytes(20 * 2 ** 20);
  await mirror.writeFile('movie.mp4', v1);
  const { id, size } = await transfers.beginDownload(mirror, 'movie.mp4');
  assert.equal(size, v1.byteLength);
  const first = await transfers.downloadChunk(id);
  await mirror.writeFile('movie.mp4', randomBytes(5 * 2 ** 20)); // replaced mid-download
  const parts = [first];
  for (let c = await transfers.downloadChunk(id); c.byteLength > 0; c = await transfers.downloadChunk(id)) parts.push(c);
  assert.ok(Buffer.concat(parts).equals(v1), 'every chunk from the version that was open');
  assert.equal(transfers.open, 0, 'the session ends with the empty chunk');
  assert.equal((await download(transfers, mirror, 'movie.mp4')).byteLength, 5 * 2 ** 20, 'a new download sees the new version');
});

test('a download of a damaged copy fails with ECHECKSUM instead of handing out bad bytes, and the copy is healed', async (t) => {
  const { mirror, transfers, roots } = await world(t);
  const data = randomBytes(9 * 2 ** 20);
  await mirror.writeFile('photos.zip', data);
  await mirror.drain();
  const rotten = Buffer.from(data);
  rotten[5_000_000] ^= 0xff; // one flipped byte on the fast member, the one reads come from
  await rot(join(roots[0]!, 'photos.zip'), rotten); // size and date as written: damage, not an edit made on the drive
  const healed = nextEvent(mirror, 'read-healed', (e) => e.path === 'photos.zip');
  const e = await rejectsWith(download(transfers, mirror, 'photos.zip'), 'ECHECKSUM');
  assert.match(e.message, /being rewritten from "USB"/);
  await healed;
  assert.ok((await download(transfers, mirror, 'photos.zip')).equals(data));
  assert.ok((await readFile(join(roots[0]!, 'photos.zip'))).equals(data));
});

test('a drive pulled mid-download ends that download with a clear EIO, fails the member, and a retry reads the other', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-transfers-'));
  const ssdFs = new FaultyFs(new NodeFs());
  const transfers = new Transfers();
  let mirror: Mirror | undefined;
  t.after(async () => { await transfers.abortAll(); await mirror?.stop().catch(() => {}); await rm(dir, { recursive: true, force: true }); });
  mirror = await createMirror({ members: [{ path: join(dir, 'SSD'), fs: ssdFs } as EngineMemberSpec, { path: join(dir, 'USB'), writeMostly: true }] });
  const data = randomBytes(20 * 2 ** 20);
  await mirror.writeFile('video.mp4', data);
  await mirror.drain();
  const { id } = await transfers.beginDownload(mirror, 'video.mp4');
  await transfers.downloadChunk(id);
  const faulty = nextEvent(mirror, 'member-state', (e) => e.state === 'faulty');
  ssdFs.yank(); // its folder and superblock are gone too, as with a pulled cable
  const e = await rejectsWith((async () => { for (;;) if ((await transfers.downloadChunk(id)).byteLength === 0) return; })(), 'EIO');
  assert.match(e.message, /"SSD" failed mid-transfer/);
  assert.equal(e.memberId, mirror.status().members[0]!.id);
  await faulty;
  assert.equal(transfers.open, 0);
  assert.ok((await download(transfers, mirror, 'video.mp4')).equals(data), 'the retry reads the USB copy');
});

test('downloads of a folder or a missing file fail at once; sessions are limited; abortAll ends them all', async (t) => {
  const { mirror, transfers } = await world(t, { maxOpen: 2 });
  await mirror.mkdir('Docs');
  await mirror.writeFile('a', 'A');
  await rejectsWith(transfers.beginDownload(mirror, 'Docs'), 'EISDIR');
  await rejectsWith(transfers.beginDownload(mirror, 'nope'), 'ENOTFOUND');
  await transfers.beginDownload(mirror, 'a');
  await transfers.beginUpload(mirror, 'b');
  await rejectsWith(transfers.beginUpload(mirror, 'c'), 'EBUSY');
  await transfers.abortAll();
  assert.equal(transfers.open, 0);
  await rejectsWith(mirror.stat('b'), 'ENOTFOUND');
});
