// What tells the watcher "the mount table may have changed": findmnt --poll on Linux, /Volumes on macOS, else a timer.
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface Trigger {
  /** Resolves once a change from now on will be noticed. */
  ready: Promise<void>;
  stop(): void;
}
export type TriggerFactory = (onChange: () => void) => Trigger;

/** Waits until findmnt holds /proc/<pid>/mountinfo open: from then on poll(2) on it sees every change. */
async function armed(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => null);
    if (fds === null) return false;
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (links.some((l) => l.endsWith('/mountinfo'))) return true;
    await new Promise((r) => setTimeout(r, 5)); // a few ms at start-up only, while the child execs
  }
  return false;
}

/**
 * `findmnt --poll` blocks in poll(2) on /proc/self/mountinfo, which the kernel wakes on every mount and unmount —
 * event-driven, unlike fs.watch, which never fires on procfs. -J asserts in --poll mode (util-linux 2.38), so -P.
 * Falls back to the mountinfo poll if findmnt is missing or dies.
 */
export const findmntTrigger: TriggerFactory = (onChange) => {
  let fallback: Trigger | undefined;
  let stopped = false;
  const child = spawn('findmnt', ['--poll', '-P', '-o', 'ACTION,TARGET'], { stdio: ['ignore', 'pipe', 'ignore'] });
  createInterface({ input: child.stdout }).on('line', () => onChange());
  const useFallback = () => {
    if (stopped || fallback) return fallback?.ready ?? Promise.resolve();
    fallback = mountinfoPollTrigger(onChange);
    onChange(); // anything that changed while findmnt was dying
    return fallback.ready;
  };
  child.on('error', () => void useFallback());
  child.on('exit', () => void useFallback());
  const ready = new Promise<void>((resolve) => {
    child.once('error', () => resolve(useFallback()));
    child.once('spawn', () => {
      void armed(child.pid!, Date.now() + 2000).then((ok) => resolve(ok ? undefined : useFallback()));
    });
  });
  return {
    ready,
    stop() {
      stopped = true;
      child.removeAllListeners('exit');
      if (child.exitCode === null) child.kill();
      fallback?.stop();
    },
  };
};

/** The cheap poll: read /proc/self/mountinfo every intervalMs and call onChange when its text differs. */
export function mountinfoPollTrigger(onChange: () => void, intervalMs = 500): Trigger {
  let last: string | undefined;
  const read = () => readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const ready = read().then((t) => { last = t; });
  const timer = setInterval(() => {
    void read().then((t) => {
      if (last !== undefined && t !== last) { last = t; onChange(); }
    });
  }, intervalMs);
  return { ready, stop: () => clearInterval(timer) };
}

/** macOS mounts every volume under /Volumes, so a watch on that folder sees arrivals and departures. */
export function volumesWatchTrigger(onChange: () => void): Trigger {
  const w = watch('/Volumes', () => onChange());
  w.on('error', () => {});
  return { ready: Promise.resolve(), stop: () => w.close() };
}

/** Windows (and anything else): relist on a timer; listDrives' own comparison decides what changed. */
export function timerTrigger(onChange: () => void, intervalMs = 2000): Trigger {
  const timer = setInterval(onChange, intervalMs);
  return { ready: Promise.resolve(), stop: () => clearInterval(timer) };
}

export function platformTrigger(): TriggerFactory {
  if (process.platform === 'linux') return findmntTrigger;
  if (process.platform === 'darwin') return volumesWatchTrigger;
  return (onChange) => timerTrigger(onChange);
}
