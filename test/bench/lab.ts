// Where members live during a bench: separate loop-mounted ext4 images when root, else temp folders; always cleaned up.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loopLab, loopUnsupported } from '../helpers/loop.ts';

const exec = promisify(execFile);

export interface BenchLab {
  /** 'loop' (one ext4 image per drive) or 'folders' (temp folders on the host filesystem). */
  kind: 'loop' | 'folders';
  why: string;
  /** A drive: a mount point (loop) or a folder (folders). */
  drive(name: string, sizeMiB: number): Promise<string>;
  /** Drops the page cache (root only); false when it could not. */
  dropCaches(): Promise<boolean>;
  cleanup(): Promise<void>;
}

export async function syncAll(): Promise<void> {
  await exec('sync');
}

export async function dropCaches(): Promise<boolean> {
  try {
    await exec('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

export async function openLab(o: { noLoop: boolean }): Promise<BenchLab> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => console.error(`bench cleanup: ${(e as Error).message}`));
  };
  const reason = o.noLoop ? 'loop images not requested (--no-loop)' : await loopUnsupported();
  if (reason === null) {
    // loopLab wants a node:test context; this adapter collects its teardown instead.
    const lab = await loopLab({ after: (fn) => cleanups.push(fn) });
    return {
      kind: 'loop',
      why: 'each drive is its own sparse ext4 image in /tmp, loop-mounted',
      drive: async (name, sizeMiB) => (await lab.mountExt4Image(name, { sizeMiB })).mountPoint,
      dropCaches,
      cleanup,
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'nasm-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return {
    kind: 'folders',
    why: `temp folders on one filesystem (${reason})`,
    drive: async (name) => { const p = join(dir, name); await mkdir(p, { recursive: true }); return p; },
    dropCaches,
    cleanup,
  };
}
