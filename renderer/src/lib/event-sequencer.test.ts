import { expect, test } from 'vitest';
import type { AppEvent } from '../../../core/contract/contract.ts';
import { EventSequencer } from './event-sequencer.ts';

const ev = (n: number): AppEvent => ({ type: 'behind', memberId: 'usb', behindWrites: n, behindBytes: n });

/** A sequencer over scripted snapshot seqs (null: the fetch fails); `applied` lists the behind counts in order. */
function setup(seqs: (number | null)[]) {
  const applied: number[] = [];
  let loads = 0;
  let release: (() => void) | null = null;
  let hold = false;
  const seq = new EventSequencer({
    load: async () => {
      const s = seqs[Math.min(loads++, seqs.length - 1)]!;
      if (hold) await new Promise<void>((r) => { release = r; });
      return s;
    },
    apply: (e) => { if (e.type === 'behind') applied.push(e.behindWrites); },
  });
  const receive = (...ns: number[]) => { for (const n of ns) seq.receive({ seq: n, event: ev(n) }); };
  return {
    seq, applied, receive, loads: () => loads,
    /** The next loads wait until `finish()`. */
    holdLoads: () => { hold = true; },
    finish: () => { hold = false; release?.(); },
  };
}

test('applies the events right after the snapshot, in order, and drops what the snapshot covers', async () => {
  const { seq, applied, receive } = setup([10]);
  await seq.refetch();
  receive(9, 10, 11, 12, 12);
  expect(applied).toEqual([11, 12]);
  expect(seq.seq).toBe(12);
});

test('holds events until the first snapshot, then applies those after it in seq order', async () => {
  const { seq, applied, receive } = setup([10]);
  expect(seq.seq).toBe(-1);
  receive(12, 11, 10);
  expect(applied).toEqual([]);
  await seq.refetch();
  expect(applied).toEqual([11, 12]);
});

test('holds events while a refetch loads; a second refetch meanwhile shares the load', async () => {
  const { seq, applied, receive, holdLoads, finish, loads } = setup([10, 10]);
  await seq.refetch();
  holdLoads();
  const first = seq.refetch();
  const second = seq.refetch();
  expect(second).toBe(first);
  receive(11);
  expect(applied).toEqual([]);
  finish();
  await first;
  expect(loads()).toBe(2);
  expect(applied).toEqual([11]);
});

test('a gap refetches the snapshot, then applies what came after it', async () => {
  const { seq, applied, receive, loads } = setup([10, 20]);
  await seq.refetch();
  receive(15); // 11..14 were lost
  expect(loads()).toBe(2);
  receive(21, 19);
  await seq.refetch();
  expect(applied).toEqual([21]);
  expect(seq.seq).toBe(21);
});

test('a second gap among the held events keeps the rest for the snapshot after it', async () => {
  const { seq, applied, receive, loads } = setup([10, 20, 30]);
  await seq.refetch();
  receive(15, 21, 25, 31); // after the snapshot at 20: 21 applies, 25 is a gap
  await seq.refetch(); // the snapshot at 20, which finds the gap and loads the one at 30
  await expect.poll(() => applied).toEqual([21, 31]);
  expect(loads()).toBe(3);
  expect(seq.seq).toBe(31);
});

test('a failed first fetch keeps the events for the next snapshot', async () => {
  const { seq, applied, receive } = setup([null, 10]);
  receive(11);
  await seq.refetch();
  expect(seq.seq).toBe(-1);
  expect(applied).toEqual([]);
  await seq.refetch();
  expect(applied).toEqual([11]);
});
