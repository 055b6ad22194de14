// CPU seconds per GiB of the WebDAV share's PUT and GET (serve process, curl as the client) and of the engine's own
// writeFile / openReader on the same file: on a 2-core machine shared with other jobs, CPU per byte is what sets the
// share's throughput (scenario 8). Usage: node --env-file=core/server/threads.env --import tsx test/bench/dav-cpu.ts [--mib N] [--dir D]
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror } from '../../core/index.ts';
import { defaultConfig, saveConfig } from '../../core/app/config-store.ts';
import { startDavServe } from '../helpers/dav.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : dflt; };
const mib = Number(arg('--mib', '1024'));
const dir = await mkdtemp(join(arg('--dir', '/tmp'), 'nasm-dav-cpu-'));
try {
  const src = join(dir, 'src.bin');
  execFileSync('sh', ['-c', `head -c ${mib}M /dev/urandom > '${src}'`]);
  const mirror = async (name: string) => {
    const members = [{ path: join(dir, `${name}-a`), label: 'a' }, { path: join(dir, `${name}-b`), label: 'b' }];
    return { m: await createMirror({ members, label: name }), members };
  };
  // Two mirrors of two folders each: one in this process (direct), one behind a separate serve process (the share).
  const direct = await mirror('direct');
  const shared = await mirror('share');
  await shared.m.stop();
  await saveConfig(join(dir, 'config'), { ...defaultConfig(), mirrors: [{ id: shared.m.id, label: 'share', members: shared.members, autoAssemble: true }], activeMirrorId: shared.m.id });
  const s = await startDavServe(['--config', join(dir, 'config'), '--port', '0', '--webdav']);
  try {
    const tick = Number(execFileSync('getconf', ['CLK_TCK']).toString());
    const serveCpu = async () => {
      const f = (await readFile(`/proc/${s.child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / tick; // utime + stime, every thread of the process
    };
    const selfCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
    const report = (what: string, cpu: number, ms: number) =>
      console.log(`${what.padEnd(44)} ${(cpu / (mib / 1024)).toFixed(2)} CPU-s/GiB  ${(mib * 2 ** 20 / 1e6 / (ms / 1000)).toFixed(0)} MB/s`);

    let c0 = selfCpu(), t0 = performance.now();
    await direct.m.writeFile('big.bin', createReadStream(src) as AsyncIterable<Uint8Array>);
    report('engine writeFile (in this process)', selfCpu() - c0, performance.now() - t0);
    c0 = await serveCpu(); t0 = performance.now();
    execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-T', src, `${s.davUrl}big.bin`]);
    report('share PUT (serve process; curl not counted)', (await serveCpu()) - c0, performance.now() - t0);
    for (let i = 1; i <= 3; i++) {
      c0 = selfCpu(); t0 = performance.now();
      const r = await direct.m.openReader('big.bin');
      for await (const chunk of r.chunks) void chunk;
      report(`engine openReader, warm (${i})`, selfCpu() - c0, performance.now() - t0);
      c0 = await serveCpu(); t0 = performance.now();
      execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', `${s.davUrl}big.bin`]);
      report(`share GET, warm (${i})`, (await serveCpu()) - c0, performance.now() - t0);
    }
  } finally {
    await s.stop();
    await direct.m.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
