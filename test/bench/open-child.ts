// Child process for scenario 6: opens a mirror cold, reports open time and resident memory, then times a scrub (JSON on stdout).
import { assembleMirror } from '../../core/index.ts';

const members = JSON.parse(process.argv[2]!) as { path: string; writeMostly?: boolean }[];
const doScrub = process.argv[3] === 'scrub';
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const m = await assembleMirror({ members });
const openMs = performance.now() - t0;
const rssAfter = process.memoryUsage().rss;
let scrub: { ms: number; checkedPaths: number; mismatches: number } | { error: string } | null = null;
if (doScrub) {
  try {
    const s0 = performance.now();
    const r = await m.scrub({ repair: false });
    scrub = { ms: performance.now() - s0, checkedPaths: r.checkedPaths, mismatches: r.mismatches };
  } catch (e) {
    scrub = { error: (e as Error).message };
  }
}
const rssPeak = process.memoryUsage().rss;
await m.stop();
console.log(JSON.stringify({ openMs, rssBefore, rssAfter, rssPeak, scrub }));
