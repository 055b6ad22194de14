// Adoption (issue 11, part 1): a folder already holding N small files becomes a mirror; how long until the second
// member holds all of them, against `cp -a` and `rsync -a` of the same tree on the same disk, measured in this run.
//   node --import tsx test/bench/adopt.ts [--files 2000] [--dir /some/folder]   (--dir: put the trees on that disk)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror } from '../../core/index.ts';
import { makePhotoTree } from './photo-tree.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const files = Number(arg('files', '2000'));
const base = await mkdtemp(join(arg('dir', tmpdir()), 'nasm-adopt-'));

const timed = (cmd: string, args: string[]) => { const t0 = performance.now(); execFileSync(cmd, args); execFileSync('sync'); return performance.now() - t0; };
try {
  const src = join(base, 'Photos');
  await makePhotoTree(src, files);
  execFileSync('sync');
  const cp = timed('cp', ['-a', src, join(base, 'cp-copy')]);
  let rsync = NaN;
  try { rsync = timed('rsync', ['-a', `${src}/`, join(base, 'rsync-copy')]); } catch { /* rsync not installed */ }
  // The floor under adoption's checksums: sha256sum over the same files (one process, as many names per call as fit).
  const t1 = performance.now();
  execFileSync('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: src });
  const sha = performance.now() - t1;
  await rm(join(base, 'cp-copy'), { recursive: true, force: true });
  await rm(join(base, 'rsync-copy'), { recursive: true, force: true });
  const t0 = performance.now();
  const m = await createMirror({ members: [{ path: src, label: 'Photos Disk' }, { path: join(base, 'USB'), label: 'USB Backup', writeMostly: true }] });
  await m.drain();
  const adopt = performance.now() - t0;
  const states = m.status().members.map((x) => x.state).join(', ');
  await m.stop();
  const ratio = (x: number) => (Number.isFinite(x) ? `${(adopt / x).toFixed(1)}× ` : '');
  console.log(`adoption of ${files.toLocaleString('en')} files (${Math.round(files / 100)} folders): ${(adopt / 1000).toFixed(1)} s (${states}); ` +
    `cp -a + sync ${(cp / 1000).toFixed(1)} s, rsync -a + sync ${Number.isFinite(rsync) ? (rsync / 1000).toFixed(1) + ' s' : 'not installed'}; ` +
    `sha256sum ${(sha / 1000).toFixed(1)} s; adoption is ${ratio(cp)}cp, ${ratio(rsync)}rsync, ${ratio(rsync + sha)}rsync + sha256sum ` +
    `(it hashes every file and makes the copy durable)`);
} finally {
  await rm(base, { recursive: true, force: true });
}
