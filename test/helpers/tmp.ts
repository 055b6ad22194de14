// Temporary folders for tests, removed when the test ends.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tmpfs where there is one: for tests that bound how long an acknowledgement takes, so that the bound measures the
 * engine (waiting or not for a simulated slow member) and not the fsyncs of a disk shared with other jobs.
 */
export const RAM_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

export async function tempDir(t: { after(fn: () => Promise<void> | void): void }, prefix = 'nasm-', base = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(base, prefix));
  // Retries: a mirror stopped by a later after-hook may still be landing a behind write in here (ENOTEMPTY).
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  return dir;
}
