// The bench driver: lab, tree, each chosen scenario in turn, tables on stdout, results on disk. Used by run.ts and the smoke test.
import type { BenchContext, Drives, Scenario } from './context.ts';
import { openLab } from './lab.ts';
import { describeMachine } from './machine.ts';
import { printTable, type Row } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { TITLES, writeResults, type BenchResult } from './report.ts';
import { freshFolder, seededMirror } from './mirror-setup.ts';
import { ackLatency } from './scenarios/ack-latency.ts';
import { catchUp } from './scenarios/catch-up.ts';
import { fallbackRead } from './scenarios/fallback-read.ts';
import { scale } from './scenarios/scale.ts';
import { initialCopy } from './scenarios/initial-copy.ts';
import { throughput } from './scenarios/throughput.ts';
import { bigFileBytes, transfers } from './scenarios/transfers.ts';
import { davBigBytes, davSmallBytes, webdav } from './scenarios/webdav.ts';
import { mountBigBytes, mountSmb } from './scenarios/mount-smb.ts';
import { treeSpec } from './tree.ts';
import { toolVersions } from './tools.ts';

const SCENARIOS: Record<number, Scenario> = {
  1: ackLatency,
  2: throughput,
  3: initialCopy,
  4: catchUp,
  5: fallbackRead,
  6: scale,
  7: transfers,
  8: webdav,
  9: mountSmb,
};

/** Image sizes (sparse, so only what is written takes space): room for 4 trees, 2 streams, 2 big files and the inodes of the tree. */
function driveMiB(o: BenchOptions, treeBytes: number): number {
  const big = (o.scenarios.includes(7) ? 2 * bigFileBytes(o) : 0) + (o.scenarios.includes(8) ? 2 * (davBigBytes(o) + davSmallBytes(o)) : 0)
    + (o.scenarios.includes(9) ? 3 * mountBigBytes(o) : 0);
  const data = (4 * treeBytes + o.files * 8192 + 2 * o.streamBytes + big) / 2 ** 20;
  const inodes = (o.files * 4 * 16384) / 2 ** 20; // mkfs.ext4 gives one inode per 16 KiB
  return Math.ceil(Math.max(1024, data, inodes) * 1.25);
}

export async function runBench(opts: BenchOptions, o: { onCleanup?: (fn: () => Promise<void>) => void } = {}): Promise<BenchResult> {
  const started = new Date();
  const log = (msg: string) => console.log(msg);
  const lab = await openLab({ noLoop: opts.noLoop });
  o.onCleanup?.(() => lab.cleanup());
  const notes: string[] = [];
  let dropped: boolean | null = null;
  try {
    const tree = treeSpec(opts.files, opts.folders, opts.seed);
    const size = driveMiB(opts, tree.bytes);
    const drives: Drives = {
      fast: await lab.drive('fast', size), fast2: await lab.drive('fast2', size),
      slow: await lab.drive('slow', size), peer: await lab.drive('peer', size),
    };
    const machine = await describeMachine();
    log(`NAS Mirror bench — ${opts.files} files in ${opts.folders} folders (${(tree.bytes / 2 ** 20).toFixed(0)} MiB), ${opts.runs} run(s) each${opts.quick ? ', --quick' : ''}`);
    log(`drives: ${lab.why}${lab.kind === 'loop' ? ` (${size} MiB each)` : ''}`);
    log(`machine: ${machine.nproc} vCPU, ${machine.memory}, kernel ${machine.kernel}, ${machine.disk}, Node ${machine.node}, load ${machine.load}`);
    let seeded: Promise<{ a: string; b: string }> | undefined;
    const seed = async () => {
      const t0 = performance.now();
      const a = await freshFolder(drives.fast, 'seedA'), b = await freshFolder(drives.slow, 'seedB');
      const m = await seededMirror({ path: a }, { path: b, writeMostly: true }, tree);
      // The files were written beside the engine: a scrub records each (the same on both drives) in both manifests,
      // as an adoption would, so that scenario 6 opens real manifests, not empty ones.
      const recorded = await m.scrub({ repair: false });
      await m.stop();
      if (recorded.mismatches > 0) throw new Error(`seeding: the scrub found ${recorded.mismatches} differences`);
      log(`  (seeded a ${tree.files.length}-file mirror in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      return { a, b };
    };
    const ctx: BenchContext = {
      opts, lab, drives, tree, log, shared: {},
      seeded: () => (seeded ??= seed()),
      cold: async () => { const ok = await lab.dropCaches(); dropped = (dropped ?? true) && ok; return ok; },
    };
    const rows: Row[] = [];
    for (const n of opts.scenarios) {
      const scenario = SCENARIOS[n];
      if (!scenario) { notes.push(`scenario ${n}: not built`); continue; }
      log(`\n== ${TITLES[n]}`);
      const t0 = performance.now();
      try {
        const got = await scenario(ctx);
        rows.push(...got);
        printTable(`${TITLES[n]} (${((performance.now() - t0) / 1000).toFixed(0)} s)`, got);
      } catch (e) {
        notes.push(`scenario ${n} failed: ${(e as Error).message}`);
        console.error(`scenario ${n} failed:`, e);
      }
    }
    const pageCache = dropped === null ? 'not dropped (no cold runs)' : dropped
      ? 'dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each cold run: scenarios 3, 4, 6, 7, 8 and 9'
      : 'could not be dropped (not root): cold runs are warm';
    const res: BenchResult = {
      startedAt: started.toISOString(), durationS: (Date.now() - started.getTime()) / 1000, machine,
      lab: `${lab.kind}: ${lab.why}`, pageCache, options: { ...opts }, tools: await toolVersions(), rows, notes,
    };
    if (opts.outDir) await writeResults(opts.outDir, res);
    for (const n of notes) log(`note: ${n}`);
    log(`\ndone in ${res.durationS.toFixed(0)} s${opts.outDir ? `; wrote ${opts.outDir}/results/latest.json and ${opts.outDir}/RESULTS.md` : ''}`);
    return res;
  } finally {
    await lab.cleanup();
  }
}
