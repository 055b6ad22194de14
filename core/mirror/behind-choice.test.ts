// chooseBehind (cf. md R1BIO_BehindIO): which legs of a write land after its acknowledgement (invariants 2, 5, 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberState } from '../contract/types.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { Member } from './member.ts';
import { chooseBehind, type BehindHost } from './behind-choice.ts';

const member = (id: string, o: { wm?: boolean; state?: MemberState } = {}) =>
  new Member(id, id, `/m/${id}`, o.wm ?? false, new NodeFs(), o.state ?? 'in_sync');
const host = (o: Partial<BehindHost> & { writes?: number; bytes?: number } = {}): BehindHost => ({
  maxBehindWrites: o.maxBehindWrites ?? 256, maxBehindBytes: o.maxBehindBytes ?? 64 << 20, stopping: o.stopping ?? false,
  totalBehind: () => ({ writes: o.writes ?? 0, bytes: o.bytes ?? 0 }),
});

test('a write-mostly member goes behind when a fast member is in sync; fast members never do', () => {
  const ssd = member('ssd'), usb = member('usb', { wm: true });
  assert.deepEqual([...chooseBehind(host(), [ssd, usb], 10)], [usb]);
});

test('no fast member in sync: every leg is synchronous (the early acknowledgement would rest on nothing)', () => {
  const ssd = member('ssd', { state: 'resyncing' }), usb = member('usb', { wm: true });
  assert.equal(chooseBehind(host(), [ssd, usb], 10).size, 0);
  assert.equal(chooseBehind(host(), [usb], 10).size, 0);
});

test('invariant 6: write-behind off (limit 0) or the mirror stopping: synchronous', () => {
  const ssd = member('ssd'), usb = member('usb', { wm: true });
  assert.equal(chooseBehind(host({ maxBehindWrites: 0 }), [ssd, usb], 10).size, 0);
  assert.equal(chooseBehind(host({ stopping: true }), [ssd, usb], 10).size, 0);
});

test('invariant 2: while a read or an eject waits on its behind writes, new writes to it are synchronous', () => {
  const ssd = member('ssd'), usb = member('usb', { wm: true });
  usb.behindWaiters = 1;
  assert.equal(chooseBehind(host(), [ssd, usb], 10).size, 0);
  usb.behindWaiters = 0;
  usb.noBehind = true; // ejecting
  assert.equal(chooseBehind(host(), [ssd, usb], 10).size, 0);
});

test('invariant 5: at the count or byte limit the leg becomes synchronous, counting legs chosen for this write', () => {
  const ssd = member('ssd'), a = member('a', { wm: true }), b = member('b', { wm: true });
  assert.equal(chooseBehind(host({ maxBehindWrites: 4, writes: 4 }), [ssd, a], 1).size, 0, 'count limit reached');
  assert.deepEqual([...chooseBehind(host({ maxBehindWrites: 4, writes: 3 }), [ssd, a, b], 1)], [a], 'one slot left: one leg');
  assert.deepEqual([...chooseBehind(host({ maxBehindBytes: 100, bytes: 50 }), [ssd, a, b], 50)], [a], 'bytes: 50 + 50 fits, + 50 more does not');
});

test('a write-mostly member that is not readable (resyncing, faulty) never goes behind', () => {
  const ssd = member('ssd');
  for (const state of ['resyncing', 'faulty', 'removed'] as MemberState[]) {
    assert.equal(chooseBehind(host(), [ssd, member('usb', { wm: true, state })], 1).size, 0, state);
  }
});
