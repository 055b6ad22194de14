// Free space follows the writes: after files change, the drives are listed again and announced (issue 15, item 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import type { DriveInfo } from '../contract/types.ts';
import type { AppEvent } from '../contract/contract.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('writes lead to one fresh drives listing (not one per write), announced with the new free space', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'a')); await mkdir(join(dir, 'b'));
  let free = 50e9;
  let listings = 0;
  const deps = { ...coreDeps(), watchDrives: () => () => {}, listDrives: async (): Promise<DriveInfo[]> => {
    listings++;
    return [{ mountPoint: dir, device: 'x', filesystem: 'ext4', sizeBytes: 100e9, freeBytes: free, removable: false, readOnly: false, system: false }];
  } };
  const core = await AppCore.start({ deps, configDir: await tempDir(t), native: false, log: () => {}, ejectMode: 'engine', coalesceMs: 1, spaceRefreshMs: 1000 });
  t.after(() => core.shutdown());
  await core.create({ label: 'Home', members: [{ path: join(dir, 'a') }, { path: join(dir, 'b') }] });
  const before = listings;
  const announced = new Promise<Extract<AppEvent, { type: 'drives-changed' }>>((resolve) => core.events.subscribe(({ event }) => {
    if (event.type === 'drives-changed') resolve(event);
  }));
  free = 9e9; // the writes below filled the drive
  for (let i = 0; i < 5; i++) await core.requireMirror().writeFile(`f${i}.txt`, 'data');
  const e = await announced;
  assert.equal(e.drives[0]!.freeBytes, 9e9);
  assert.equal(listings - before, 1, 'five writes within the window: one listing');
});
