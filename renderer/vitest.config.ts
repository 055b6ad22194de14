// Component and state-class tests, run in Debian's Chromium through Playwright (no browser download).
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { fileURLToPath } from 'node:url';

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) })],
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.svelte.ts'],
    // expect.poll and expect.element wait 1 s by default; a loaded CI Chromium can take longer to slice, copy and
    // settle a 25 MiB upload. A passing poll still returns as soon as it passes.
    expect: { poll: { timeout: 5_000 } },
    attachmentsDir: fileURLToPath(new URL('../test-results/vitest-attachments', import.meta.url)),
    browser: {
      enabled: true,
      headless: true,
      // Failure screenshots go with the other test output (gitignored), not beside the sources.
      screenshotDirectory: fileURLToPath(new URL('../test-results/vitest-screenshots', import.meta.url)),
      provider: playwright({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
