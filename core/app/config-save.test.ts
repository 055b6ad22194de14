// Settings saved while other saves run: the config on disk is the one in use. Each save is a whole-file atomic
// replacement; run at once they could land out of order (an older config renamed over a newer one), so AppCore runs
// them one at a time, each writing the config as it is when it starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import { CONFIG_FILE } from './config-store.ts';
import { SCRUB_SCHEDULES } from '../contract/scrub-schedule.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('forty settings changes at once: the saved config is the last one, and a restart finds it', async (t) => {
  const root = await realpath(await tempDir(t));
  const configDir = join(root, 'config');
  const start = () => AppCore.start({
    deps: { ...coreDeps(), listDrives: async () => [], watchDrives: () => Object.assign(() => {}, { ready: Promise.resolve() }) },
    configDir, native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine',
  });
  const core = await start();
  t.after(() => core.shutdown());
  const wanted = Array.from({ length: 40 }, (_, i) => SCRUB_SCHEDULES[i % SCRUB_SCHEDULES.length]!);
  await Promise.all(wanted.map((scrubSchedule) => core.updateSettings({ scrubSchedule })));
  const last = wanted.at(-1)!;
  assert.equal(core.settings.scrubSchedule, last);
  const saved = JSON.parse(await readFile(join(configDir, CONFIG_FILE), 'utf8')) as { settings: { scrubSchedule?: string } };
  assert.equal(saved.settings.scrubSchedule, last, 'the file holds the config in use, not one saved earlier');
  await core.shutdown();
  const again = await start();
  t.after(() => again.shutdown());
  assert.equal(again.settings.scrubSchedule, last);
});
