// Scenario 6: open time and resident memory of a mirror of the seeded tree (1,000,000 files with --files), scrub vs sha256sum.
import type { BenchContext } from '../context.ts';
import { row, type Row } from '../measure.ts';
import { NOT_INSTALLED, has, q, run, sh } from '../tools.ts';

interface Child { openMs: number; rssBefore: number; rssAfter: number; rssPeak: number; scrub: { ms: number; mismatches: number } | { error: string } | null }

export async function scale(ctx: BenchContext): Promise<Row[]> {
  const { a, b } = await ctx.seeded();
  const members = JSON.stringify([{ path: a }, { path: b, writeMostly: true }]);
  const runs = { open: [] as number[], rss: [] as number[], rssDelta: [] as number[], scrub: [] as number[], sha: [] as number[] };
  let scrubError = '';
  const dataMB = (2 * ctx.tree.bytes) / 1e6; // both members' files are read
  for (let r = 0; r < ctx.opts.runs; r++) {
    const cold = await ctx.cold();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/bench/open-child.ts', members, 'scrub', ...(cold ? ['cold'] : [])]);
    const c = JSON.parse(stdout.trim().split('\n').at(-1)!) as Child;
    runs.open.push(c.openMs); runs.rss.push(c.rssAfter / 2 ** 20); runs.rssDelta.push((c.rssAfter - c.rssBefore) / 2 ** 20);
    if (c.scrub && 'ms' in c.scrub) runs.scrub.push(dataMB / (c.scrub.ms / 1000)); else scrubError = c.scrub?.error ?? 'not run';
    if (await has('sha256sum')) {
      await ctx.cold();
      const t = await sh(`find ${q(a)} ${q(b)} -type f -not -path '*/.nas-mirror/*' -print0 | xargs -0 -P1 sha256sum > /dev/null`);
      runs.sha.push(dataMB / (t.ms / 1000));
    }
  }
  const n = ctx.tree.files.length;
  const hi = { higherIsBetter: true };
  return [
    row(6, 'engine', 'nas-mirror assembleMirror (child process, cold cache)', `open time @ ${n} files`, 'ms', runs.open, { note: 'both manifests hold every file (recorded when the bench seeded the tree)' }),
    row(6, 'engine', 'nas-mirror assembleMirror (child process, cold cache)', `RSS after open @ ${n} files`, 'MiB', runs.rss, { note: 'whole process incl. tsx' }),
    row(6, 'engine', 'nas-mirror assembleMirror (child process, cold cache)', `RSS growth during open @ ${n} files`, 'MiB', runs.rssDelta),
    runs.scrub.length ? row(6, 'engine', 'nas-mirror scrub (check)', 'MB/s read (both members)', 'MB/s', runs.scrub, { ...hi, note: 'timed once the open\'s look for outside changes is done, cache dropped again before it' })
      : row(6, 'engine', 'nas-mirror scrub (check)', 'MB/s read (both members)', 'MB/s', `not yet implemented (${scrubError})`),
    (await has('sha256sum')) ? row(6, 'peer', 'sha256sum over both members (find | xargs, 1 process)', 'MB/s read (both members)', 'MB/s', runs.sha, { ...hi, note: 'cold cache' })
      : row(6, 'peer', 'sha256sum', 'MB/s read (both members)', 'MB/s', NOT_INSTALLED),
  ];
}
