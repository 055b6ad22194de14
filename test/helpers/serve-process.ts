// Runs `serve` (core/server/cli.ts) as a child process for tests: waits for its one stdout line, the URL.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code once the output is read to the end. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** SERVE_NODE_ARGS: Node options for the serve process only, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile a bench run. */
export function startServe(args: string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...(process.env.SERVE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'core/server/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  // 'close', not 'exit': only then has all of stdout and stderr been read, so err is the whole story.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve printed no URL in ${timeoutMs} ms; stderr:\n${err}`)); }, timeoutMs);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before printing its URL; stderr:\n${err}`)); });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const m = /^NAS Mirror at (https?:\/\/\S+)$/.exec(line);
      if (!m) { child.kill('SIGKILL'); reject(new Error(`unexpected first line: ${line}`)); return; }
      resolve({
        child, url: m[1]!, stderr: () => err,
        async stop(signal = 'SIGTERM') { if (child.exitCode === null) child.kill(signal); return exited; },
      });
    });
  });
}
