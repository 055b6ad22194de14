// What watching a member for outside changes costs (issue 11, part 2): for a tree of N files in N/100 folders, each
// watcher backend's time to be ready, resident memory added and inotify watches used; and the engine's periodic look
// (a walk comparing size, time and inode with the manifest). Each backend runs in its own child process, so one's
// memory is not counted in another's.
//   node --import tsx test/bench/watch-outside.ts [--files 100000] [--dir /some/folder]
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchFolder } from '../../core/resync/member-watch.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };

/** inotify watches this process holds: one "inotify wd:" line per watch in the fdinfo of each inotify descriptor. */
async function inotifyWatches(): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (!target.includes('inotify')) continue;
    n += (await readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('inotify wd:')).length;
  }
  return n;
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

async function makeTree(root: string, files: number): Promise<number> {
  const folders = Math.max(1, Math.round(files / 100));
  for (let d = 0; d < folders; d++) {
    const dir = join(root, `album-${String(d).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    const n = Math.floor(files / folders) + (d < files % folders ? 1 : 0);
    await Promise.all(Array.from({ length: n }, (_, i) => writeFile(join(dir, `photo-${i}.jpg`), `photo ${d}/${i}`)));
  }
  return folders;
}

/** Child: watch `root` with one backend, then report as one JSON line. */
async function child(root: string, backend: 'parcel' | 'node'): Promise<void> {
  global.gc?.();
  const before = rssMiB();
  const t0 = performance.now();
  let events = 0;
  const w = await watchFolder(root, (p) => { events += p.length; }, () => {}, { backend });
  const readyMs = performance.now() - t0;
  global.gc?.();
  const watches = await inotifyWatches();
  const rss = rssMiB() - before;
  // One file created in a folder and seen: the watcher works, and how long an event takes to arrive.
  const t1 = performance.now();
  await writeFile(join(root, 'album-0000', 'new.jpg'), 'new');
  while (events === 0 && performance.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 5));
  const eventMs = performance.now() - t1;
  await w.close();
  console.log(JSON.stringify({ backend: w.backend, readyMs, rssMiB: rss, watches, eventMs: events ? eventMs : null }));
}

/** Child: the engine's look at a whole tree, as a member: a walk and a stat per entry against its manifest. */
async function walkChild(root: string): Promise<void> {
  const { createMirror } = await import('../../core/index.ts');
  const other = `${root}-copy`;
  await mkdir(other);
  const t0 = performance.now();
  const m = await createMirror({ members: [{ path: root }, { path: other, writeMostly: true }], watchOutside: false, reconcileIntervalMs: 0 });
  await m.drain();
  const adoptMs = performance.now() - t0;
  const t1 = performance.now();
  await m.reconcile();
  const reconcileMs = performance.now() - t1;
  await m.stop();
  await rm(other, { recursive: true, force: true });
  console.log(JSON.stringify({ adoptMs, reconcileMs }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4] as 'parcel' | 'node');
  if (process.argv[2] === '--walk') return walkChild(process.argv[3]!);
  const files = Number(arg('files', '100000'));
  const base = await mkdtemp(join(arg('dir', tmpdir()), 'nasm-watch-'));
  try {
    const folders = await makeTree(join(base, 'member'), files);
    const max = (await readFile('/proc/sys/fs/inotify/max_user_watches', 'utf8').catch(() => '?')).trim();
    console.log(`${files} files in ${folders} folders (max_user_watches ${max})`);
    console.log('| watcher | ready | RSS added | inotify watches | event after |');
    console.log('|---|---|---|---|---|');
    const self = fileURLToPath(import.meta.url);
    for (const backend of ['parcel', 'node'] as const) {
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', join(base, 'member'), backend], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { backend: string; readyMs: number; rssMiB: number; watches: number; eventMs: number | null };
      const name = r.backend === 'parcel' ? '@parcel/watcher' : 'Node fs.watch recursive';
      console.log(`| ${name} | ${r.readyMs.toFixed(0)} ms | ${r.rssMiB.toFixed(1)} MiB | ${r.watches} | ${r.eventMs === null ? 'none' : `${r.eventMs.toFixed(0)} ms`} |`);
    }
    const walk = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--walk', join(base, 'member')], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)!) as { adoptMs: number; reconcileMs: number };
    console.log(`\nadopting the tree into a two-drive mirror: ${(walk.adoptMs / 1000).toFixed(1)} s; one periodic look (walk + stat, nothing changed): ${(walk.reconcileMs / 1000).toFixed(2)} s`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

await main();
