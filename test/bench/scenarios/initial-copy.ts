// Scenario 3: a new member's full resync of the seeded tree vs cp -a, rsync -a, rsync -a --fsync, rclone sync.
import type { BenchContext } from '../context.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder, seededMirror, untilInSync } from '../mirror-setup.ts';
import { syncAll } from '../lab.ts';
import { NOT_INSTALLED, has, q, sh } from '../tools.ts';

interface Peer { tool: string; needs: string; cmd: (src: string, dst: string) => string }

/** Each peer's time includes a final `sync -f` of the target, so every copy is on disk when the clock stops. */
const PEERS: Peer[] = [
  { tool: 'cp -a', needs: 'cp', cmd: (s, d) => `cp -a ${q(s)}/. ${q(d)}/ && rm -rf ${q(d)}/.nas-mirror` },
  { tool: 'rsync -a', needs: 'rsync', cmd: (s, d) => `rsync -a --exclude=/.nas-mirror ${q(s)}/ ${q(d)}/` },
  { tool: 'rsync -a --fsync', needs: 'rsync', cmd: (s, d) => `rsync -a --fsync --exclude=/.nas-mirror ${q(s)}/ ${q(d)}/` },
  { tool: 'rclone sync', needs: 'rclone', cmd: (s, d) => `rclone sync --exclude '/.nas-mirror/**' ${q(s)} ${q(d)}` },
];

export async function initialCopy(ctx: BenchContext): Promise<Row[]> {
  const a = await freshFolder(ctx.drives.fast, 's3a'), b = await freshFolder(ctx.drives.slow, 's3b');
  const m = await seededMirror({ path: a }, { path: b, writeMostly: true }, ctx.tree);
  const runs: Record<string, number[]> = { engine: [], ...Object.fromEntries(PEERS.map((p) => [p.tool, []])) };
  try {
    for (let r = 0; r < ctx.opts.runs; r++) {
      const target = await freshFolder(ctx.drives.fast2, 's3new');
      await ctx.cold();
      const t0 = performance.now();
      const id = await m.addMember({ path: target, label: `new-${r}` });
      await untilInSync(m, id);
      runs.engine!.push((performance.now() - t0) / 1000);
      await m.eject(id);
      await removeFolder(target);
      for (const p of PEERS) {
        if (!(await has(p.needs))) continue;
        const dst = await freshFolder(ctx.drives.fast2, 's3peer');
        try {
          await ctx.cold();
          const t = await sh(`${p.cmd(a, dst)} && sync -f ${q(dst)}`);
          runs[p.tool]!.push(t.ms / 1000);
        } finally { await removeFolder(dst); }
      }
      await syncAll();
      ctx.log(`  run ${r + 1}: ${Object.entries(runs).map(([k, v]) => `${k} ${v.at(-1)?.toFixed(1) ?? '-'} s`).join(', ')}`);
    }
  } finally {
    await m.stop();
    await Promise.all([removeFolder(a), removeFolder(b)]);
  }
  const mib = (ctx.tree.bytes / 2 ** 20).toFixed(0);
  const rows: Row[] = [row(3, 'engine', 'nas-mirror addMember (full resync)', 'time', 's', runs.engine!, { note: `${ctx.tree.files.length} files, ${mib} MiB, cold cache; until the member is in_sync` })];
  for (const p of PEERS) rows.push((await has(p.needs)) ? row(3, 'peer', p.tool, 'time', 's', runs[p.tool]!, { note: 'incl. final sync -f' }) : row(3, 'peer', p.tool, 'time', 's', NOT_INSTALLED));
  if (ctx.shared.ddWriteMBps) {
    const s = ctx.tree.bytes / 1e6 / ctx.shared.ddWriteMBps;
    rows.push(row(3, 'limit', 'disk limit: tree bytes at dd MB/s (scenario 2)', 'time', 's', [s], { note: 'derived, data only: no per-file cost' }));
  }
  return rows;
}
