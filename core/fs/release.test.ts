// Filesystem.release: a drive the mirror lets go of gives back its helper threads at once, never a call in flight.
// Its own file: helpers another test left idling would end on their own timers while this one counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp.ts';
import { writeFileAtomic } from './filesystem.ts';
import { ConfinedFs } from './confined-fs.ts';
import { NodeFs } from './node-fs.ts';
import { SlowFs } from './slow-fs.ts';
import { WatchdogFs } from './watchdog-fs.ts';

const threads = async () => (await readdir('/proc/self/task')).length;

test('release ends the idle helper threads through every wrapper; a call in flight finishes, and its helper ends after', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const root = await tempDir(t, 'nasm-release-');
  await mkdir(join(root, '.nas-mirror', 'tmp'), { recursive: true });
  const names = Array.from({ length: 300 }, (_, i) => join(root, `f${i}.txt`));
  for (const n of names) await writeFile(n, n);
  await threads(); // libuv's own pool is started by the first call and stays: not ours to count
  const before = await threads();

  const fs = new WatchdogFs(new ConfinedFs(new SlowFs(new NodeFs(), {}), root), { stallMs: 10_000 });
  const inner = new WatchdogFs(new ConfinedFs(new NodeFs(), root), { stallMs: 10_000 });
  await inner.hashSmallFiles!(names.slice(0, 2), 1 << 20); // the checksum helper
  await inner.stat(names[0]!); // the lookup helper
  await writeFileAtomic(inner, join(root, 'new.txt'), join(root, '.nas-mirror', 'tmp'), Buffer.from('new'));
  assert.ok(await threads() > before, 'the calls started helpers');
  await fs.release(); // a SlowFs in between passes it on too (nothing started there: resolves at once)
  await inner.release();
  assert.equal(await threads(), before, 'every idle helper is gone when release resolves');

  const busy = inner.hashSmallFiles!(names, 1 << 20); // posted: its helper has a call waiting
  await inner.release();
  const got = await busy;
  assert.equal(got.length, names.length, 'the call in flight was not failed by release');
  assert.ok(got.every((r) => r.hash !== undefined));
  assert.ok(await threads() > before, 'its helper was left running');
  await inner.release();
  assert.equal(await threads(), before, 'and ends at the next release');
});
