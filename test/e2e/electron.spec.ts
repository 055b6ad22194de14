// The desktop app through Playwright's _electron: starts, shows the dashboard, quits cleanly. Skipped (with the reason)
// where the Electron binary is not installed, as on machines without access to github.com.
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifact, repoRoot } from './serve.ts';

/** The binary's path without require('electron'), whose first require would try to download it (Electron >= 42). */
function electronBinary(): string | null {
  const pathFile = join(repoRoot, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(repoRoot, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const bin = electronBinary();
const main = join(repoRoot, 'dist/electron/main.cjs');
const skipReason = bin === null
  ? 'Electron binary not installed (node_modules/electron/path.txt or its dist/ file is missing): run `npx install-electron` where github.com is reachable'
  : !existsSync(main) ? 'dist/electron/main.cjs is missing: run `npm run build` first' : null;

test('Electron: the app starts, shows the dashboard, and quits cleanly', async () => {
  if (skipReason) console.log(`electron.spec skipped: ${skipReason}`);
  test.skip(skipReason !== null, skipReason ?? '');
  const userData = await mkdtemp(join(tmpdir(), 'nasm-electron-'));
  try {
    const app = await electron.launch({
      executablePath: bin!,
      args: [repoRoot, '--demo', `--user-data-dir=${userData}`, '--no-sandbox', '--disable-gpu'],
      env: { ...process.env, NAS_MIRROR_USER_DATA: userData },
    });
    const window = await app.firstWindow();
    await expect(window.getByTestId('member-card').first()).toBeVisible({ timeout: 60_000 });
    await expect(window.getByTestId('health')).toBeVisible();
    await window.screenshot({ path: artifact('electron-dashboard.png') });
    const exited = new Promise<number | null>((r) => app.process().once('exit', (code) => r(code)));
    await app.evaluate(({ app: a }) => a.quit());
    expect(await exited).toBe(0);
  } finally {
    await rm(userData, { recursive: true, force: true });
  }
});
