// Starts the real headless server (`core/server/cli.ts`) for a spec on a free port and stops it cleanly afterwards.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '@playwright/test';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const artifactsDir = join(repoRoot, 'test/e2e/artifacts');

export interface Served {
  url: string;
  configDir: string;
  proc: ChildProcess;
  /** Everything the server wrote on stderr, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** The renderer must be built for `serve` to have something to serve; build it once if it is missing. */
export function ensureRendererBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist/renderer/index.html'))) {
    execFileSync('npm', ['run', '-s', 'build:renderer'], { cwd: repoRoot, stdio: 'inherit' });
  }
}

export async function serve(o: { demo?: boolean; env?: Record<string, string> } = {}): Promise<Served> {
  ensureRendererBuilt();
  const configDir = await mkdtemp(join(tmpdir(), 'nasm-e2e-'));
  const args = ['--import', 'tsx', 'core/server/cli.ts', '--port', '0', '--config', configDir, ...(o.demo ? ['--demo'] : [])];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  // 'close', not 'exit': only then has all of stdout and stderr been read, so the log is the whole story.
  const closed = new Promise<void>((r) => proc.once('close', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`serve did not print its URL within 60 s:\n${stderr}`)); }, 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /NAS Mirror at (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    void closed.then(() => { clearTimeout(timer); reject(new Error(`serve exited with ${proc.exitCode ?? proc.signalCode}:\n${stderr}`)); });
  });
  return {
    url, configDir, proc, log: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); // it flushes behind writes and stops cleanly
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await closed;
      clearTimeout(timer);
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

/** Where a screen's screenshot goes (test/e2e/artifacts, gitignored); `publish` may also copy it into docs/. */
export function artifact(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}

/**
 * A spec file's server and cleanups, undone after all its tests: screens published, the server stopped, then the
 * cleanups (loop drives, folders) in the reverse of the order they were added.
 */
export function specLifecycle(): { server?: Served; afters: (() => Promise<void>)[] } {
  const spec: { server?: Served; afters: (() => Promise<void>)[] } = { afters: [] };
  test.afterAll(async () => {
    publishScreens();
    await spec.server?.stop();
    for (const fn of spec.afters.reverse()) await fn();
  });
  return spec;
}

/** With UPDATE_DOCS=1: every screen saved so far is copied into docs/screens/, the README's gallery. */
export function publishScreens(): void {
  if (!existsSync(artifactsDir)) return;
  for (const n of readdirSync(artifactsDir)) if (n.endsWith('.png')) publish(join(artifactsDir, n), join('screens', n));
}

/** Refreshes a README screenshot only when asked (UPDATE_DOCS=1), so a test run leaves the checkout clean. */
export function publish(artifactPath: string, docsName: string): void {
  if (!process.env.UPDATE_DOCS) return;
  const target = join(repoRoot, 'docs', docsName);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(artifactPath, target);
}
