// Scenario 1: ack latency of small writes with a slow write-mostly backup drive, vs fast-only, write-behind off, and fio.
import { createMirror, type MemberSpec, type Mirror } from '../../../core/index.ts';
import type { BenchContext } from '../context.ts';
import { percentile, row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import { fileBytes } from '../tree.ts';
import { fioSyncWrite } from './fio.ts';

const USB2 = { latencyMs: 5, bytesPerSecond: 30e6 };

interface Workload { small: number; large: number }
const workload = (quick: boolean): Workload => (quick ? { small: 50, large: 10 } : { small: 1000, large: 200 });

/** Writes the workload one at a time (each awaited: an ack latency is one client waiting) and returns latencies. */
async function writeAll(m: Mirror, w: Workload): Promise<{ small: number[]; large: number[]; drainMs: number }> {
  for (let d = 0; d < 10; d++) await m.mkdir(`w${d}`);
  const lat = async (n: number, size: number, tag: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const data = fileBytes({ size, seed: i + size });
      const t0 = performance.now();
      await m.writeFile(`w${i % 10}/${tag}-${i}.bin`, data);
      out.push(performance.now() - t0);
    }
    return out;
  };
  const small = await lat(w.small, 4096, 's');
  const large = await lat(w.large, 256 << 10, 'l');
  const t0 = performance.now();
  await m.drain();
  return { small, large, drainMs: performance.now() - t0 };
}

interface Config { tool: string; role: Row['role']; second: 'slow' | 'fast2'; writeMostly: boolean; maxBehindWrites?: number; note?: string }

export async function ackLatency(ctx: BenchContext): Promise<Row[]> {
  const w = workload(ctx.opts.quick);
  const configs: Config[] = [
    { tool: 'nas-mirror: fast + write-mostly USB-2 (30 MB/s, 5 ms/op)', role: 'engine', second: 'slow', writeMostly: true },
    { tool: '(a) nas-mirror: fast + fast (no slow drive)', role: 'peer', second: 'fast2', writeMostly: false,
      note: 'a 1-member mirror is refused; two unthrottled images stand for "the fast member alone"' },
    { tool: '(b) nas-mirror: fast + USB-2, maxBehindWrites 0', role: 'peer', second: 'slow', writeMostly: true, maxBehindWrites: 0 },
  ];
  const rows: Row[] = [];
  for (const c of configs) {
    const runs = { s50: [] as number[], s99: [] as number[], l50: [] as number[], l99: [] as number[], drain: [] as number[] };
    for (let r = 0; r < ctx.opts.runs; r++) {
      const a = await freshFolder(ctx.drives.fast, 's1a');
      const b = await freshFolder(c.second === 'slow' ? ctx.drives.slow : ctx.drives.fast2, 's1b');
      const second: MemberSpec = { path: b, writeMostly: c.writeMostly, ...(c.second === 'slow' ? { throttle: USB2 } : {}) };
      const m = await createMirror({ members: [{ path: a }, second], ...(c.maxBehindWrites !== undefined ? { maxBehindWrites: c.maxBehindWrites } : {}) });
      try {
        const res = await writeAll(m, w);
        runs.s50.push(percentile(res.small, 50)); runs.s99.push(percentile(res.small, 99));
        runs.l50.push(percentile(res.large, 50)); runs.l99.push(percentile(res.large, 99));
        runs.drain.push(res.drainMs);
        ctx.log(`  ${c.tool} run ${r + 1}: 4K p50 ${percentile(res.small, 50).toFixed(2)} ms, p99 ${percentile(res.small, 99).toFixed(2)} ms; drain ${res.drainMs.toFixed(0)} ms`);
      } finally {
        await m.stop();
        await Promise.all([removeFolder(a), removeFolder(b)]);
      }
    }
    const o = c.note ? { note: c.note } : {};
    rows.push(row(1, c.role, c.tool, '4 KiB ack p50', 'ms', runs.s50, o), row(1, c.role, c.tool, '4 KiB ack p99', 'ms', runs.s99),
      row(1, c.role, c.tool, '256 KiB ack p50', 'ms', runs.l50), row(1, c.role, c.tool, '256 KiB ack p99', 'ms', runs.l99),
      row(1, c.role, c.tool, 'behind drain after last ack', 'ms', runs.drain));
  }
  rows.push(...(await fioSyncWrite(ctx, w)));
  return rows;
}
