// The disk's raw limit for scenario 1: fio (or dd oflag=dsync) writes of 4 KiB / 256 KiB, each followed by fsync.
import type { BenchContext } from '../context.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import { has, q, run, sh } from '../tools.ts';

interface FioJob { write: { clat_ns: { percentile?: Record<string, number> } }; sync: { lat_ns: { percentile?: Record<string, number> } } }

/** p50/p99 of one write + its fsync, from fio's percentiles (write clat + sync lat: an upper-bound approximation). */
async function fioRun(dir: string, bs: number, count: number): Promise<{ p50: number; p99: number }> {
  const { stdout } = await run('fio', ['--name=ack', `--directory=${dir}`, '--rw=write', `--bs=${bs}`, `--size=${bs * count}`,
    '--fsync=1', '--ioengine=sync', '--end_fsync=1', '--output-format=json', '--percentile_list=50:99']);
  const job = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: FioJob[] }).jobs[0]!;
  const pick = (p: Record<string, number> | undefined, k: string) => (p?.[k] ?? 0) / 1e6;
  const w = job.write.clat_ns.percentile, s = job.sync.lat_ns.percentile;
  return { p50: pick(w, '50.000000') + pick(s, '50.000000'), p99: pick(w, '99.000000') + pick(s, '99.000000') };
}

export async function fioSyncWrite(ctx: BenchContext, w: { small: number; large: number }): Promise<Row[]> {
  const tool = '(c) fio write+fsync, same filesystem';
  const runs = { s50: [] as number[], s99: [] as number[], l50: [] as number[], l99: [] as number[] };
  if (await has('fio')) {
    for (let r = 0; r < ctx.opts.runs; r++) {
      const dir = await freshFolder(ctx.drives.fast, 's1fio');
      try {
        const s = await fioRun(dir, 4096, w.small);
        const l = await fioRun(dir, 256 << 10, w.large);
        runs.s50.push(s.p50); runs.s99.push(s.p99); runs.l50.push(l.p50); runs.l99.push(l.p99);
      } finally { await removeFolder(dir); }
    }
    const note = 'one file, write then fsync per block; p = write clat p + fsync p';
    return [row(1, 'limit', tool, '4 KiB ack p50', 'ms', runs.s50, { note }), row(1, 'limit', tool, '4 KiB ack p99', 'ms', runs.s99),
      row(1, 'limit', tool, '256 KiB ack p50', 'ms', runs.l50), row(1, 'limit', tool, '256 KiB ack p99', 'ms', runs.l99)];
  }
  // No fio: dd with O_DSYNC gives only a mean per write.
  const ddTool = '(c) dd oflag=dsync, same filesystem (mean)';
  for (let r = 0; r < ctx.opts.runs; r++) {
    const dir = await freshFolder(ctx.drives.fast, 's1dd');
    try {
      const s = await sh(`dd if=/dev/zero of=${q(dir + '/s')} bs=4k count=${w.small} oflag=dsync status=none`);
      const l = await sh(`dd if=/dev/zero of=${q(dir + '/l')} bs=256k count=${w.large} oflag=dsync status=none`);
      runs.s50.push(s.ms / w.small); runs.l50.push(l.ms / w.large);
    } finally { await removeFolder(dir); }
  }
  return [row(1, 'limit', ddTool, '4 KiB ack p50', 'ms', runs.s50, { note: 'fio not installed: mean of dd oflag=dsync' }),
    row(1, 'limit', ddTool, '256 KiB ack p50', 'ms', runs.l50)];
}
