// The one seam between the drives layer and the operating system's tools: run a command, get its output.
import { execFile } from 'node:child_process';

export interface CommandResult { stdout: string; stderr: string; code: number }

/** Runs platform commands. Parsers never see this: they take recorded output, so they are tested on it. */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], o?: { timeoutMs?: number }): Promise<CommandResult>;
}

/** A missing tool gives code 127, like a shell, so callers can fall back instead of catching. */
export const nodeCommandRunner: CommandRunner = {
  run(cmd, args, o = {}) {
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: o.timeoutMs ?? 15_000, maxBuffer: 32 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr, code: 0 });
          const e = err as NodeJS.ErrnoException & { code?: string | number };
          const code = e.code === 'ENOENT' ? 127 : typeof e.code === 'number' ? e.code : 1;
          resolve({ stdout: stdout ?? '', stderr: stderr || e.message, code });
        });
    });
  },
};

/** Runs a command and returns its stdout, or null when it is missing or failed (optional enrichment). */
export async function tryStdout(runner: CommandRunner, cmd: string, args: readonly string[]): Promise<string | null> {
  const r = await runner.run(cmd, args);
  return r.code === 0 ? r.stdout : null;
}
