// The watcher of a member's folder (member-watch.ts) must cost nothing once closed: a long-running app watches again at
// every open, re-add and re-plug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zombieChildren } from '../../test/helpers/proc.ts';
import { watchFolder } from './member-watch.ts';

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
