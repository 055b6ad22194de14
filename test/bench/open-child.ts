// Child process for scenario 6: opens a mirror cold, reports open time and resident memory, then times a scrub (JSON on stdout).
//   open-child.ts MEMBERS_JSON [scrub | scrub-at-open] [cold]
// `scrub` times the scrub alone: first the open's own look for outside changes is let finish (it stats every file on
// both drives, 4-5 CPU-s at 200,000 files on this 2-core VM, and a scrub started beside it shares the cores with it);
// `scrub-at-open` starts the scrub the moment the open resolves, beside that look, as a user pressing Scrub at once.
// `cold`: the page cache is dropped again right before the scrub (the look read every inode), as before its peer.
import { assembleMirror } from '../../core/index.ts';
import { dropCaches } from './lab.ts';

const members = JSON.parse(process.argv[2]!) as { path: string; writeMostly?: boolean }[];
const mode = process.argv[3];
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const m = await assembleMirror({ members });
const openMs = performance.now() - t0;
const rssAfter = process.memoryUsage().rss;
let scrub: { ms: number; checkedPaths: number; mismatches: number } | { error: string } | null = null;
let settleMs: number | null = null;
if (mode === 'scrub' || mode === 'scrub-at-open') {
  try {
    if (mode === 'scrub') {
      const l0 = performance.now();
      await m.reconcile(); // queued behind the open's look: resolves once that one and this one are done
      settleMs = performance.now() - l0;
    }
    if (process.argv[4] === 'cold' && !(await dropCaches())) throw new Error('the page cache could not be dropped (needs root)');
    const s0 = performance.now();
    const r = await m.scrub({ repair: false });
    scrub = { ms: performance.now() - s0, checkedPaths: r.checkedPaths, mismatches: r.mismatches };
  } catch (e) {
    scrub = { error: (e as Error).message };
  }
}
const rssPeak = process.memoryUsage().rss;
await m.stop();
console.log(JSON.stringify({ openMs, rssBefore, rssAfter, rssPeak, scrub, settleMs }));
