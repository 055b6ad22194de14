import { expect, test } from 'vitest';
import { AppState } from './app-state.svelte.ts';
import { FakeBridge, snapshot, ssd, usb, mirror } from '../testing/fake-bridge.ts';

function setup(snaps = [snapshot()]) {
  let n = 0;
  const bridge = new FakeBridge({ 'app.snapshot': () => snaps[Math.min(n++, snaps.length - 1)] });
  let now = 1_000;
  const app = new AppState(bridge, { clock: () => now, tickMs: 0 });
  return { bridge, app, advance: (ms: number) => { now += ms; app.tick(); } };
}

test('applies events in seq order on top of the snapshot', async () => {
  const { bridge, app } = setup();
  await app.start();
  expect(app.seq).toBe(10);
  bridge.emit(11, { type: 'behind', memberId: 'usb', behindWrites: 7, behindBytes: 3_000_000 });
  expect(app.member('usb')?.behindWrites).toBe(7);
  expect(app.member('usb')?.behindBytes).toBe(3_000_000);
  expect(app.lag.series('usb').at(-1)).toMatchObject({ writes: 7, bytes: 3_000_000 });
  bridge.emit(12, { type: 'member-state', memberId: 'usb', state: 'behind' });
  expect(app.member('usb')?.state).toBe('behind');
  expect(app.seq).toBe(12);
  expect(app.fetches).toBe(1);
});

test('a seq gap refetches the snapshot, then applies what came after it', async () => {
  const fresh = snapshot({ seq: 20, mirror: mirror([ssd(), usb({ behindWrites: 3, behindBytes: 300 })]) });
  const { bridge, app } = setup([snapshot(), fresh]);
  await app.start();
  bridge.emit(15, { type: 'behind', memberId: 'usb', behindWrites: 50, behindBytes: 5000 }); // 11..14 were lost
  bridge.emit(21, { type: 'behind', memberId: 'usb', behindWrites: 2, behindBytes: 200 });
  await app.refetch();
  expect(app.fetches).toBe(2);
  expect(bridge.callsOf('app.snapshot')).toHaveLength(2);
  expect(app.seq).toBe(21);
  expect(app.member('usb')?.behindWrites).toBe(2);
});

test('events arriving before the first snapshot are held, not lost', async () => {
  const { bridge, app } = setup();
  const started = app.start();
  bridge.emit(11, { type: 'member-state', memberId: 'ssd', state: 'faulty' });
  await started;
  expect(app.member('ssd')?.state).toBe('faulty');
});

test('a reconnect refetches the snapshot and shows the connection state', async () => {
  const { bridge, app } = setup();
  await app.start();
  bridge.setConnected(false);
  expect(app.connected).toBe(false);
  bridge.setConnected(true);
  await app.refetch();
  expect(app.connected).toBe(true);
  expect(app.fetches).toBe(2);
});

test('fallback waits: begin, progress from the drain, done with the waited time', async () => {
  const { bridge, app, advance } = setup([snapshot({ mirror: mirror([usb({ behindWrites: 4, behindBytes: 4096 })]) })]);
  await app.start();
  bridge.emit(11, { type: 'read-fallback', memberId: 'usb', path: 'a.txt', waitingWrites: 4, waitingBytes: 4096 });
  const [w] = app.fallback.active;
  expect(w).toMatchObject({ memberId: 'usb', path: 'a.txt', waitingWrites: 4 });
  bridge.emit(12, { type: 'behind', memberId: 'usb', behindWrites: 1, behindBytes: 1024 });
  expect(app.fallback.progress(w, app.member('usb')!.behindWrites)).toBeCloseTo(0.75);
  advance(120);
  bridge.emit(13, { type: 'read-fallback-done', memberId: 'usb', path: 'a.txt', waitedMs: 120 });
  expect(app.fallback.active).toHaveLength(0);
  expect(app.fallback.finished[0].waitedMs).toBe(120);
  advance(60_000);
  expect(app.fallback.finished).toHaveLength(0);
});

test('the age of the oldest behind write advances with the clock and resets when drained', async () => {
  const { bridge, app, advance } = setup([snapshot({ mirror: mirror([usb({ behindWrites: 2, behindBytes: 10, oldestBehindMs: 500 })]) })]);
  await app.start();
  expect(app.oldestBehindMs('usb')).toBe(500);
  advance(1000);
  expect(app.oldestBehindMs('usb')).toBe(1500);
  bridge.emit(11, { type: 'behind', memberId: 'usb', behindWrites: 0, behindBytes: 0 });
  expect(app.oldestBehindMs('usb')).toBe(0);
});

test('eject: progress events move the stage; a failed call is explained', async () => {
  const { bridge, app } = setup([snapshot({ mirror: mirror([ssd(), usb({ behindWrites: 4, behindBytes: 4000 })]) })]);
  let finish!: () => void;
  bridge.handlers['mirror.eject'] = () => new Promise<void>((r) => { finish = r; });
  await app.start();
  const ejecting = app.eject('usb');
  expect(app.ejects.stage('usb')).toBe('requested');
  bridge.emit(11, { type: 'eject-progress', memberId: 'usb', progress: { phase: 'flushing', behindWrites: 2, behindBytes: 1000 } });
  expect(app.ejects.stage('usb')).toBe('flushing');
  expect(app.ejects.fraction('usb')).toBeCloseTo(0.75);
  bridge.emit(12, { type: 'eject-progress', memberId: 'usb', progress: { phase: 'done', behindWrites: 0, behindBytes: 0 } });
  finish();
  await ejecting;
  expect(app.ejects.stage('usb')).toBe('done');

  bridge.handlers['mirror.eject'] = () => { throw new Error('unreachable'); };
  await app.eject('ssd');
  expect(app.ejects.stage('ssd')).toBe('failed');
});

test('scrub progress and result', async () => {
  const { bridge, app } = setup();
  bridge.handlers['mirror.scrub'] = () => new Promise((r) => setTimeout(() => r({ checkedPaths: 10, mismatches: 2, repaired: 2 }), 20));
  await app.start();
  const run = app.runScrub(true);
  expect(app.scrub.running).toBe(true);
  bridge.emit(11, { type: 'scrub-progress', donePaths: 5, totalPaths: 10, mismatches: 1, repaired: 1, done: false });
  expect(app.scrub.view).toMatchObject({ donePaths: 5, totalPaths: 10, repair: true });
  await run;
  expect(app.scrub.view).toMatchObject({ running: false, mismatches: 2, repaired: 2, donePaths: 10 });
  expect(bridge.callsOf('mirror.scrub')).toEqual([[{ repair: true }]]);
});
