// Which processes keep a mount busy: lsof, else fuser, else a scan of /proc/*/fd — so the user can close them.
import { isAtOrInside } from '../mirror/paths.ts';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { CommandRunner } from './command-runner.ts';

export interface Holder { pid: number; command: string }

/** `lsof -F pc -- MOUNTPOINT` (a mount point argument means "every open file on that filesystem"). */
export function parseLsofFields(out: string): Holder[] {
  const holders: Holder[] = [];
  let pid = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('c') && pid > 0 && !holders.some((h) => h.pid === pid)) holders.push({ pid, command: line.slice(1) });
  }
  return holders;
}

/**
 * `fuser -vm MOUNTPOINT` prints its table on stderr: "USER PID ACCESS COMMAND" rows, the first one after the
 * mount point's name. The "kernel mount" row is the mount itself, not a process.
 */
export function parseFuserVerbose(stderr: string): Holder[] {
  const holders: Holder[] = [];
  for (const line of stderr.split('\n')) {
    const m = /\s(\d+)\s+([FfcerRm.]{5})\s+(.+)$/.exec(line);
    if (m && !holders.some((h) => h.pid === Number(m[1]))) holders.push({ pid: Number(m[1]), command: m[3]!.trim() });
  }
  return holders;
}

/** The last resort on Linux: every process whose cwd, root or an open file lies under the mount point. */
export async function scanProcForHolders(mountPoint: string): Promise<Holder[]> {
  const holders: Holder[] = [];
  const pids = (await readdir('/proc').catch(() => [])).filter((n) => /^\d+$/.test(n));
  await Promise.all(pids.map(async (pid) => {
    const links = ['cwd', 'root'].map((l) => `/proc/${pid}/${l}`);
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    links.push(...fds.map((fd) => `/proc/${pid}/fd/${fd}`));
    const targets = await Promise.all(links.map((l) => readlink(l).catch(() => '')));
    if (targets.some((t) => isAtOrInside(t, mountPoint))) {
      const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      holders.push({ pid: Number(pid), command });
    }
  }));
  return holders.sort((a, b) => a.pid - b.pid);
}

export async function findHolders(runner: CommandRunner, mountPoint: string): Promise<Holder[]> {
  const lsof = await runner.run('lsof', ['-w', '-F', 'pc', '--', mountPoint]);
  // lsof exits 1 both for "nothing open" and for warnings; any process line is an answer.
  if (/^p\d+/m.test(lsof.stdout)) return parseLsofFields(lsof.stdout);
  const fuser = await runner.run('fuser', ['-vm', mountPoint]);
  if (fuser.code !== 127) {
    const found = parseFuserVerbose(fuser.stderr);
    if (found.length) return found;
  }
  return process.platform === 'linux' ? scanProcForHolders(mountPoint) : [];
}

/** "tail (pid 4242), node (pid 17, this app)" */
export function describeHolders(holders: Holder[]): string {
  return holders.map((h) => `${h.command} (pid ${h.pid}${h.pid === process.pid ? ', this app' : ''})`).join(', ');
}
