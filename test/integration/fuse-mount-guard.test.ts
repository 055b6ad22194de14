// A mount helper that never answers must not freeze the process (mount-guard.ts): libfuse waits for `fusermount` on
// the main thread, so the watcher on another thread ends it, the mount is tried again, and the caller gets an error
// naming the helper — within a bounded time, with the process answering again. The helper is made to hang for real:
// in a private mount namespace, a script that never answers is bound over the fusermount binary. Root and /dev/fuse
// needed, and unshare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fuseSkipReason, isMounted } from '../helpers/fuse.ts';

const run = promisify(execFile);
const skip = (await fuseSkipReason())
  ?? (await run('unshare', ['--version']).then(() => null, () => 'needs unshare (util-linux) for a private mount namespace'));

test('a fusermount that never answers: the mount fails with a clear error, twice tried, the process never frozen', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-mount-guard-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stuck = join(dir, 'stuck-fusermount');
  // Holds the connection socket it was handed and never answers (as a helper stuck before its exec would): it waits
  // for a writer on a FIFO that nobody opens, in the shell itself (no child left holding the socket once it is ended).
  const fifo = join(dir, 'never');
  await run('mkfifo', [fifo]);
  await writeFile(stuck, `#!/bin/sh\nread -r line < ${fifo}\n`);
  await chmod(stuck, 0o755);
  const helper = await realpath('/usr/bin/fusermount');
  const mnt = join(dir, 'mnt');
  const child = `
    const { mountMirror } = await import(${JSON.stringify(join(process.cwd(), 'core/app/fuse/mount.ts'))});
    const logs = [];
    const t0 = Date.now();
    const r = await mountMirror({ dir: ${JSON.stringify(mnt)}, mirror: () => null, fallbackStagingDir: ${JSON.stringify(join(dir, 'staging'))},
      mountStallMs: 1500, log: (m) => logs.push(m) }).then(() => ({ ok: true }), (e) => ({ error: e.message }));
    console.log(JSON.stringify({ ...r, ms: Date.now() - t0, logs }));`;
  const { stdout } = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount --bind "$1" "$2" && exec "$3" --import tsx --input-type=module -e "$4"`, 'sh', stuck, helper, process.execPath, child],
  { cwd: process.cwd(), timeout: 90_000, killSignal: 'SIGKILL' });
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ok?: boolean; error?: string; ms: number; logs: string[] };
  assert.match(r.error ?? '', /fusermount\) did not answer within 2 s, twice/);
  const stalls = r.logs.filter((l) => l.includes('stalled'));
  assert.equal(stalls.length, 2, r.logs.join('\n'));
  for (const l of stalls) assert.match(l, /ended process \d+/);
  assert.match(stalls[0]!, /child \d+ .*fusermount/, 'the report names the helper');
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  assert.equal(await isMounted(mnt), false);
});
