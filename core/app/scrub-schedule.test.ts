// The scheduled scrub and the settings view's options (issue 15, item 9), over the real engine on temp folders, with a
// fake clock and timers fired by hand: not due, due on the timer, overdue at start, kept across restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { AppCore } from './app-core.ts';
import { coreDeps } from './core-deps.ts';
import { createDispatch, createHandlers } from './handlers.ts';
import { CONFIG_FILE } from './config-store.ts';
import { MAX_WAIT_MS, type Timers } from './scrub-scheduler.ts';
import { SCRUB_PERIOD_MS } from '../contract/scrub-schedule.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

type T = Parameters<typeof tempDir>[0];
const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-01-01T03:00:00Z');

/** Timers that only run when the test fires them. */
class HandTimers implements Timers {
  readonly waiting = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;
  set(fn: () => void, ms: number): number { this.waiting.set(this.#next, { fn, ms }); return this.#next++; }
  clear(h: unknown): void { this.waiting.delete(h as number); }
  fire(): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const t of all) t.fn();
  }
}

async function world(t: T) {
  const root = await realpath(await tempDir(t));
  const clock = { now: T0 };
  const timers = new HandTimers();
  const cores: AppCore[] = [];
  t.after(async () => { for (const c of cores) await c.shutdown(); });
  async function start() {
    const core = await AppCore.start({
      deps: { ...coreDeps(), listDrives: async () => [], watchDrives: () => Object.assign(() => {}, { ready: Promise.resolve() }) },
      configDir: join(root, 'config'), native: false, log: () => {}, coalesceMs: 1, ejectMode: 'engine',
      clock: () => clock.now, timers,
    });
    cores.push(core);
    return { core, dispatch: createDispatch(createHandlers(core)) };
  }
  const members = [{ path: join(root, 'a') }, { path: join(root, 'b'), writeMostly: true }];
  return { root, clock, timers, start, members };
}

const scrubs = (core: AppCore) => core.history({ kinds: ['scrub-start', 'scrub-result'] }).map((e) => `${e.title} @${e.at}`).reverse();

test('monthly by default: not due, then due on the timer, then overdue at a start; the last run survives restarts', async (t) => {
  const w = await world(t);
  const first = await w.start();
  assert.ok((await first.dispatch('mirror.create', [{ label: 'Home', members: w.members }])).ok);
  assert.ok((await first.dispatch('files.write', ['a.txt', new TextEncoder().encode('hello')])).ok);
  const s = first.core.settings;
  assert.equal(s.scrubSchedule, 'monthly');
  assert.equal(s.lastScrubAt, undefined);
  assert.equal(s.nextScrubAt, T0 + 30 * DAY, 'a month from when the mirror was first opened');
  assert.deepEqual([...w.timers.waiting.values()].map((x) => x.ms), [MAX_WAIT_MS], 'waits in steps a timer can take');

  // Not due yet: the timer only looks again.
  w.clock.now = T0 + 29 * DAY;
  w.timers.fire();
  assert.equal(first.core.scheduledScrub, undefined);
  assert.deepEqual(scrubs(first.core), []);

  // Due: the timer runs the scrub (a repair, as Repair does), and its result enters the history.
  const due = T0 + 30 * DAY + 1;
  w.clock.now = due;
  w.timers.fire();
  assert.ok(first.core.scheduledScrub, 'a scrub started');
  await first.core.scheduledScrub;
  assert.deepEqual(scrubs(first.core), [`Scheduled repair started @${due}`, `Scheduled repair finished @${due}`]);
  assert.match(first.core.history({ kinds: ['scrub-result'] })[0]!.message, /1 file compared, 0 mismatches, 0 repaired/);
  assert.equal(first.core.settings.lastScrubAt, due);
  assert.equal(first.core.settings.nextScrubAt, due + SCRUB_PERIOD_MS.monthly);
  await first.core.shutdown();

  // A restart a day later: the last run was kept, nothing is due.
  w.clock.now = due + DAY;
  const second = await w.start();
  assert.equal(second.core.mirror?.id !== undefined, true, 'the mirror was assembled again');
  assert.equal(second.core.scheduledScrub, undefined);
  assert.equal(second.core.settings.lastScrubAt, due);
  await second.core.shutdown();

  // A start after the app was off past the due date: the overdue scrub runs at once.
  const late = due + 45 * DAY;
  w.clock.now = late;
  const third = await w.start();
  assert.ok(third.core.scheduledScrub, 'an overdue scrub runs at start');
  await third.core.scheduledScrub;
  assert.equal(third.core.settings.lastScrubAt, late);
  assert.equal(JSON.parse(await readFile(join(w.root, 'config', CONFIG_FILE), 'utf8')).mirrors[0].lastScrubAt, late);
});

test('the settings: schedule off or weekly, options saved for the next start; bad values refused and nothing saved', async (t) => {
  const w = await world(t);
  const first = await w.start();
  assert.ok((await first.dispatch('mirror.create', [{ members: w.members }])).ok);
  const before = first.core.settings;

  for (const bad of [{ scrubSchedule: 'daily' }, { maxBehindWrites: -1 }, { maxBehindBytes: 1.5 }, { memberTimeoutMs: 4_000_000 }, { scrubRepair: 'yes' }, { colour: 'red' }]) {
    const r = await first.dispatch('settings.update', [bad]);
    assert.ok(!r.ok, JSON.stringify(bad));
    assert.equal(r.error.code, 'EBADARGS');
    assert.match(r.error.message, /^Bad arguments for settings\.update: /);
  }
  assert.deepEqual(first.core.settings, before, 'nothing changed');

  const weekly = await first.dispatch('settings.update', [{ scrubSchedule: 'weekly' }]);
  assert.ok(weekly.ok);
  assert.equal(weekly.value.nextScrubAt, T0 + 7 * DAY);
  const off = await first.dispatch('settings.update', [{ scrubSchedule: 'off' }]);
  assert.ok(off.ok);
  assert.equal(off.value.nextScrubAt, undefined);
  assert.equal(w.timers.waiting.size, 0, 'no timer while the schedule is off');
  w.clock.now = T0 + 400 * DAY;
  const saved = await first.dispatch('settings.update', [{ maxBehindWrites: 12, maxBehindBytes: 1_048_576, memberTimeoutMs: 5_000 }]);
  assert.ok(saved.ok);
  assert.deepEqual([saved.value.maxBehindWrites, saved.value.maxBehindBytes, saved.value.memberTimeoutMs], [12, 1_048_576, 5_000]);
  assert.notEqual(first.core.mirror?.status().maxBehindWrites, 12, 'the running mirror keeps its limits until its next start');
  assert.equal(first.core.scheduledScrub, undefined, 'off stays off');
  await first.core.shutdown();

  const second = await w.start();
  assert.equal(second.core.mirror?.status().maxBehindWrites, 12, 'applied at the next start');
  assert.equal(second.core.mirror?.status().maxBehindBytes, 1_048_576);
  assert.equal(second.core.settings.scrubSchedule, 'off');
  assert.equal(second.core.scheduledScrub, undefined);
});
