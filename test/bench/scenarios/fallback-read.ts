// Scenario 5: reads that fall back to the write-mostly drive after the fast one fails — with and without a pending behind write.
import { createMirror } from '../../../core/index.ts';
import type { BenchContext } from '../context.ts';
import { median, row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import { fileBytes } from '../tree.ts';

const USB2 = { latencyMs: 5, bytesPerSecond: 30e6 };
const SIZE = 256 << 10;

/** One sample on a fresh small mirror: a normal read, then the fast member fails, then the two fallback reads. */
async function sample(ctx: BenchContext, i: number): Promise<{ normal: number; pending: number; none: number; waited: number }> {
  const a = await freshFolder(ctx.drives.fast, 's5a'), b = await freshFolder(ctx.drives.slow, 's5b');
  const m = await createMirror({ members: [{ path: a }, { path: b, writeMostly: true, throttle: USB2 }] });
  try {
    await m.writeFile('f.bin', fileBytes({ size: SIZE, seed: i }));
    await m.drain();
    const time = async (p: string) => { const t0 = performance.now(); await m.readFile(p); return performance.now() - t0; };
    const normal = await time('f.bin');
    await m.writeFile('p.bin', fileBytes({ size: SIZE, seed: i + 1 })); // acknowledged by the fast member; behind on the USB drive
    let waited = NaN;
    const off = m.onEvent((e) => { if (e.type === 'read-fallback-done' && e.path === 'p.bin') waited = e.waitedMs; });
    const fast = m.status().members.find((x) => !x.writeMostly)!.id;
    const failing = m.failMember(fast); // faulty at once; its superblock write queues on the USB drive too
    const pending = await time('p.bin');
    await failing;
    const none = await time('f.bin');
    off();
    return { normal, pending, none, waited };
  } finally {
    await m.stop();
    await Promise.all([removeFolder(a), removeFolder(b)]);
  }
}

export async function fallbackRead(ctx: BenchContext): Promise<Row[]> {
  const perRun = ctx.opts.quick ? 3 : 10;
  const runs = { normal: [] as number[], pending: [] as number[], none: [] as number[], waited: [] as number[] };
  for (let r = 0; r < ctx.opts.runs; r++) {
    const s = [];
    for (let i = 0; i < perRun; i++) s.push(await sample(ctx, r * 100 + i));
    for (const k of ['normal', 'pending', 'none', 'waited'] as const) runs[k].push(median(s.map((x) => x[k])));
  }
  const note = `median of ${perRun} samples per run, each on a fresh mirror; USB-2 member throttled to 30 MB/s + 5 ms/op`;
  const device = (USB2.latencyMs + (SIZE / USB2.bytesPerSecond) * 1000);
  return [
    row(5, 'peer', 'normal read (fast member)', 'read latency', 'ms', runs.normal, { note: 'warm page cache' }),
    row(5, 'engine', 'fallback read, no pending behind write', 'read latency', 'ms', runs.none, { note }),
    row(5, 'engine', 'fallback read, one pending behind write', 'read latency', 'ms', runs.pending, { note: 'the read waits for the behind write of the same path (and the fault superblock queued after it)' }),
    row(5, 'engine', 'fallback read, one pending behind write', 'read-fallback-done waitedMs', 'ms', runs.waited),
    row(5, 'limit', 'modelled USB-2 device time for one 256 KiB op', 'read latency', 'ms', [device], { note: '5 ms + 256 KiB / 30 MB/s' }),
  ];
}
