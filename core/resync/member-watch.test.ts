// The watcher of a member's folder (member-watch.ts) must cost nothing once closed: a long-running app watches again at
// every open, re-add and re-plug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { held } from '../../test/helpers/proc.ts';
import { watchFolder } from './member-watch.ts';

test('watching and closing 30 times leaves no descriptor and no zombie process behind', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await watchFolder(dir, () => {}, () => {});
  await first.close(); // the first one loads the native module and its threads
  const before = await held();
  for (let i = 0; i < 30; i++) await (await watchFolder(dir, () => {}, () => {})).close();
  const after = await held();
  assert.equal(first.backend, 'parcel', 'the native watcher is installed here');
  assert.ok(after.fds <= before.fds + 2, `descriptors grew from ${before.fds} to ${after.fds}`);
  assert.equal(after.zombies, before.zombies);
});
