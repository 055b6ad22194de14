// FUSE mount fixtures: whether this machine can mount (root, /dev/fuse, the addon built), `serve --mount` as a child
// process, a mount of an in-process mirror (for fault injection), shell commands run beside it, and teardown that
// always leaves nothing mounted.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Mirror } from '../../core/index.ts';
import { mountMirror, mountUnavailable, type MirrorMount } from '../../core/app/fuse/mount.ts';

const execFileP = promisify(execFile);

/**
 * A test process serving a mount must never block its main thread: FUSE requests are answered there, so a block is a
 * hang that no test timeout ends (their timers run there too). Watched from another thread: after 90 s without a beat
 * it writes where every thread and child stands to stderr (fd 2 directly: the main thread relays a worker's console)
 * and aborts, so the file fails in 90 s with the evidence instead of at the runner's 600 s with none.
 */
let watching = false;
export function watchMainThread(afterMs = 90_000): void {
  if (watching) return;
  watching = true;
  const beat = new Int32Array(new SharedArrayBuffer(4));
  const start = Date.now();
  setInterval(() => Atomics.store(beat, 0, Date.now() - start), 500).unref();
  const worker = new Worker(`
    const { workerData } = require('node:worker_threads');
    const { execFileSync } = require('node:child_process');
    const { writeSync } = require('node:fs');
    const beat = new Int32Array(workerData.sab), pid = workerData.pid;
    const sh = (c) => { try { return execFileSync('sh', ['-c', c], { encoding: 'utf8', timeout: 5000 }); } catch (e) { return String(e); } };
    setInterval(() => {
      if (Date.now() - workerData.start - Atomics.load(beat, 0) < workerData.afterMs) return;
      writeSync(2, '\\nMAIN THREAD BLOCKED ' + workerData.afterMs / 1000 + ' s (pid ' + pid + ')\\n' +
        sh('for t in /proc/' + pid + '/task/*; do echo "== $t $(cat $t/comm) $(cat $t/wchan) syscall $(cat $t/syscall)"; cat $t/stack; done') +
        sh('ps -o pid,stat,wchan:30,cmd --ppid ' + pid) + '\\n');
      process.kill(pid, 'SIGABRT');
    }, 1000);`, { eval: true, execArgv: [], workerData: { sab: beat.buffer, pid: process.pid, start, afterMs } });
  worker.unref();
}

/** A mount's log for tests: only a stalled mount's report (mount-guard.ts), on stderr where CI keeps it. */
export const reportStall = (m: string): void => { if (m.includes(' stalled ')) console.error(m); };

/** Why FUSE tests cannot run here (they skip with it), or null. */
export async function fuseSkipReason(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (FUSE mounts and their cleanup): run the tests as root';
  return mountUnavailable();
}

/** Whether something is mounted at `dir` (findmnt asks the mount table; it never touches the mount itself). */
export async function isMounted(dir: string): Promise<boolean> {
  return execFileP('findmnt', ['-n', '--mountpoint', dir]).then(() => true, () => false);
}

/** Unmounts whatever is left at `dir`, even a dead mount (the forced unmount aborts its connection first). */
export async function forceUnmount(dir: string): Promise<void> {
  if (!(await isMounted(dir))) return;
  await execFileP('umount', ['-f', dir]).catch(() => {});
  if (await isMounted(dir)) await execFileP('umount', ['-l', dir]).catch(() => {});
}

export interface Sh { stdout: string; stderr: string; code: number }

/**
 * Runs a shell command in a child process (never synchronously: a mount served by this process must stay able to
 * answer it). Resolves with its output and exit code; rejects only if it cannot start.
 */
export function sh(command: string, o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Sh> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ stdout, stderr, code: code ?? -1 }); });
  });
}

/** Like sh, but a non-zero exit is an error naming the command and its stderr. */
export async function shOk(command: string, o: Parameters<typeof sh>[1] = {}): Promise<string> {
  const r = await sh(command, o);
  if (r.code !== 0) throw new Error(`\`${command}\` exited ${r.code}:\n${r.stderr}${r.stdout.slice(-2000)}`);
  return r.stdout;
}

export interface MountServe {
  child: ChildProcess;
  url: string;
  mountDir: string;
  /** Every stdout line so far (the URL, Mounted at, …). */
  lines: string[];
  stderr(): string;
  /** Sends the signal and resolves with the exit code once its output is read to the end. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `serve` (core/server/cli.ts) and resolves once it printed every line `ready` wants (by default the URL and
 * `Mounted at DIR`); the mount is always cleared in teardown, whatever the test did to the process.
 */
export function startMountServe(t: { after(fn: () => Promise<void> | void): void }, args: string[], mountDir: string,
  o: { ready?: RegExp[]; timeoutMs?: number } = {}): Promise<MountServe> {
  const ready = o.ready ?? [/^NAS Mirror at /, new RegExp(`^Mounted at ${mountDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)];
  const child = spawn(process.execPath, ['--env-file=core/server/threads.env', '--import', 'tsx', 'core/server/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; }
    await forceUnmount(mountDir);
  });
  const timeoutMs = o.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve was not ready in ${timeoutMs} ms; stderr:\n${err}`)); }, timeoutMs);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before it was ready; stderr:\n${err}`)); });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (!ready.every((r) => lines.some((l) => r.test(l)))) return;
      clearTimeout(timer);
      resolve({
        child, lines, mountDir, url: /^NAS Mirror at (\S+)$/.exec(lines[0]!)?.[1] ?? '', stderr: () => err,
        async stop(signal = 'SIGTERM') { if (child.exitCode === null && child.signalCode === null) child.kill(signal); return exited; },
      });
    });
  });
}

/**
 * Mounts an in-process mirror (fault injection through its member filesystems) at a folder of its own, which one
 * teardown hook unmounts and then removes (hooks run in the order added: a folder removed first would be busy).
 */
export async function mountInProcess(t: { after(fn: () => Promise<void> | void): void }, mirror: Mirror): Promise<MirrorMount> {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-mnt-'));
  let mount: MirrorMount | undefined;
  t.after(async () => {
    await mount?.unmount();
    await forceUnmount(join(dir, 'mnt'));
    await rm(dir, { recursive: true, force: true });
  });
  watchMainThread();
  mount = await mountMirror({ dir: join(dir, 'mnt'), mirror: () => mirror, fallbackStagingDir: join(dir, 'staging'), log: reportStall });
  return mount;
}
