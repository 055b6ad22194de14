// Scenario 2: sustained throughput of 64 MiB files streamed in, vs dd conv=fsync (one and two copies) and rsync --fsync.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, type MemberSpec } from '../../../core/index.ts';
import type { BenchContext } from '../context.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import { syncAll } from '../lab.ts';
import { fileBytes } from '../tree.ts';
import { NOT_INSTALLED, has, q, sh } from '../tools.ts';

const FILE = 64 << 20;
const CHUNK = 1 << 20;
const MB = 1e6;

/** 1 MiB chunks of one pre-made pattern, first word varied per file and chunk, so generating costs ~nothing. */
async function* stream(pattern: Uint8Array, file: number): AsyncIterable<Uint8Array> {
  for (let off = 0; off < FILE; off += CHUNK) {
    const c = pattern.subarray(off, off + CHUNK);
    new DataView(c.buffer, c.byteOffset).setUint32(0, file * 1000 + off / CHUNK);
    yield c;
  }
}

async function engineRun(pattern: Uint8Array, a: string, b: MemberSpec, files: number): Promise<number> {
  const m = await createMirror({ members: [{ path: a }, b] });
  try {
    await m.mkdir('big');
    const t0 = performance.now();
    for (let i = 0; i < files; i++) await m.writeFile(`big/file-${i}.bin`, stream(pattern, i));
    await m.drain();
    return (files * FILE) / MB / ((performance.now() - t0) / 1000);
  } finally { await m.stop(); }
}

async function writeSource(dir: string, pattern: Uint8Array, files: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const fh = await open(join(dir, `file-${i}.bin`), 'w');
    try { for await (const c of stream(pattern, i)) await fh.write(c); } finally { await fh.close(); }
  }
}

export async function throughput(ctx: BenchContext): Promise<Row[]> {
  const files = Math.max(1, Math.round(ctx.opts.streamBytes / FILE));
  const slowFiles = Math.min(files, ctx.opts.quick ? 1 : 4); // 256 MiB at 30 MB/s is already ~9 s a run
  const pattern = fileBytes({ size: FILE, seed: 7 });
  const rate = (ms: number, n = files) => (n * FILE) / MB / (ms / 1000);
  const runs: Record<string, number[]> = { ff: [], wm: [], dd: [], dd2: [], rsync: [] };
  const src = join(ctx.drives.peer, `s2-src-${process.pid}`);
  await writeSource(src, pattern, files);
  await syncAll();
  try {
    for (let r = 0; r < ctx.opts.runs; r++) {
      const a = await freshFolder(ctx.drives.fast, 's2a'), b = await freshFolder(ctx.drives.fast2, 's2b');
      try { runs.ff!.push(await engineRun(pattern, a, { path: b }, files)); } finally { await Promise.all([removeFolder(a), removeFolder(b)]); }
      const a2 = await freshFolder(ctx.drives.fast, 's2a'), w = await freshFolder(ctx.drives.slow, 's2w');
      try {
        runs.wm!.push(await engineRun(pattern, a2, { path: w, writeMostly: true, throttle: { latencyMs: 5, bytesPerSecond: 30e6 } }, slowFiles));
      } finally { await Promise.all([removeFolder(a2), removeFolder(w)]); }
      const dd = (dir: string) => `for i in $(seq 1 ${files}); do dd if=/dev/zero of=${q(dir)}/f$i bs=4M count=${FILE >> 22} conv=fsync status=none || exit 1; done`;
      const d1 = await freshFolder(ctx.drives.fast, 's2dd'), d2 = await freshFolder(ctx.drives.fast2, 's2dd');
      try {
        await syncAll();
        runs.dd!.push(rate((await sh(dd(d1))).ms));
        await removeFolder(d1); await syncAll();
        runs.dd2!.push(rate((await sh(`(${dd(d1)}) & (${dd(d2)}) & wait`)).ms));
      } finally { await Promise.all([removeFolder(d1), removeFolder(d2)]); }
      if (await has('rsync')) {
        const dst = await freshFolder(ctx.drives.fast, 's2rsync');
        try { await syncAll(); runs.rsync!.push(rate((await sh(`rsync -a --fsync ${q(src)}/ ${q(dst)}/`)).ms)); } finally { await removeFolder(dst); }
      }
      ctx.log(`  run ${r + 1}: mirror ${runs.ff!.at(-1)!.toFixed(0)} MB/s, dd ${runs.dd!.at(-1)!.toFixed(0)} MB/s, dd×2 ${runs.dd2!.at(-1)!.toFixed(0)} MB/s`);
    }
  } finally { await removeFolder(src); }
  ctx.shared.ddWriteMBps = runs.dd!.length ? runs.dd!.sort((x, y) => x - y)[runs.dd!.length >> 1] : undefined;
  const hi = { higherIsBetter: true };
  const total = `${((files * FILE) / 2 ** 30).toFixed(2)} GiB`;
  return [
    row(2, 'engine', 'nas-mirror: fast + fast (2 images)', 'client MB/s', 'MB/s', runs.ff!, { ...hi, note: `${total} in ${files} files; each byte lands on 2 images of one virtio disk` }),
    row(2, 'engine', 'nas-mirror: fast + write-mostly USB-2 (30 MB/s)', 'client MB/s', 'MB/s', runs.wm!,
      { ...hi, note: `${slowFiles} file(s) only: files > 16 MiB are never written behind, so the USB drive sets the pace` }),
    row(2, 'limit', 'dd conv=fsync, 1 copy (same fs)', 'client MB/s', 'MB/s', runs.dd!, { ...hi, note: 'if=/dev/zero bs=4M, one dd per 64 MiB file' }),
    row(2, 'limit', 'dd conv=fsync, 2 copies at once (both images)', 'client MB/s', 'MB/s', runs.dd2!, { ...hi, note: 'the limit for a 2-member mirror: MB/s of client data' }),
    (await has('rsync')) ? row(2, 'peer', 'rsync -a --fsync (1 copy)', 'client MB/s', 'MB/s', runs.rsync!, { ...hi, note: 'warm source on another image' }) : row(2, 'peer', 'rsync -a --fsync', 'client MB/s', 'MB/s', NOT_INSTALLED),
  ];
}
