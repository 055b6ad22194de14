// A FUSE mount blocks this process's main thread: fuse-native calls libfuse's fuse_mount synchronously, which forks
// the `fusermount` helper (always for a user; for root too with auto_unmount) and waits for it to hand back the
// connection. If that helper never answers — the forked copy of this process stuck before it could exec, or the helper
// stuck — nothing else runs: not the app, not a timer (two whole test files hung 600 s in CI this way, no test timeout
// firing). A watcher on its own thread sees the main thread stop beating, says where everything stands, and ends the
// stuck helper: the mount then fails with an error instead of freezing the app, and the caller may try again.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** What the watcher did when the main thread stopped during a mount (reported only once it ended a helper). */
export interface MountStall { stalledMs: number; killed: string[]; report: string }

// The watcher, CommonJS run by `eval` (no file to find in a packaged app). It beats against `beat[0]` (ms since
// `start`, written by the main thread); once a stall passes stallMs it reports and ends new helpers: a child of this
// process that is `fusermount`, or a copy of this process (same program, same arguments) that never reached its exec.
const WATCHER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { pid, start, stallMs, before } = workerData;
const beat = new Int32Array(workerData.sab);
const read = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return ''; } };
const self = read('/proc/' + pid + '/cmdline');
const killed = [];
const lines = [];
setInterval(() => {
  const stalled = Date.now() - start - Atomics.load(beat, 0);
  if (stalled < stallMs) return;
  // libfuse asks the helper again when it fails (once with the subtype option, once without): every new one goes.
  const found = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(p) || before.includes(Number(p)) || killed.includes(p)) continue;
    const stat = read('/proc/' + p + '/stat');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) !== pid || rest[0] === 'Z') continue;
    const cmd = read('/proc/' + p + '/cmdline');
    if (!/fusermount/.test(cmd) && cmd !== self) continue;
    found.push('child ' + p + ' ' + stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1) + ' state ' + rest[0] + ' wchan ' + read('/proc/' + p + '/wchan') + ': ' + cmd.split('\\0').join(' ').trim());
    try { process.kill(Number(p), 'SIGKILL'); killed.push(p); } catch {}
  }
  if (!found.length) return;
  if (!lines.length) lines.push('main thread: wchan ' + read('/proc/' + pid + '/task/' + pid + '/wchan') + ', syscall ' + read('/proc/' + pid + '/task/' + pid + '/syscall').trim());
  lines.push(...found);
  Atomics.add(beat, 1, 1); // counted before posting: the main thread waits for every report once it runs again
  parentPort.postMessage({ stalledMs: stalled, killed, report: lines.join('\\n') });
}, 250);
`;

/** This process's children now (a helper that was already there is never the mount's). */
function childPids(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) out.push(Number(p));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/**
 * Runs `mount` (which may block the main thread) with a watcher on another thread. Resolves with the mount's outcome
 * and, if the main thread stalled longer than `stallMs` meanwhile, what the watcher saw and ended.
 */
export async function guardedMount(mount: () => Promise<void>, stallMs: number): Promise<{ error?: unknown; stall?: MountStall }> {
  const start = Date.now();
  const beat = new Int32Array(new SharedArrayBuffer(8));
  const watcher = new Worker(WATCHER, { eval: true, execArgv: [], workerData: { sab: beat.buffer, pid: process.pid, start, stallMs, before: childPids() } });
  const reports: MountStall[] = [];
  let reported = () => {};
  watcher.on('message', (m: MountStall) => { reports.push(m); reported(); });
  watcher.on('error', () => {}); // a watcher that cannot run only leaves the mount unguarded
  await new Promise<void>((r) => { watcher.once('online', r); watcher.once('error', () => r()); });
  const beating = setInterval(() => Atomics.store(beat, 0, Date.now() - start), 100);
  Atomics.store(beat, 0, Date.now() - start);
  let error: unknown;
  try {
    await mount();
  } catch (e) {
    error = e;
  } finally {
    clearInterval(beating);
    Atomics.store(beat, 0, 2 ** 31 - 1); // never a stall again, while the watcher is being ended
  }
  const posted = Atomics.load(beat, 1);
  while (reports.length < posted) await new Promise<void>((r) => (reported = r));
  const stall = reports.at(-1);
  await watcher.terminate();
  return { error, ...(stall ? { stall } : {}) };
}
