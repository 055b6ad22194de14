// What this process holds, read from /proc (Linux): for tests that a long-running app gives back what it takes.
import { readdir, readFile } from 'node:fs/promises';

/** This process's children that have exited and were never waited for. */
async function zombieChildren(): Promise<number> {
  let n = 0;
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid && state === 'Z') n++;
  }
  return n;
}

/** Open descriptors, threads and unwaited children of this process. */
export async function held(): Promise<{ fds: number; threads: number; zombies: number }> {
  return { fds: (await readdir('/proc/self/fd')).length, threads: (await readdir('/proc/self/task')).length, zombies: await zombieChildren() };
}
