// Scenario 8: the WebDAV share (issue 13) against Apache 2.4 mod_dav and `rclone serve webdav`, each serving a folder
// on the same loop drives: a big file PUT and GET (cold and warm) with curl, 10,000 small files copied in (rclone copy
// --transfers 8, and one curl --parallel 8 of PUTs), a PROPFIND Depth 1 of that 10,000-entry folder; the engine's own
// writeFile/openReader/readdir on the same data (what the share adds), and serve's peak RSS growth during the PUT.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMirror } from '../../../core/index.ts';
import { defaultConfig, saveConfig } from '../../../core/app/config-store.ts';
import { startDavServe } from '../../helpers/dav.ts';
import type { BenchContext } from '../context.ts';
import { syncAll } from '../lab.ts';
import { median, row, type Row } from '../measure.ts';
import { freshFolder, removeFolder } from '../mirror-setup.ts';
import type { BenchOptions } from '../options.ts';
import { fileBytes, prng } from '../tree.ts';
import { freePort, has, NOT_INSTALLED, run, sh } from '../tools.ts';

const MB = 1e6;
const MiB = 2 ** 20;
const S = 8;

/** The big file: 1 GiB, 64 MiB with --quick (bench.ts sizes the drives for it). */
export const davBigBytes = (o: Pick<BenchOptions, 'quick'>) => (o.quick ? 64 : 1024) * MiB;
/** The small files: 10,000 (200 with --quick), 1–16 KiB each, in one folder — the folder PROPFIND then lists. */
export const davSmallFiles = (o: Pick<BenchOptions, 'quick'>) => (o.quick ? 200 : 10_000);
export const davSmallBytes = (o: Pick<BenchOptions, 'quick'>) => davSmallFiles(o) * 16 * 1024;

interface Server {
  name: string;
  /** The share's root, ending in "/". */
  url: string;
  /** The process whose memory is watched (serve only). */
  pid?: number;
  stop(): Promise<void>;
}

/** Resolves with the first line of `stream` matching `re` (a server saying it listens); rejects if the process ends first. */
function lineMatching(child: ChildProcess, stream: NodeJS.ReadableStream, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const rl = createInterface({ input: stream });
    const onClose = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready:\n${seen.slice(-2000)}`));
    child.once('close', onClose);
    rl.on('line', (line) => {
      seen += `${line}\n`;
      const m = re.exec(line);
      if (m) { child.off('close', onClose); resolve(m); }
    });
  });
}

/** Stops a child and resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  return closed;
}

/** NAS Mirror's `serve --webdav` (a separate process, as people run it) over a fast + fast mirror on two drives. */
async function startNasMirror(ctx: BenchContext): Promise<Server> {
  const a = await freshFolder(ctx.drives.fast, 's8a'), b = await freshFolder(ctx.drives.fast2, 's8b');
  const config = await mkdtemp(join(tmpdir(), 'nasm-bench-s8-'));
  const members = [{ path: a, label: 'fast' }, { path: b, label: 'fast2' }];
  const m = await createMirror({ members, label: 'bench' });
  await m.stop();
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'bench', members, autoAssemble: true }], activeMirrorId: m.id });
  const s = await startDavServe(['--config', config, '--port', '0', '--webdav']);
  // The mirror is assembled before serve listens; a 207 here proves the share answers from it.
  const probe = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PROPFIND', '-H', 'Depth: 0', s.davUrl]);
  if (probe.stdout !== '207') throw new Error(`serve's share answered PROPFIND with ${probe.stdout}: ${s.stderr().slice(-500)}`);
  return {
    name: 'nas-mirror serve --webdav (fast + fast)', url: s.davUrl, pid: s.child.pid!,
    stop: async () => {
      const code = await s.stop('SIGTERM');
      if (code !== 0) ctx.log(`  serve exited with ${code}: ${s.stderr().trim().split('\n').slice(-3).join(' | ')}`);
      await Promise.all([removeFolder(a), removeFolder(b), rm(config, { recursive: true, force: true })]);
    },
  };
}

/** The uid/gid Apache's children run as when started by root (it refuses to serve as root). */
async function wwwData(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const [, , uid, gid] = (await sh('getent passwd www-data')).stdout.trim().split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Apache 2.4 with mod_dav/mod_dav_fs and nothing else: its own config (Debian's defaults for everything not named:
 * event MPM, KeepAlive on), no access log, no auth, serving one folder on the fast drive. Not tuned.
 */
async function startApache(ctx: BenchContext): Promise<Server> {
  const root = await freshFolder(ctx.drives.fast, 's8apache');
  const dir = await mkdtemp(join(tmpdir(), 'nasm-bench-apache-'));
  const port = await freePort();
  const www = await wwwData();
  const restore: { path: string; mode: number }[] = [];
  if (www) {
    // Its children run as www-data: they must own the folder and be able to walk to it (mkdtemp folders are 0700).
    await chown(root, www.uid, www.gid);
    await chown(dir, www.uid, www.gid);
    for (let p = dirname(root); p !== '/'; p = dirname(p)) {
      const { mode } = await stat(p);
      if ((mode & 0o001) === 0) { restore.push({ path: p, mode: mode & 0o7777 }); await chmod(p, (mode & 0o7777) | 0o001); }
    }
  }
  const mod = (name: string, file: string) => `LoadModule ${name} /usr/lib/apache2/modules/${file}`;
  await writeFile(join(dir, 'httpd.conf'), [
    `ServerRoot ${dir}`, 'ServerName 127.0.0.1', `Listen 127.0.0.1:${port}`, `PidFile ${dir}/httpd.pid`,
    // Its log through cat to our pipe (Node's stdio pipes are sockets, which /proc/self/fd/2 cannot be opened as).
    'ErrorLog "|/bin/cat"', 'LogLevel notice', ...(www ? ['User www-data', 'Group www-data'] : []),
    mod('mpm_event_module', 'mod_mpm_event.so'), mod('authz_core_module', 'mod_authz_core.so'),
    mod('dav_module', 'mod_dav.so'), mod('dav_fs_module', 'mod_dav_fs.so'),
    `DAVLockDB ${dir}/DAVLock`,
    // 2.4.54+ caps a request body at 1 GiB by default; the big file is exactly that.
    'LimitRequestBody 0',
    `DocumentRoot ${root}`, `<Directory ${root}>`, '  Dav On', '  Require all granted', '</Directory>', '',
  ].join('\n'));
  const child = spawn('apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.resume();
  await lineMatching(child, child.stdout!, /resuming normal operations/, 'apache2');
  return {
    name: 'Apache 2.4 mod_dav (1 drive)', url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      await stopChild(child);
      for (const r of restore.reverse()) await chmod(r.path, r.mode).catch(() => {});
      await Promise.all([removeFolder(root), rm(dir, { recursive: true, force: true })]);
    },
  };
}

/** `rclone serve webdav` with its defaults (no VFS cache: a PUT goes straight into the file), one folder on the fast drive. */
async function startRcloneServe(ctx: BenchContext): Promise<Server> {
  const root = await freshFolder(ctx.drives.fast, 's8rclone');
  const child = spawn('rclone', ['serve', 'webdav', root, '--addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RCLONE_CONFIG: '/dev/null' },
  });
  const m = await lineMatching(child, child.stderr!, /WebDav Server started on (http:\/\/\S+)/, 'rclone serve webdav');
  return {
    name: 'rclone serve webdav (1 drive)', url: m[1]!.endsWith('/') ? m[1]! : `${m[1]}/`,
    stop: async () => { await stopChild(child); await removeFolder(root); },
  };
}

/** A kB figure from /proc/<pid>/status (VmRSS, VmHWM), in MiB. */
async function procMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** One curl request; its status, seconds and bytes, checked against what is expected. */
async function curl(args: string[], want: number[]): Promise<{ s: number; up: number; down: number }> {
  const r = await run('curl', ['-sS', '-w', '%{http_code} %{time_total} %{size_upload} %{size_download}', ...args]);
  const [code, t, up, down] = r.stdout.trim().split(/\s+/).slice(-4).map(Number) as [number, number, number, number];
  if (!want.includes(code)) throw new Error(`curl ${args.join(' ')} answered ${code}`);
  return { s: t, up, down };
}

interface Figures {
  put: number; putSync: number; getCold: number; getWarm: number;
  rclone?: number; rcloneSync?: number; curlSmall: number; curlSmallSync: number; propfind: number; propfindFirst: number;
  rssBefore?: number; rssGrowth?: number; rssGrowthAgain?: number;
}

interface Data { big: string; bigBytes: number; smallDir: string; names: string[] }

/**
 * A listing is timed this many times in a row and the median kept (the first is reported beside it): the first
 * includes a Node server's JIT warming its XML code (~0.5 s against ~0.2 s after, for 10,000 entries), which says
 * little about browsing a folder again.
 */
const LIST_TIMES = 3;

/** A listing timed LIST_TIMES times in a row (`once` resolves with its seconds): the median and the first. */
async function timedListing(once: () => Promise<number>): Promise<{ median: number; first: number }> {
  const times: number[] = [];
  for (let i = 0; i < LIST_TIMES; i++) times.push(await once());
  return { median: median(times), first: times[0]! };
}

/** Every measurement against one server; seconds, except RSS (MiB). */
async function measure(ctx: BenchContext, s: Server, d: Data, o: { rclone: boolean; cold: (ok: boolean) => void }): Promise<Figures> {
  const f = {} as Figures;
  await syncAll();
  // Growth is measured from the peak as reset (clear_refs sets VmHWM to the RSS of that moment), not from an RSS read
  // before the reset: a GC between the two made a second PUT's growth negative once (-0.3 MiB, CI).
  const resetPeak = async (pid: number) => {
    await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {});
    return procMiB(pid, 'VmHWM');
  };
  let peak0 = 0;
  if (s.pid) {
    f.rssBefore = await procMiB(s.pid, 'VmRSS');
    peak0 = await resetPeak(s.pid);
  }
  const put = await curl(['-T', d.big, '-o', '/dev/null', `${s.url}big.bin`], [201, 204]);
  if (put.up !== d.bigBytes) throw new Error(`${s.name}: PUT sent ${put.up} bytes, not ${d.bigBytes}`);
  f.put = put.s;
  if (s.pid) f.rssGrowth = (await procMiB(s.pid, 'VmHWM')) - peak0;
  f.putSync = f.put + (await run('sync', [])).ms / 1000;
  if (s.pid) {
    // The same PUT again in the same process: what a server that has already taken a big file grows by.
    const before = await resetPeak(s.pid);
    await curl(['-T', d.big, '-o', '/dev/null', `${s.url}big-again.bin`], [201, 204]);
    f.rssGrowthAgain = (await procMiB(s.pid, 'VmHWM')) - before;
  }

  o.cold(await ctx.cold());
  const getCold = await curl(['-o', '/dev/null', `${s.url}big.bin`], [200]);
  const getWarm = await curl(['-o', '/dev/null', `${s.url}big.bin`], [200]);
  if (getCold.down !== d.bigBytes || getWarm.down !== d.bigBytes) throw new Error(`${s.name}: GET returned ${getCold.down} / ${getWarm.down} bytes`);
  f.getCold = getCold.s;
  f.getWarm = getWarm.s;

  if (o.rclone) {
    // rclone as a client: the same webdav remote (vendor other) for every server, defined in the environment.
    const env = { ...process.env, RCLONE_CONFIG: '/dev/null', RCLONE_CONFIG_DAV_TYPE: 'webdav', RCLONE_CONFIG_DAV_URL: s.url, RCLONE_CONFIG_DAV_VENDOR: 'other' };
    await syncAll();
    f.rclone = (await run('rclone', ['copy', '--transfers', '8', d.smallDir, 'dav:small-rclone'], { env })).ms / 1000;
    f.rcloneSync = f.rclone + (await run('sync', [])).ms / 1000;
  }

  // The same files as one curl of PUTs, 8 at a time over kept-alive connections: the servers' pace, not rclone's.
  await curl(['-X', 'MKCOL', '-o', '/dev/null', `${s.url}small-curl/`], [201]);
  const cfg = join(dirname(d.smallDir), `curl-${process.pid}.cfg`);
  await writeFile(cfg, d.names.map((n) => `upload-file = "${join(d.smallDir, n)}"\nurl = "${s.url}small-curl/${n}"\noutput = "/dev/null"\n`).join(''));
  try {
    const t0 = performance.now();
    const r = await run('curl', ['-sS', '--parallel', '--parallel-max', '8', '-K', cfg, '-w', '%{http_code}\\n']);
    f.curlSmall = (performance.now() - t0) / 1000;
    const ok = r.stdout.split('\n').filter((c) => c === '201' || c === '204').length;
    if (ok !== d.names.length) throw new Error(`${s.name}: ${ok} of ${d.names.length} small PUTs succeeded`);
  } finally { await rm(cfg, { force: true }); }
  f.curlSmallSync = f.curlSmall + (await run('sync', [])).ms / 1000;

  const listing = join(dirname(d.smallDir), `propfind-${process.pid}.xml`);
  try {
    const t = await timedListing(async () => (await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', '-o', listing, `${s.url}small-curl/`], [207])).s);
    f.propfind = t.median;
    f.propfindFirst = t.first;
    const entries = ((await readFile(listing, 'utf8')).match(/<(?:[\w-]+:)?href>/g) ?? []).length;
    if (entries !== d.names.length + 1) throw new Error(`${s.name}: PROPFIND listed ${entries - 1} entries, not ${d.names.length}`);
  } finally { await rm(listing, { force: true }); }
  return f;
}

interface Direct { write: number; readCold: number; readWarm: number; small: number; readdir: number; readdirFirst: number }

/** The engine's own API in this process, on the same two drives and data: what the share's figures are measured against. */
async function direct(ctx: BenchContext, d: Data, cold: (ok: boolean) => void): Promise<Direct> {
  const a = await freshFolder(ctx.drives.fast, 's8da'), b = await freshFolder(ctx.drives.fast2, 's8db');
  const m = await createMirror({ members: [{ path: a }, { path: b }] });
  try {
    await syncAll();
    let t0 = performance.now();
    await m.writeFile('big.bin', createReadStream(d.big) as AsyncIterable<Uint8Array>);
    const write = (performance.now() - t0) / 1000;
    const readAll = async () => {
      const t = performance.now();
      const r = await m.openReader('big.bin');
      let n = 0;
      for await (const c of r.chunks) n += c.byteLength;
      if (n !== d.bigBytes) throw new Error(`openReader returned ${n} bytes`);
      return (performance.now() - t) / 1000;
    };
    cold(await ctx.cold());
    const readCold = await readAll();
    const readWarm = await readAll();

    await m.mkdir('small');
    await syncAll();
    t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = next++; i < d.names.length; i = next++) {
        const n = d.names[i]!;
        await m.writeFile(`small/${n}`, await readFile(join(d.smallDir, n)));
      }
    }));
    const small = (performance.now() - t0) / 1000;
    const t = await timedListing(async () => {
      const at = performance.now();
      const listed = await m.readdir('small');
      if (listed.length !== d.names.length) throw new Error(`readdir listed ${listed.length}`);
      return (performance.now() - at) / 1000;
    });
    return { write, readCold, readWarm, small, readdir: t.median, readdirFirst: t.first };
  } finally {
    await m.stop();
    await Promise.all([removeFolder(a), removeFolder(b)]);
  }
}

/** The source data on the peer drive: the big file and the small files, written once per bench. */
async function makeData(ctx: BenchContext): Promise<Data> {
  const base = await freshFolder(ctx.drives.peer, 's8src');
  const bigBytes = davBigBytes(ctx.opts);
  const big = join(base, 'big.bin');
  const pattern = fileBytes({ size: 8 * MiB, seed: 88 });
  const fh = await open(big, 'w');
  try {
    for (let off = 0, i = 0; off < bigBytes; off += pattern.byteLength, i++) {
      new DataView(pattern.buffer).setUint32(0, i); // no two chunks alike
      await fh.write(pattern.subarray(0, Math.min(pattern.byteLength, bigBytes - off)));
    }
  } finally { await fh.close(); }
  const smallDir = join(base, 'small');
  await mkdir(smallDir);
  const rnd = prng(ctx.opts.seed);
  const names: string[] = [];
  for (let i = 0; i < davSmallFiles(ctx.opts); i++) {
    const name = `file-${String(i).padStart(5, '0')}.bin`;
    await writeFile(join(smallDir, name), fileBytes({ size: 1024 + Math.floor(rnd() * 15 * 1024), seed: i }));
    names.push(name);
  }
  await syncAll();
  return { big, bigBytes, smallDir, names };
}

export async function webdav(ctx: BenchContext): Promise<Row[]> {
  if (!(await has('curl'))) throw new Error('scenario 8 needs curl (apt-get install -y curl)');
  const d = await makeData(ctx);
  if (!(await has('rclone'))) throw new Error('scenario 8 copies its small files with rclone (apt-get install -y rclone)');
  const apache = await has('apache2');
  type Start = [string, (c: BenchContext) => Promise<Server>];
  const starts: Start[] = [['nas', startNasMirror], ...(apache ? [['apache', startApache] as Start] : []), ['rclone', startRcloneServe]];
  const runs = new Map<string, Figures[]>(starts.map(([k]) => [k, []]));
  const names = new Map<string, string>();
  const directRuns: Direct[] = [];
  let allCold = true;
  const cold = (ok: boolean) => { allCold &&= ok; };
  try {
    for (let r = 0; r < ctx.opts.runs; r++) {
      for (const [key, start] of starts) {
        const s = await start(ctx);
        names.set(key, s.name);
        try {
          // rclone's own pace sets its copy time (see rowsOf), the same for every server: measured in the first run only,
          // and not at all with NAS_BENCH_NO_RCLONE=1 (18 minutes of a run that measures rclone's pacing, not the server).
          const f = await measure(ctx, s, d, { rclone: r === 0 && process.env.NAS_BENCH_NO_RCLONE !== '1', cold });
          runs.get(key)!.push(f);
          ctx.log(`  run ${r + 1} ${s.name}: PUT ${mbps(d.bigBytes, f.put)} MB/s, GET cold ${mbps(d.bigBytes, f.getCold)} / warm ${mbps(d.bigBytes, f.getWarm)} MB/s, ${f.rclone !== undefined ? `rclone copy ${f.rclone.toFixed(1)} s, ` : ''}curl PUTs ${f.curlSmall.toFixed(1)} s, PROPFIND ${(f.propfind * 1000).toFixed(0)} ms (first ${(f.propfindFirst * 1000).toFixed(0)})${f.rssGrowth !== undefined ? `, RSS +${f.rssGrowth.toFixed(0)} MiB (again: +${f.rssGrowthAgain!.toFixed(0)})` : ''}`);
        } finally { await s.stop(); }
        if (key !== 'nas') continue;
        // The engine's own figures right after the share's, on the same drives in the same minutes: the overhead
        // ratios compare the two, and this VM's disk drifts over the quarter hour the peers take.
        const e = await direct(ctx, d, cold);
        directRuns.push(e);
        ctx.log(`  run ${r + 1} engine direct: writeFile ${mbps(d.bigBytes, e.write)} MB/s, openReader cold ${mbps(d.bigBytes, e.readCold)} / warm ${mbps(d.bigBytes, e.readWarm)} MB/s, ${d.names.length} writeFile ${e.small.toFixed(1)} s, readdir ${(e.readdir * 1000).toFixed(0)} ms (first ${(e.readdirFirst * 1000).toFixed(0)})`);
      }
    }
  } finally { await removeFolder(dirname(d.smallDir)); }
  const rows = rowsOf(d, runs, names, directRuns, allCold, apache);
  ctx.log('\n  targets (issue 13):');
  for (const t of davTargets(rows)) ctx.log(`    ${t.what}: ${t.got} (target ${t.target})${t.met === false ? ' — MISSED' : ''}`);
  return rows;
}

const mbps = (bytes: number, s: number) => (bytes / MB / s).toFixed(0);

function rowsOf(d: Data, runs: Map<string, Figures[]>, names: Map<string, string>, e: Direct[], allCold: boolean, apache: boolean): Row[] {
  const hi = { higherIsBetter: true };
  const size = `${d.bigBytes / MiB >= 1024 ? `${d.bigBytes / 2 ** 30} GiB` : `${d.bigBytes / MiB} MiB`}`;
  const n = d.names.length.toLocaleString('en');
  const cache = allCold ? 'page cache dropped before' : 'cache could not be dropped (not root): warm';
  const M = {
    put: `${size} PUT MB/s`, putSync: `${size} PUT, then sync: MB/s`, getCold: `${size} GET MB/s, cold`, getWarm: `${size} GET MB/s, warm`,
    rclone: `${n} files: rclone copy --transfers 8`, rcloneSync: `${n} files: rclone copy --transfers 8, then sync`,
    curl: `${n} files: curl --parallel 8 PUTs`, curlSync: `${n} files: curl --parallel 8 PUTs, then sync`, propfind: `PROPFIND Depth 1, ${n} entries`, propfindFirst: `PROPFIND Depth 1, ${n} entries, the first`,
  };
  const rate = (xs: number[]) => xs.map((s) => d.bigBytes / MB / s);
  const out: Row[] = [];
  for (const [key, fs] of runs) {
    const tool = names.get(key);
    if (!tool || fs.length === 0) continue;
    const role = key === 'nas' ? 'engine' : 'peer';
    const pick = (k: keyof Figures) => fs.map((f) => f[k]).filter((x): x is number => x !== undefined);
    out.push(
      row(S, role, tool, M.put, 'MB/s', rate(pick('put')), { ...hi, note: key === 'nas' ? 'curl -T; answered once durable (fsynced) on both members' : 'curl -T; answered once written (no fsync): one copy in the page cache' }),
      row(S, role, tool, M.putSync, 'MB/s', rate(pick('putSync')), { ...hi, note: 'the PUT, then `sync`: every copy on disk' }),
      row(S, role, tool, M.getCold, 'MB/s', rate(pick('getCold')), { ...hi, note: `curl -o /dev/null; ${cache}${key === 'nas' ? '; the engine verifies the checksum as it streams' : ''}` }),
      row(S, role, tool, M.getWarm, 'MB/s', rate(pick('getWarm')), { ...hi, note: 'the same GET again' }),
      row(S, role, tool, M.rclone, 's', pick('rclone'), { note: 'rclone 1.60 webdav remote, vendor=other, into an empty folder; first run only: rclone sends MKCOL + PUT + PROPFIND per file and paces its calls ≥ 10 ms apart, so its pace, not the server\'s, sets this time' }),
      row(S, role, tool, M.rcloneSync, 's', pick('rcloneSync')),
      row(S, role, tool, M.curl, 's', pick('curlSmall'), { note: `one curl, ${n} PUTs 8 at a time over kept-alive connections` }),
      row(S, role, tool, M.curlSync, 's', pick('curlSmallSync')),
      row(S, role, tool, M.propfind, 's', pick('propfind'), { note: `no body (allprop), the folder curl filled; warm; the median of ${LIST_TIMES} in a row` }),
      row(S, role, tool, M.propfindFirst, 's', pick('propfindFirst'), { note: 'the first of them' }),
    );
    if (key === 'nas') {
      out.push(
        row(S, 'engine', 'nas-mirror serve process', 'RSS before the PUT', 'MiB', pick('rssBefore'), { note: 'VmRSS (whole process incl. tsx)' }),
        row(S, 'engine', 'nas-mirror serve process', `peak RSS growth during the ${size} PUT`, 'MiB', pick('rssGrowth'), { note: 'the first big PUT after start: VmHWM after it − VmHWM as reset with clear_refs before it' }),
        row(S, 'engine', 'nas-mirror serve process', `peak RSS growth during a second ${size} PUT`, 'MiB', pick('rssGrowthAgain'), { note: 'the same file PUT again under another name, same process' }),
      );
    }
  }
  if (!apache) out.push(row(S, 'peer', 'Apache 2.4 mod_dav (1 drive)', M.put, 'MB/s', `${NOT_INSTALLED} (apt-get install -y apache2)`, hi));
  // The engine's own API: a "limit" row, so the report's last ratio column reads as the share's overhead.
  const direct = 'engine direct: writeFile / openReader / readdir in-process (fast + fast)';
  out.push(
    row(S, 'limit', direct, M.put, 'MB/s', rate(e.map((x) => x.write)), { ...hi, note: 'writeFile of a file read stream (the same file), durable on both members' }),
    row(S, 'limit', direct, M.getCold, 'MB/s', rate(e.map((x) => x.readCold)), { ...hi, note: `openReader to the end (checksum verified); ${cache}` }),
    row(S, 'limit', direct, M.getWarm, 'MB/s', rate(e.map((x) => x.readWarm)), hi),
    row(S, 'limit', direct, M.curl, 's', e.map((x) => x.small), { note: `${n} writeFile calls, 8 at a time (what the PUTs become)` }),
    row(S, 'limit', direct, M.propfind, 's', e.map((x) => x.readdir), { note: `readdir of the same folder (what PROPFIND lists); the median of ${LIST_TIMES} in a row` }),
    row(S, 'limit', direct, M.propfindFirst, 's', e.map((x) => x.readdirFirst), { note: 'the first of them' }),
  );
  return out;
}

/** The issue's targets, from the rows: GET ≥ 0.8× Apache cold, PUT ≥ 0.5× Apache, overhead ≤ 1.3×, RSS growth ≤ 100 MiB. */
export function davTargets(rows: readonly Row[]): { what: string; got: string; target: string; met: boolean | null }[] {
  const v = (tool: RegExp, metric: RegExp) => rows.find((r) => r.scenario === S && tool.test(r.tool) && metric.test(r.metric))?.value ?? null;
  const ours = /^nas-mirror serve --webdav/, apache = /^Apache/, eng = /^engine direct/;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const out: { what: string; got: string; target: string; met: boolean | null }[] = [];
  const add = (what: string, x: number | null, target: string, ok: (x: number) => boolean, unit = '×') =>
    out.push({ what, got: x === null ? 'n/a' : `${x.toFixed(2)}${unit}`, target, met: x === null ? null : ok(x) });
  add('GET cold, share ÷ Apache', ratio(v(ours, /GET MB\/s, cold/), v(apache, /GET MB\/s, cold/)), '≥ 0.8×', (x) => x >= 0.8);
  add('GET warm, share ÷ Apache', ratio(v(ours, /GET MB\/s, warm/), v(apache, /GET MB\/s, warm/)), '(reported)', () => true);
  add('PUT, share ÷ Apache', ratio(v(ours, /PUT MB\/s$/), v(apache, /PUT MB\/s$/)), '≥ 0.5×', (x) => x >= 0.5);
  add('PUT then sync, share ÷ Apache', ratio(v(ours, /PUT, then sync/), v(apache, /PUT, then sync/)), '(reported)', () => true);
  add('overhead PUT (engine writeFile ÷ share)', ratio(v(eng, /PUT MB\/s$/), v(ours, /PUT MB\/s$/)), '≤ 1.3×', (x) => x <= 1.3);
  add('overhead GET cold (engine openReader ÷ share)', ratio(v(eng, /GET MB\/s, cold/), v(ours, /GET MB\/s, cold/)), '≤ 1.3×', (x) => x <= 1.3);
  add('overhead GET warm', ratio(v(eng, /GET MB\/s, warm/), v(ours, /GET MB\/s, warm/)), '≤ 1.3×', (x) => x <= 1.3);
  add('overhead small PUTs (share ÷ engine writeFile)', ratio(v(ours, /curl --parallel 8 PUTs$/), v(eng, /curl --parallel 8 PUTs$/)), '≤ 1.3×', (x) => x <= 1.3);
  add('serve peak RSS growth, first big PUT', v(/^nas-mirror serve process/, /peak RSS growth during the/), '≤ 100 MiB', (x) => x <= 100, ' MiB');
  add('serve peak RSS growth, second big PUT', v(/^nas-mirror serve process/, /peak RSS growth during a second/), '≤ 100 MiB', (x) => x <= 100, ' MiB');
  return out;
}
