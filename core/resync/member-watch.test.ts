// The watcher of a member's folder (member-watch.ts) must cost nothing once closed: a long-running app watches again at
// every open, re-add and re-plug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFolder } from './member-watch.ts';

/** This process's children that have exited and were never waited for. */
async function zombieChildren(): Promise<number> {
  let n = 0;
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid && state === 'Z') n++;
  }
  return n;
}

test('watching and closing 30 times leaves no descriptor and no zombie process behind', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await watchFolder(dir, () => {}, () => {});
  await first.close(); // the first one loads the native module and its threads
  const fds = (await readdir('/proc/self/fd')).length;
  const zombies = await zombieChildren();
  for (let i = 0; i < 30; i++) await (await watchFolder(dir, () => {}, () => {})).close();
  assert.equal(first.backend, 'parcel', 'the native watcher is installed here');
  assert.ok((await readdir('/proc/self/fd')).length <= fds + 2, `descriptors grew from ${fds} to ${(await readdir('/proc/self/fd')).length}`);
  assert.equal(await zombieChildren(), zombies);
});
