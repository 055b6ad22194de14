// chooseReadMember (cf. md read_balance): fast members first by pending reads; a write-mostly one only when none is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberState } from '../contract/types.ts';
import { NodeFs } from '../fs/node-fs.ts';
import { Member } from './member.ts';
import { chooseReadMember } from './read-balance.ts';

const member = (id: string, o: { wm?: boolean; state?: MemberState; reads?: number; behind?: number } = {}) => {
  const m = new Member(id, id, `/m/${id}`, o.wm ?? false, new NodeFs(), o.state ?? 'in_sync');
  m.pendingReads = o.reads ?? 0;
  for (let i = 0; i < (o.behind ?? 0); i++) m.addBehind([`p${i}`], 1);
  return m;
};

test('a fast in-sync member with the fewest pending reads serves (invariant 4)', () => {
  const a = member('a', { reads: 3 }), b = member('b', { reads: 1 }), usb = member('usb', { wm: true });
  assert.equal(chooseReadMember([a, b, usb]), b);
  assert.equal(chooseReadMember([usb, a]), a, 'never the write-mostly one while a fast one is readable');
});

test('members that do not hold every write never serve: resyncing, faulty, removed', () => {
  const states: MemberState[] = ['resyncing', 'faulty', 'removed'];
  const others = states.map((s) => member(s, { state: s }));
  const usb = member('usb', { wm: true });
  assert.equal(chooseReadMember([...others, usb]), usb);
  assert.equal(chooseReadMember(others), undefined);
});

test('fallback: the write-mostly member least behind, then with the fewest pending reads', () => {
  const far = member('far', { wm: true, behind: 5 }), near = member('near', { wm: true, behind: 1, reads: 4 });
  const tie = member('tie', { wm: true, behind: 1, reads: 2 });
  assert.equal(chooseReadMember([far, near, tie]), tie);
  assert.equal(chooseReadMember([far, near]), near);
});

test('a member already tried is skipped (a read retried on another member)', () => {
  const a = member('a'), b = member('b', { reads: 9 }), usb = member('usb', { wm: true });
  assert.equal(chooseReadMember([a, b, usb], new Set([a])), b);
  assert.equal(chooseReadMember([a, b, usb], new Set([a, b])), usb);
  assert.equal(chooseReadMember([a, b, usb], new Set([a, b, usb])), undefined);
});
