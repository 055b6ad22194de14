// Starts the Electron app where its binary exists; otherwise explains, and for --demo runs the headless demo instead.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const demo = process.argv.includes('--demo');
function electronBinary() {
  // electron/index.js downloads the binary on first require (Electron >= 42); read path.txt instead so nothing is fetched.
  const dir = join('node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const bin = electronBinary();
if (bin) {
  const args = ['.', ...(demo ? ['--demo'] : [])];
  // The same 16-thread libuv pool as `serve` (core/server/threads.env): the drive watchdog sizes its per-drive cap
  // from it. A packaged app started from the desktop gets Node's default (4, cap 2 per drive).
  const env = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };
  spawn(bin, args, { stdio: 'inherit', env }).on('exit', (code) => process.exit(code ?? 0));
} else if (demo) {
  // stderr, so stdout stays the one URL line that scripts and tests read.
  console.error('The Electron binary is not installed here (run `npx install-electron` where the network allows);');
  console.error('running the same demo headless: open the URL below in a browser.');
  spawn(process.execPath, ['--env-file=core/server/threads.env', '--import', 'tsx', 'core/server/cli.ts', '--demo'], { stdio: 'inherit' })
    .on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error('The Electron binary is not installed. Run `npx install-electron` (needs access to github.com), or use `npm run serve`.');
  process.exit(1);
}
