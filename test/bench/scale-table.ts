// Issue 16's scaling table, one tree size per run: adoption, open (time and RSS, in a fresh process), scrub and a
// re-plug catch-up of a mirror of N small files (about 1.1 KB each, N/100 folders, as adopt.ts), each beside its peer
// measured in the same run on the same disk. Prints one markdown row per measure.
//   node --import tsx test/bench/scale-table.ts [--files 200000] [--dir /dev/shm]
// On tmpfs (the default) fsync costs nothing, so what is measured is the engine's own work; --dir puts it on a disk.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleMirror, createMirror } from '../../core/index.ts';
import { untilInSync } from './mirror-setup.ts';
import { makePhotoTree, photoContent, treeFolders } from './photo-tree.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const files = Number(arg('files', '20000'));
const folders = treeFolders(files);
const base = await mkdtemp(join(arg('dir', '/dev/shm'), 'nasm-scale-'));
const A = join(base, 'Photos'), B = join(base, 'USB'), PEER = join(base, 'rsync-copy');
const content = photoContent;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const timed = (line: string) => { const t0 = performance.now(); execFileSync('sh', ['-c', line], { maxBuffer: 1 << 30 }); return performance.now() - t0; };
const rows: string[] = [];
const say = (what: string, ours: string, peer: string, ratio: string) => {
  const r = `| ${files.toLocaleString('en')} | ${what} | ${ours} | ${peer} | ${ratio} |`;
  rows.push(r);
  console.log(r);
};

interface Opened { openMs: number; rssBefore: number; rssAfter: number; scrub: { ms: number; checkedPaths: number; mismatches: number } | { error: string } | null }
/** open-child.ts: `scrub` times a scrub once the open's own look for outside changes is done, `scrub-at-open` beside it. */
const openChild = (mode?: 'scrub' | 'scrub-at-open'): Opened => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/bench/open-child.ts',
  JSON.stringify([{ path: A }, { path: B, writeMostly: true }]), ...(mode ? [mode] : [])], { maxBuffer: 1 << 26 }).toString().trim().split('\n').at(-1)!) as Opened;
const scrubMs = (o: Opened): number => {
  if (!o.scrub || !('ms' in o.scrub)) throw new Error(`scrub failed: ${JSON.stringify(o.scrub)}`);
  if (o.scrub.mismatches !== 0) throw new Error(`scrub found ${o.scrub.mismatches} mismatches on a clean mirror`);
  return o.scrub.ms;
};

try {
  await makePhotoTree(A, files);
  execFileSync('sync');
  const rsync = timed(`rsync -a ${A}/ ${PEER} && sync`);
  const sha1 = timed(`cd ${A} && find . -type f -print0 | xargs -0 sha256sum > /dev/null`);

  const t0 = performance.now();
  const m = await createMirror({ members: [{ path: A, label: 'Photos Disk' }, { path: B, label: 'USB Backup', writeMostly: true }] });
  await m.drain();
  const adopt = performance.now() - t0;
  const states = m.status().members.map((x) => x.state).join(', ');
  const errors = m.status().members.map((x) => x.error).filter(Boolean).join('; ');
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await m.stop();
  if (states !== 'in_sync, in_sync') throw new Error(`adoption ended with members ${states}: ${errors}`);
  say('adoption (createMirror + drain)', `${secs(adopt)}, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`, `rsync -a + sync ${secs(rsync)}; sha256sum ${secs(sha1)}`,
    `${(adopt / rsync).toFixed(2)}x rsync; ${(adopt / (rsync + sha1)).toFixed(2)}x rsync + sha256sum`);

  const opened = openChild();
  say('open (assembleMirror, fresh process)', `${opened.openMs.toFixed(0)} ms, RSS +${((opened.rssAfter - opened.rssBefore) / 2 ** 20).toFixed(0)} MiB`, '', '');

  const scrubbed = scrubMs(openChild('scrub'));
  const sha2 = timed(`find ${A} ${B} -type f -not -path '*/.nas-mirror/*' -print0 | xargs -0 sha256sum > /dev/null`);
  say('scrub (check, both members; the open\'s look done)', secs(scrubbed), `sha256sum over both ${secs(sha2)}`, `${(sha2 / scrubbed).toFixed(2)}x sha256sum's speed`);
  const atOpen = scrubMs(openChild('scrub-at-open'));
  say('scrub started as the open resolves (beside its look)', secs(atOpen), `sha256sum over both ${secs(sha2)}`, `${(sha2 / atOpen).toFixed(2)}x sha256sum's speed`);

  // Re-plug: the USB drive ejected, 50 files changed, 10 added and 10 deleted through the mirror (scenario 4's change),
  // the drive added back; until it is in sync. The peer brings its copy of the tree up to date with rsync --delete.
  const again = await assembleMirror({ members: [{ path: A }, { path: B, writeMostly: true }] });
  try {
    const usb = again.status().members.find((x) => x.writeMostly)!.id;
    await again.eject(usb);
    const at = (k: number) => [Math.floor((k * 7919) % files / 100), (k * 7919) % files % 100] as const;
    for (let k = 0; k < 50; k++) { const [d, i] = at(k); await again.writeFile(`folder${d}/photo ${i}.jpg`, content(d, i, ' changed')); }
    for (let k = 0; k < 10; k++) await again.writeFile(`folder${k % folders}/new ${k}.jpg`, content(k, k, ' new'));
    for (let k = 50; k < 60; k++) { const [d, i] = at(k); await again.remove(`folder${d}/photo ${i}.jpg`); }
    const t1 = performance.now();
    const id = await again.addMember({ path: B, writeMostly: true });
    await untilInSync(again, id);
    const catchUp = performance.now() - t1;
    const peer = timed(`rsync -a --delete --exclude=/.nas-mirror ${A}/ ${PEER}/ && sync -f ${PEER}`);
    say('re-plug catch-up (70 paths changed)', secs(catchUp), `rsync -a --delete ${secs(peer)}`, `${(catchUp / peer).toFixed(2)}x rsync`);
  } finally {
    await again.stop();
  }
  console.log(`\n| files | what | nas-mirror | peers (same run) | ratio |\n|---|---|---|---|---|\n${rows.join('\n')}`);
} finally {
  await rm(base, { recursive: true, force: true });
}
