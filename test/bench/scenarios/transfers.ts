// Scenario 7: one big file through the app — uploaded and downloaded in CHUNK_BYTES chunks over the WebSocket of a
// separate `serve` process (fast + fast mirror made over RPC), its peak memory, vs cp to both drives + sync and cat.
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_BYTES, UPLOAD_DEPTH } from '../../../core/contract/contract.ts';
import { startServe, type ServeProcess } from '../../helpers/serve-process.ts';
import { connect, type TestClient } from '../../helpers/ws-client.ts';
import { encodeWireFrame } from '../../../core/contract/wire-codec.ts';
import { giveSlab } from '../../../core/fs/slab-pool.ts';
import { receiveBigIntoSlabs } from '../../../core/server/ws-big-messages.ts';
import type { BenchContext } from '../context.ts';
import { syncAll } from '../lab.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import type { BenchOptions } from '../options.ts';
import { fileBytes } from '../tree.ts';
import { q, sh } from '../tools.ts';

const MB = 1e6;
const MiB = 2 ** 20;

/** The size of the one file: 512 MiB, 64 MiB with --quick (bench.ts sizes the drives for it). */
export const bigFileBytes = (o: Pick<BenchOptions, 'quick'>) => (o.quick ? 64 : 512) * MiB;

/** The file as CHUNK_BYTES chunks of one pre-made pattern, first word set to the chunk's index: costs ~nothing to make. */
function* chunks(pattern: Uint8Array, size: number): Iterable<Uint8Array> {
  for (let off = 0, i = 0; off < size; off += CHUNK_BYTES, i++) {
    const c = pattern.subarray(0, Math.min(CHUNK_BYTES, size - off));
    new DataView(c.buffer, c.byteOffset).setUint32(0, i);
    yield c; // the caller uses (sends, hashes, writes) it before asking for the next
  }
}

/**
 * Sends the upload's chunks as a browser would, at a browser's cost. The client stands in for a browser on another
 * computer, whose masking runs in native code on its own CPU; ws's client masks in JavaScript into a new buffer per frame
 * and the codec encodes each chunk into new memory, which on this VM bounded the upload at ~100 MB/s with this process
 * 85 % busy (profiled: masking 28 %, encoding 23 %, the socket 21 %). So chunks go with a zero mask (ws's generateMask),
 * each encoded by the codec into one of a few frames reused once its reply is in: what the figure measures is serve.
 */
async function sendChunks(c: TestClient, upload: string, pattern: Uint8Array, size: number): Promise<void> {
  const frames: Buffer[] = [];
  const inFlight: Promise<Buffer>[] = [];
  let id = 1_000_000; // replies to ids the client did not make go to raw(), in order: uploadChunk answers in order
  for (const chunk of chunks(pattern, size)) {
    const memory = frames.pop() ?? Buffer.allocUnsafe(64 * 1024 + CHUNK_BYTES);
    const frame = encodeWireFrame({ id: id++, method: 'files.uploadChunk', args: [upload, chunk] }, (n) => memory.subarray(0, n)) as Uint8Array;
    inFlight.push(c.raw(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)).then((reply) => {
      if (!reply.result.ok) throw new Error(`files.uploadChunk: ${JSON.stringify(reply.result.error)}`);
      return memory; // sent and answered: free for the next chunk
    }));
    if (inFlight.length >= UPLOAD_DEPTH) frames.push(await inFlight.shift()!);
  }
  await Promise.all(inFlight);
}

/** A kB figure from /proc/<pid>/status (VmRSS, VmHWM), in MiB. */
async function procMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

async function call<T>(c: TestClient, method: string, ...args: unknown[]): Promise<T> {
  const r = await c.call(method, ...args);
  if (!r.ok) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

interface EngineRun { upMBps: number; downMBps: number; rssBefore: number; peak: number }

/** One serve process, one mirror, one upload and one download; the process is stopped (SIGTERM) before returning. */
async function engineRun(ctx: BenchContext, pattern: Uint8Array, size: number, sha: string): Promise<EngineRun & { cold: boolean }> {
  const config = await mkdtemp(join(tmpdir(), 'nasm-bench-s7-'));
  const a = await freshFolder(ctx.drives.fast, 's7a'), b = await freshFolder(ctx.drives.fast2, 's7b');
  let s: ServeProcess | undefined;
  let c: TestClient | undefined;
  try {
    s = await startServe(['--port', '0', '--config', config]);
    const origin = new URL(s.url).origin;
    c = await connect(`${origin.replace(/^http/, 'ws')}/rpc`, { origin, generateMask: (mask) => { mask.fill(0); } }); // see sendChunks
    receiveBigIntoSlabs(c.ws); // a download chunk is received into memory used before, as a browser's would be (RESULTS)
    await call(c, 'mirror.create', { members: [{ path: a }, { path: b }] });
    const pid = s.child.pid!;
    const rssBefore = await procMiB(pid, 'VmRSS');
    await syncAll();

    let t0 = performance.now();
    const up = await call<string>(c, 'files.uploadBegin', 'big.bin');
    // As the renderer does (transfer.ts): UPLOAD_DEPTH chunks in flight, so one travels while the drives write another.
    await sendChunks(c, up, pattern, size);
    await call(c, 'files.uploadCommit', up);
    const upMBps = size / MB / ((performance.now() - t0) / 1000);

    const cold = await ctx.cold();
    t0 = performance.now();
    const down = await call<{ id: string; size: number }>(c, 'files.downloadBegin', 'big.bin');
    if (down.size !== size) throw new Error(`downloadBegin says ${down.size} bytes, ${size} were uploaded`);
    const hash = createHash('sha256');
    let got = 0;
    let next = call<Uint8Array>(c, 'files.downloadChunk', down.id);
    for (;;) {
      const chunk = await next;
      if (chunk.byteLength === 0) break;
      next = call<Uint8Array>(c, 'files.downloadChunk', down.id); // ask for the next one, hash this one meanwhile
      hash.update(chunk);
      got += chunk.byteLength;
      giveSlab(chunk); // hashed: its memory takes the next chunk
    }
    const downMBps = got / MB / ((performance.now() - t0) / 1000);
    const gotSha = hash.digest('hex');
    if (got !== size || gotSha !== sha) throw new Error(`download differs from the upload: ${got} bytes sha256 ${gotSha}, expected ${size} bytes ${sha}`);

    const peak = await procMiB(pid, 'VmHWM');
    return { upMBps, downMBps, rssBefore, peak, cold };
  } finally {
    c?.close();
    if (s) {
      const code = await s.stop('SIGTERM');
      if (code !== 0) ctx.log(`  serve exited with ${code}: ${s.stderr().trim().split('\n').slice(-3).join(' | ')}`);
    }
    await Promise.all([removeFolder(a), removeFolder(b), rm(config, { recursive: true, force: true })]);
  }
}

export async function transfers(ctx: BenchContext): Promise<Row[]> {
  const size = bigFileBytes(ctx.opts);
  const pattern = fileBytes({ size: CHUNK_BYTES, seed: 77 });
  const src = join(await freshFolder(ctx.drives.peer, 's7src'), 'big.bin');
  const hash = createHash('sha256');
  const fh = await open(src, 'w');
  try { for (const c of chunks(pattern, size)) { hash.update(c); await fh.write(c); } } finally { await fh.close(); }
  const sha = hash.digest('hex');
  await syncAll();

  const runs = { up: [] as number[], down: [] as number[], rss: [] as number[], peak: [] as number[], growth: [] as number[], cp: [] as number[], cat: [] as number[] };
  const rate = (ms: number) => size / MB / (ms / 1000);
  let cold = true;
  try {
    for (let r = 0; r < ctx.opts.runs; r++) {
      const e = await engineRun(ctx, pattern, size, sha);
      cold &&= e.cold;
      runs.up.push(e.upMBps); runs.down.push(e.downMBps);
      runs.rss.push(e.rssBefore); runs.peak.push(e.peak); runs.growth.push(e.peak - e.rssBefore);

      const a = await freshFolder(ctx.drives.fast, 's7cp'), b = await freshFolder(ctx.drives.fast2, 's7cp');
      try {
        await syncAll();
        const t = await sh(`cp ${q(src)} ${q(a)}/ & p=$!; cp ${q(src)} ${q(b)}/ || exit 1; wait $p && sync`);
        runs.cp.push(rate(t.ms));
        cold &&= await ctx.cold();
        runs.cat.push(rate((await sh(`cat ${q(join(a, 'big.bin'))} > /dev/null`)).ms));
      } finally { await Promise.all([removeFolder(a), removeFolder(b)]); }
      ctx.log(`  run ${r + 1}: upload ${e.upMBps.toFixed(0)} MB/s, download ${e.downMBps.toFixed(0)} MB/s, serve RSS ${e.rssBefore.toFixed(0)} → peak ${e.peak.toFixed(0)} MiB; cp×2+sync ${runs.cp.at(-1)!.toFixed(0)} MB/s, cat ${runs.cat.at(-1)!.toFixed(0)} MB/s`);
    }
  } finally { await removeFolder(join(src, '..')); }

  const hi = { higherIsBetter: true };
  const file = `${size / MiB} MiB file`;
  const cache = cold ? 'cold cache (dropped before)' : 'warm cache (could not drop it)';
  return [
    row(7, 'engine', 'nas-mirror serve: WebSocket upload, fast + fast', 'upload MB/s (2 durable copies)', 'MB/s', runs.up,
      { ...hi, note: `${file} in ${CHUNK_BYTES / MiB} MiB chunks from a client process in binary frames (zero mask, reused frames: a browser's cost), ${UPLOAD_DEPTH} in flight, uploadBegin → uploadCommit resolved (durable on both members)` }),
    row(7, 'engine', 'nas-mirror serve: WebSocket download', 'download MB/s', 'MB/s', runs.down,
      { ...hi, note: `${file}, downloadBegin → empty chunk (engine checksum verified), binary frames, the next chunk asked for while this one is hashed; ${cache}; sha256 checked equal to the upload` }),
    row(7, 'engine', 'nas-mirror serve process', 'RSS before upload', 'MiB', runs.rss, { note: 'VmRSS of the serve process after mirror.create (whole process incl. tsx)' }),
    row(7, 'engine', 'nas-mirror serve process', `peak RSS (${file} up + down)`, 'MiB', runs.peak, { note: 'VmHWM after the upload and the download' }),
    row(7, 'engine', 'nas-mirror serve process', `peak RSS growth (${file} up + down)`, 'MiB', runs.growth, { note: `peak − RSS before, to compare with the ${file} (${CHUNK_BYTES / MiB} MiB chunks)` }),
    row(7, 'peer', 'cp to both drives at once + sync', 'upload MB/s (2 durable copies)', 'MB/s', runs.cp,
      { ...hi, note: `the same ${file} from the peer image (warm: just written), two cp in parallel, then sync` }),
    row(7, 'peer', 'cat file > /dev/null', 'download MB/s', 'MB/s', runs.cat, { ...hi, note: `one cp'd copy on the first member's drive; ${cache}` }),
  ];
}
