// Scenario 4: catch-up after re-plug (eject, 50 changed + 10 added + 10 deleted, re-add) vs rsync --delete, unison, rclone.
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleMirror, type Mirror } from '../../../core/index.ts';
import type { BenchContext } from '../context.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder, untilInSync } from '../mirror-setup.ts';
import { prng, fileBytes, type TreeFile } from '../tree.ts';
import { NOT_INSTALLED, has, q, sh } from '../tools.ts';

interface Peer { tool: string; needs: string; cmd: (src: string, dst: string, unisonDir: string) => string }

const PEERS: Peer[] = [
  { tool: 'rsync -a --delete', needs: 'rsync', cmd: (s, d) => `rsync -a --delete --exclude=/.nas-mirror ${q(s)}/ ${q(d)}/` },
  // unison exits 1 when it skipped nothing but had nothing to do on some paths; 2+ is a failure.
  { tool: 'unison -batch', needs: 'unison', cmd: (s, d, u) => `UNISON=${q(u)} unison ${q(s)} ${q(d)} -batch -auto -times -perms 0 -confirmbigdel=false -ignore 'Path .nas-mirror' -silent; [ $? -le 1 ]` },
  { tool: 'rclone sync', needs: 'rclone', cmd: (s, d) => `rclone sync --exclude '/.nas-mirror/**' ${q(s)} ${q(d)}` },
];

/** The change made while the member is away: deterministic per run, never touching a path deleted earlier. */
async function change(m: Mirror, alive: TreeFile[], run: number): Promise<{ added: string; deleted: string }> {
  const rnd = prng(1000 + run);
  const pick = () => alive.splice(Math.floor(rnd() * alive.length), 1)[0]!;
  const modified = Array.from({ length: 50 }, pick);
  for (const f of modified) await m.writeFile(f.path, fileBytes(f, run + 1));
  alive.push(...modified);
  const deleted = Array.from({ length: 10 }, pick);
  for (const f of deleted) await m.remove(f.path);
  let added = '';
  for (let k = 0; k < 10; k++) {
    const base = alive[Math.floor(rnd() * alive.length)]!;
    const f = { path: base.path.replace(/file-(\d+)\.bin$/, `new-${run}-${k}.bin`), size: base.size, seed: base.seed + 17 };
    await m.writeFile(f.path, fileBytes(f));
    alive.push(f);
    added = f.path;
  }
  return { added, deleted: deleted[0]!.path };
}

const exists = (p: string) => access(p).then(() => true, () => false);

export async function catchUp(ctx: BenchContext): Promise<Row[]> {
  const { a, b } = await ctx.seeded();
  const peers = [];
  for (const p of PEERS) if (await has(p.needs)) peers.push(p);
  const unisonDir = await freshFolder(ctx.drives.peer, 's4unison-archive');
  const copies = new Map<string, string>();
  for (const p of peers) {
    const dst = await freshFolder(ctx.drives.peer, 's4peer');
    await sh(`cp -a ${q(a)}/. ${q(dst)}/ && rm -rf ${q(dst)}/.nas-mirror`);
    copies.set(p.tool, dst);
    if (p.needs === 'unison') { await mkdir(unisonDir, { recursive: true }); await sh(p.cmd(a, dst, unisonDir)); } // builds unison's archive
  }
  const m = await assembleMirror({ members: [{ path: a }, { path: b, writeMostly: true }] });
  const runs: Record<string, number[]> = { engine: [], ...Object.fromEntries(peers.map((p) => [p.tool, []])) };
  const alive = [...ctx.tree.files];
  try {
    for (let r = 0; r < ctx.opts.runs; r++) {
      const bId = m.status().members.find((x) => x.writeMostly && x.state !== 'removed')!.id;
      await m.eject(bId);
      const probe = await change(m, alive, r);
      await ctx.cold();
      const t0 = performance.now();
      const id = await m.addMember({ path: b, writeMostly: true });
      await untilInSync(m, id);
      runs.engine!.push((performance.now() - t0) / 1000);
      if (!(await exists(join(b, probe.added))) || (await exists(join(b, probe.deleted)))) throw new Error('catch-up left the member different from the fast one');
      for (const p of peers) {
        await ctx.cold();
        runs[p.tool]!.push((await sh(`${p.cmd(a, copies.get(p.tool)!, unisonDir)} && sync -f ${q(copies.get(p.tool)!)}`)).ms / 1000);
      }
      ctx.log(`  run ${r + 1}: ${Object.entries(runs).map(([k, v]) => `${k} ${v.at(-1)?.toFixed(2) ?? '-'} s`).join(', ')}`);
    }
  } finally {
    await m.stop();
    for (const d of [...copies.values(), unisonDir]) await removeFolder(d);
  }
  const n = ctx.tree.files.length;
  const rows: Row[] = [row(4, 'engine', 'nas-mirror eject → change → addMember (in-process re-add)', `time @ ${n} files`, 's', runs.engine!,
    { note: 'cold cache; until in_sync; copies only the 70 dirty paths' })];
  for (const p of PEERS) {
    rows.push(peers.includes(p) ? row(4, 'peer', p.tool, `time @ ${n} files`, 's', runs[p.tool]!, { note: 'cold cache, incl. final sync -f' })
      : row(4, 'peer', p.tool, `time @ ${n} files`, 's', NOT_INSTALLED));
  }
  return rows;
}
