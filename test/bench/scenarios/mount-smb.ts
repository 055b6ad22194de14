// Scenario 9: the FUSE mount and the SMB share (issue 14) against what they stand in for, on the same loop drives:
// a big file written (dd conv=fsync) and read (cold, warm) through `serve --mount` vs dd on one member's disk and vs
// mergerfs over one member's folder (the same FUSE path without our engine); the bench tree untarred into the mount vs
// into a plain folder on the same disk; smbclient put/get of the big file through Samba over our mount vs Samba over
// a plain folder. Root, /dev/fuse, Samba, smbclient and mergerfs needed; `--mount-mib N` sizes the big file.
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror } from '../../../core/index.ts';
import { defaultConfig, saveConfig } from '../../../core/app/config-store.ts';
import { mountUnavailable } from '../../../core/app/fuse/mount.ts';
import { startSamba, type RunningSamba } from '../../../core/server/smb/samba.ts';
import { forceUnmount, isMounted, startMountServe, type MountServe } from '../../helpers/fuse.ts';
import type { BenchContext } from '../context.ts';
import { syncAll } from '../lab.ts';
import { row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import type { BenchOptions } from '../options.ts';
import { fileBytes, writeTree } from '../tree.ts';
import { freePort, has, q, run, sh } from '../tools.ts';

const S = 9;
const MB = 1e6;
const MiB = 2 ** 20;
const PASSWORD = 'bench password';

/** The big file: 1 GiB by default, `--mount-mib N` for a quicker run (64 MiB with --quick). */
export const mountBigBytes = (o: Pick<BenchOptions, 'quick' | 'mountBytes'>) => o.mountBytes ?? (o.quick ? 64 : 1024) * MiB;

/** Why this scenario cannot run here, or null. */
export async function mountSmbUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (FUSE mounts, Samba, dropping the page cache)';
  const why = await mountUnavailable();
  if (why) return why;
  for (const [tool, pkg] of [['smbd', 'samba'], ['smbclient', 'smbclient'], ['mergerfs', 'mergerfs'], ['dd', 'coreutils'], ['tar', 'tar'], ['rsync', 'rsync']] as const) {
    if (!(await has(tool)) && !(tool === 'smbd' && (await has('/usr/sbin/smbd')))) return `${tool} is not installed (apt-get install -y ${pkg})`;
  }
  return null;
}

/** Hooks run in reverse order of registration, whatever failed: the serve child stopped, mounts cleared. */
class Teardown {
  readonly #fns: (() => Promise<void> | void)[] = [];
  after(fn: () => Promise<void> | void): void { this.#fns.push(fn); }
  async run(log: (m: string) => void): Promise<void> {
    for (const fn of this.#fns.splice(0).reverse()) {
      try { await fn(); } catch (e) { log(`  cleanup: ${(e as Error).message}`); }
    }
  }
}

/** `serve --mount DIR --smb` (a separate process, as people run it) over a fast + fast mirror on two drives. */
async function startOurs(ctx: BenchContext, td: Teardown, smbPort: number): Promise<{ serve: MountServe; mnt: string; share: string }> {
  const a = await freshFolder(ctx.drives.fast, 's9a'), b = await freshFolder(ctx.drives.fast2, 's9b');
  td.after(() => Promise.all([removeFolder(a), removeFolder(b)]).then(() => {}));
  const config = await mkdtemp(join(tmpdir(), 'nasm-bench-s9-'));
  td.after(() => rm(config, { recursive: true, force: true }));
  const members = [{ path: a, label: 'fast' }, { path: b, label: 'fast2' }];
  const m = await createMirror({ members, label: 'bench' });
  await m.stop();
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'bench', members, autoAssemble: true }], activeMirrorId: m.id });
  const mnt = join(config, 'mnt');
  const serve = await startMountServe(td, ['--config', config, '--port', '0', '--mount', mnt, '--smb', '--smb-port', String(smbPort), '--password', PASSWORD],
    mnt, { ready: [/^NAS Mirror at /, /^Mounted at /, /^SMB share /], timeoutMs: 120_000 });
  const share = /\\([^\\\s]+) on port/.exec(serve.lines.find((l) => l.startsWith('SMB share '))!)![1]!;
  return { serve, mnt, share };
}

/** mergerfs 2.x over one folder of the fast member's disk, with the faster of its file-cache modes here (off). */
async function startMergerfs(ctx: BenchContext, td: Teardown): Promise<string> {
  const branch = await freshFolder(ctx.drives.fast, 's9merger-branch');
  const mnt = await mkdtemp(join(tmpdir(), 'nasm-bench-mergerfs-'));
  td.after(async () => { await forceUnmount(mnt); await rm(mnt, { recursive: true, force: true }); await removeFolder(branch); });
  await run('mergerfs', ['-o', 'cache.files=off,category.create=ff', branch, mnt]);
  if (!(await isMounted(mnt))) throw new Error('mergerfs did not mount');
  return mnt;
}

/** One dd; MB/s from its wall time (dd's own figure leaves out the final fsync's wait in some versions). */
async function dd(args: string[], bytes: number): Promise<number> {
  const t0 = performance.now();
  await run('dd', [...args, 'bs=1M', 'status=none']);
  return bytes / MB / ((performance.now() - t0) / 1000);
}

interface Seq { write: number; readCold: number; readWarm: number }

/** Writes the big file into `dir` with dd (durable when it returns), then reads it back cold and warm. */
async function sequential(ctx: BenchContext, dir: string, bytes: number, cold: (ok: boolean) => void): Promise<Seq> {
  const f = join(dir, 'big.bin');
  await syncAll();
  const write = await dd(['if=/dev/zero', `of=${f}`, `count=${bytes / MiB}`, 'conv=fsync'], bytes);
  if ((await stat(f)).size !== bytes) throw new Error(`${f}: dd wrote ${(await stat(f)).size} bytes`);
  cold(await ctx.cold());
  const readCold = await dd([`if=${f}`, 'of=/dev/null'], bytes);
  const readWarm = await dd([`if=${f}`, 'of=/dev/null'], bytes);
  await rm(f);
  return { write, readCold, readWarm };
}

/** Seconds to untar `tarball` into a new folder under `dir`; and with a `sync` after it. */
async function untar(tarball: string, dir: string): Promise<{ s: number; sync: number }> {
  const into = join(dir, 'untar');
  await mkdir(into);
  await syncAll();
  const t0 = performance.now();
  await run('tar', ['xf', tarball, '-C', into]);
  const s = (performance.now() - t0) / 1000;
  const sync = s + (await run('sync', [])).ms / 1000;
  return { s, sync };
}

/** Seconds for `rsync -a --fsync` of `tree` into a new folder under `dir`: every file fsynced as it lands, one copy. */
async function rsyncFsync(tree: string, dir: string): Promise<number> {
  await syncAll();
  return (await run('rsync', ['-a', '--fsync', `${tree}/`, join(dir, 'rsync')])).ms / 1000;
}

/** smbclient put then get (to /dev/null, cold) of the source file through a share; MB/s each. */
async function smbRoundTrip(ctx: BenchContext, port: number, share: string, src: string, bytes: number, cold: (ok: boolean) => void): Promise<{ put: number; get: number }> {
  const smb = (cmd: string) => sh(`smbclient -p ${port} ${q(`//127.0.0.1/${share}`)} -U ${q(`nas%${PASSWORD}`)} -c ${q(cmd)}`);
  await syncAll();
  let t0 = performance.now();
  await smb(`put ${src} big-smb.bin`);
  const put = bytes / MB / ((performance.now() - t0) / 1000);
  cold(await ctx.cold());
  t0 = performance.now();
  await smb('get big-smb.bin /dev/null');
  const get = bytes / MB / ((performance.now() - t0) / 1000);
  const ls = await smb('ls big-smb.bin');
  if (!new RegExp(`\\s${bytes}\\s`).test(ls.stdout)) throw new Error(`${share}: the put file is not ${bytes} bytes: ${ls.stdout.trim()}`);
  await smb('del big-smb.bin');
  return { put, get };
}

/** The SMB source: a file of the big size on the peer drive, bytes that do not repeat. */
async function bigSource(dir: string, bytes: number): Promise<string> {
  const p = join(dir, 'smb-src.bin');
  const pattern = fileBytes({ size: 8 * MiB, seed: 99 });
  const fh = await open(p, 'w');
  try {
    for (let off = 0, i = 0; off < bytes; off += pattern.byteLength, i++) {
      new DataView(pattern.buffer).setUint32(0, i);
      await fh.write(pattern.subarray(0, Math.min(pattern.byteLength, bytes - off)));
    }
  } finally { await fh.close(); }
  return p;
}

interface Figures { ours: Seq; disk: Seq; merger: Seq; untarOurs: { s: number; sync: number }; untarPlain: { s: number; sync: number }; untarMerger: { s: number; sync: number }; rsyncFsync: number; smbOurs: { put: number; get: number }; smbPlain: { put: number; get: number } }

export async function mountSmb(ctx: BenchContext): Promise<Row[]> {
  const why = await mountSmbUnavailable();
  if (why) throw new Error(`scenario 9 ${why}`);
  const bytes = mountBigBytes(ctx.opts);
  const td = new Teardown();
  const all: Figures[] = [];
  let allCold = true;
  const cold = (ok: boolean) => { allCold &&= ok; };
  try {
    // The sources on the peer drive: the bench tree as one tarball (GNU tar, its defaults), and the SMB file.
    const src = await freshFolder(ctx.drives.peer, 's9src');
    td.after(() => removeFolder(src));
    await writeTree(join(src, 'tree'), ctx.tree);
    const tarball = join(src, 'tree.tar');
    await run('tar', ['cf', tarball, '-C', join(src, 'tree'), '.']); // the tree stays: rsync --fsync copies it
    const smbSrc = await bigSource(src, bytes);
    await syncAll();

    for (let r = 0; r < ctx.opts.runs; r++) {
      const runTd = new Teardown();
      try {
        const ours = await startOurs(ctx, runTd, await freePort());
        const f = {} as Figures;
        f.ours = await sequential(ctx, ours.mnt, bytes, cold);
        const diskDir = await freshFolder(ctx.drives.fast, 's9disk');
        runTd.after(() => removeFolder(diskDir));
        f.disk = await sequential(ctx, diskDir, bytes, cold);
        const merger = await startMergerfs(ctx, runTd);
        f.merger = await sequential(ctx, merger, bytes, cold);
        ctx.log(`  run ${r + 1} dd ${bytes / MiB} MiB write/read cold/read warm MB/s: mount ${fmt(f.ours)}; member disk ${fmt(f.disk)}; mergerfs ${fmt(f.merger)}`);

        f.untarOurs = await untar(tarball, ours.mnt);
        f.untarPlain = await untar(tarball, diskDir);
        f.untarMerger = await untar(tarball, merger);
        f.rsyncFsync = await rsyncFsync(join(src, 'tree'), diskDir);
        ctx.log(`  run ${r + 1} untar ${ctx.tree.files.length} files: mount ${f.untarOurs.s.toFixed(1)} s; plain folder ${f.untarPlain.s.toFixed(1)} s (${f.untarPlain.sync.toFixed(1)} s with sync); mergerfs ${f.untarMerger.s.toFixed(1)} s; rsync -a --fsync into a plain folder ${f.rsyncFsync.toFixed(1)} s`);
        await sh(`rm -rf ${q(join(ours.mnt, 'untar'))} ${q(join(diskDir, 'untar'))} ${q(join(merger, 'untar'))} ${q(join(diskDir, 'rsync'))}`);

        f.smbOurs = await smbRoundTrip(ctx, Number(/on port (\d+)/.exec(ours.serve.lines.find((l) => l.startsWith('SMB share '))!)![1]), ours.share, smbSrc, bytes, cold);
        const plainShare = await freshFolder(ctx.drives.fast, 's9smbplain');
        runTd.after(() => removeFolder(plainShare));
        const sambaDir = await mkdtemp(join(tmpdir(), 'nasm-bench-samba-'));
        runTd.after(() => rm(sambaDir, { recursive: true, force: true }));
        const plainPort = await freePort();
        const samba: RunningSamba = await startSamba({ dataDir: sambaDir, shareDir: plainShare, mirrorName: 'plain', port: plainPort, host: '127.0.0.1', password: PASSWORD });
        runTd.after(() => samba.stop());
        f.smbPlain = await smbRoundTrip(ctx, plainPort, samba.shareName, smbSrc, bytes, cold);
        ctx.log(`  run ${r + 1} smbclient put/get MB/s: Samba over the mount ${f.smbOurs.put.toFixed(0)} / ${f.smbOurs.get.toFixed(0)}; over a plain folder ${f.smbPlain.put.toFixed(0)} / ${f.smbPlain.get.toFixed(0)}`);
        const code = await ours.serve.stop('SIGTERM');
        if (code !== 0) ctx.log(`  serve exited with ${code}: ${ours.serve.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        all.push(f);
      } finally { await runTd.run(ctx.log); }
    }
  } finally { await td.run(ctx.log); }
  const rows = rowsOf(all, bytes, ctx.tree.files.length, allCold);
  ctx.log('\n  targets (issue 14):');
  for (const t of mountTargets(rows)) ctx.log(`    ${t.what}: ${t.got} (target ${t.target})${t.met === false ? ' — MISSED' : ''}`);
  return rows;
}

const fmt = (s: Seq) => `${s.write.toFixed(0)} / ${s.readCold.toFixed(0)} / ${s.readWarm.toFixed(0)}`;

const OURS = 'nas-mirror serve --mount (fast + fast)';
const SMB_OURS = 'Samba over nas-mirror\'s mount (fast + fast)';

function rowsOf(all: Figures[], bytes: number, files: number, allCold: boolean): Row[] {
  const hi = { higherIsBetter: true };
  const size = bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / MiB} MiB`;
  const n = files.toLocaleString('en');
  const cache = allCold ? 'page cache dropped before' : 'cache could not be dropped: warm';
  const M = {
    write: `${size} dd write conv=fsync, MB/s`, readCold: `${size} dd read MB/s, cold`, readWarm: `${size} dd read MB/s, warm`,
    untar: `untar ${n} files (tar xf), s`, untarSync: `untar ${n} files, then sync: s`, put: `${size} smbclient put MB/s`, get: `${size} smbclient get MB/s, cold`,
  };
  const pick = <K extends keyof Figures, F extends keyof Figures[K]>(k: K, f: F) => all.map((x) => x[k][f] as number);
  const seq = (role: Row['role'], tool: string, k: 'ours' | 'disk' | 'merger', note: string) => [
    row(S, role, tool, M.write, 'MB/s', pick(k, 'write'), { ...hi, note }),
    row(S, role, tool, M.readCold, 'MB/s', pick(k, 'readCold'), { ...hi, note: cache }),
    row(S, role, tool, M.readWarm, 'MB/s', pick(k, 'readWarm'), { ...hi, note: 'the same read again' }),
  ];
  return [
    ...seq('engine', OURS, 'ours', 'staged, then one engine write on close: durable on both members when dd returns; reads are checksum-verified'),
    ...seq('peer', 'mergerfs 2.33 over one member folder (cache.files=off)', 'merger', 'one copy; the same FUSE path without our engine'),
    ...seq('limit', 'dd on one member\'s disk (ext4 loop image)', 'disk', 'one copy'),
    row(S, 'engine', OURS, M.untar, 's', pick('untarOurs', 's'), { note: 'every file an fsynced engine write on both members when tar closes it' }),
    row(S, 'engine', OURS, M.untarSync, 's', pick('untarOurs', 'sync')),
    row(S, 'limit', 'tar into a plain folder on the member\'s disk', M.untar, 's', pick('untarPlain', 's'), { note: 'no fsync: in the page cache when tar ends' }),
    row(S, 'limit', 'tar into a plain folder on the member\'s disk', M.untarSync, 's', pick('untarPlain', 'sync')),
    row(S, 'peer', 'mergerfs 2.33 over one member folder (cache.files=off)', M.untar, 's', pick('untarMerger', 's'), { note: 'the same FUSE round trips without our engine; no fsync' }),
    row(S, 'peer', 'rsync -a --fsync of the tree into a plain folder on the member\'s disk', `copy ${n} files, each fsynced, s`, 's', all.map((x) => x.rsyncFsync), { note: 'one durable copy per file, no FUSE: what a durable close costs natively' }),
    row(S, 'engine', SMB_OURS, M.put, 'MB/s', pick('smbOurs', 'put'), { ...hi, note: 'smbclient over loopback, SMB3; our smbd config (strict sync)' }),
    row(S, 'engine', SMB_OURS, M.get, 'MB/s', pick('smbOurs', 'get'), { ...hi, note: cache }),
    row(S, 'peer', 'Samba over a plain folder on the member\'s disk', M.put, 'MB/s', pick('smbPlain', 'put'), { ...hi, note: 'the same smb.conf, one copy' }),
    row(S, 'peer', 'Samba over a plain folder on the member\'s disk', M.get, 'MB/s', pick('smbPlain', 'get'), hi),
  ];
}

/** The issue's targets, from the rows: write ≥ 0.5× dd, read ≥ 0.7× dd and mergerfs, untar ≤ 3×, SMB ≥ 0.6×. */
export function mountTargets(rows: readonly Row[]): { what: string; got: string; target: string; met: boolean | null }[] {
  const v = (tool: RegExp, metric: RegExp) => rows.find((r) => r.scenario === S && tool.test(r.tool) && metric.test(r.metric))?.value ?? null;
  const ours = /^nas-mirror serve --mount/, disk = /^dd on one member/, merger = /^mergerfs/, plain = /^tar into a plain/, smbOurs = /^Samba over nas-mirror/, smbPlain = /^Samba over a plain/;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const out: { what: string; got: string; target: string; met: boolean | null }[] = [];
  const add = (what: string, x: number | null, target: string, ok: (x: number) => boolean) =>
    out.push({ what, got: x === null ? 'n/a' : `${x.toFixed(2)}×`, target, met: x === null ? null : ok(x) });
  add('write, mount ÷ dd on the member disk', ratio(v(ours, /dd write/), v(disk, /dd write/)), '≥ 0.5×', (x) => x >= 0.5);
  add('read cold, mount ÷ dd on the member disk', ratio(v(ours, /read MB\/s, cold/), v(disk, /read MB\/s, cold/)), '≥ 0.7×', (x) => x >= 0.7);
  add('read cold, mount ÷ mergerfs', ratio(v(ours, /read MB\/s, cold/), v(merger, /read MB\/s, cold/)), '≥ 0.7×', (x) => x >= 0.7);
  add('read warm, mount ÷ mergerfs', ratio(v(ours, /read MB\/s, warm/), v(merger, /read MB\/s, warm/)), '(reported)', () => true);
  add('untar, mount ÷ plain folder', ratio(v(ours, /^untar .* s$/), v(plain, /^untar .* s$/)), '≤ 3×', (x) => x <= 3);
  add('untar then sync, mount ÷ plain folder', ratio(v(ours, /then sync/), v(plain, /then sync/)), '(reported)', () => true);
  add('untar, mergerfs ÷ plain folder (the FUSE path alone)', ratio(v(merger, /^untar .* s$/), v(plain, /^untar .* s$/)), '(reported)', () => true);
  add('untar, mount ÷ rsync -a --fsync (each file durable, one copy)', ratio(v(ours, /^untar .* s$/), v(/^rsync -a --fsync/, /each fsynced/)), '(reported)', () => true);
  add('smbclient put, over the mount ÷ over a plain folder', ratio(v(smbOurs, /put/), v(smbPlain, /put/)), '≥ 0.6×', (x) => x >= 0.6);
  add('smbclient get, over the mount ÷ over a plain folder', ratio(v(smbOurs, /get/), v(smbPlain, /get/)), '≥ 0.6×', (x) => x >= 0.6);
  return out;
}
