// External peers (dd, fio, rsync, cp, rclone, unison, sha256sum, mergerfs, smbclient): presence checks, timed runs, a free port.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const known = new Map<string, boolean>();

export async function has(cmd: string): Promise<boolean> {
  if (!known.has(cmd)) known.set(cmd, await exec('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false));
  return known.get(cmd)!;
}

/** Runs a command to completion (throws with its stderr on failure); returns its stdout and the wall time. */
export async function run(cmd: string, args: readonly string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  try {
    const { stdout } = await exec(cmd, [...args], { maxBuffer: 256 << 20, env: o.env ?? process.env, ...(o.cwd ? { cwd: o.cwd } : {}) });
    return { ms: performance.now() - t0, stdout };
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().slice(0, 400)}`);
  }
}

/** Runs a shell line (pipes, globs); the same contract as run(). */
export const sh = (line: string, o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) => run('sh', ['-c', line], o);

/** Single-quotes a path for sh. */
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A peer row's value when the tool is missing. */
export const NOT_INSTALLED = 'not installed';

/** The versions of the peers, for the report. */
export async function toolVersions(): Promise<Record<string, string>> {
  const probes: [string, string][] = [
    ['fio', 'fio --version'], ['rsync', 'rsync --version | head -1'], ['rclone', 'rclone version | head -1'],
    ['unison', 'unison -version'], ['dd', 'dd --version | head -1'], ['cp', 'cp --version | head -1'], ['sha256sum', 'sha256sum --version | head -1'],
    ['apache2', 'apache2 -v | head -1'], ['curl', 'curl --version | head -1'],
    ['mergerfs', 'mergerfs --version 2>&1 | head -1'], ['smbclient', 'smbclient --version'], ['tar', 'tar --version | head -1'],
  ];
  const out: Record<string, string> = {};
  for (const [name, line] of probes) out[name] = (await has(name)) ? (await sh(line).then((r) => r.stdout.trim(), () => '?')) : NOT_INSTALLED;
  return out;
}

/** A loopback port nothing listens on (for servers that cannot be told port 0 and say which they got: Apache, smbd). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
