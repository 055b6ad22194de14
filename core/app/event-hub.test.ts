import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHub, mergeFilesChanged } from './event-hub.ts';
import type { EventEnvelope } from '../contract/contract.ts';

test('seq increases by one per event; coalesced progress keeps only the latest and never overtakes', () => {
  const hub = new EventHub(10_000);
  const got: EventEnvelope[] = [];
  hub.subscribe((e) => got.push(e));
  hub.subscribe(() => { throw new Error('a broken listener'); });
  hub.emitCoalesced('behind:b', { type: 'behind', memberId: 'b', behindWrites: 1, behindBytes: 10 });
  hub.emitCoalesced('behind:b', { type: 'behind', memberId: 'b', behindWrites: 2, behindBytes: 20 });
  hub.emit({ type: 'member-state', memberId: 'b', state: 'in_sync' });
  hub.close();
  assert.deepEqual(got.map((e) => e.seq), [1, 2]);
  assert.deepEqual(got[0]!.event, { type: 'behind', memberId: 'b', behindWrites: 2, behindBytes: 20 });
  assert.equal(got[1]!.event.type, 'member-state');
  assert.equal(hub.seq, 2);
});

test('coalesced events go out by themselves after the window', async () => {
  const hub = new EventHub(5);
  const seen = new Promise<EventEnvelope>((resolve) => hub.subscribe(resolve));
  hub.emitCoalesced('scrub', { type: 'scrub-progress', donePaths: 1, totalPaths: 2, mismatches: 0, repaired: 0, done: false });
  assert.equal((await seen).seq, 1);
  hub.close();
});

test('files-changed events waiting together go out as one with every path; too many say "anything" (\'\')', () => {
  const hub = new EventHub(10_000);
  const got: EventEnvelope[] = [];
  hub.subscribe((e) => got.push(e));
  hub.emitCoalesced('files', { type: 'files-changed', paths: ['a.txt'] }, mergeFilesChanged);
  hub.emitCoalesced('files', { type: 'files-changed', paths: ['docs/b.txt', 'a.txt'] }, mergeFilesChanged);
  hub.flush();
  assert.deepEqual(got.map((e) => e.event), [{ type: 'files-changed', paths: ['a.txt', 'docs/b.txt'] }]);
  for (let i = 0; i < 300; i++) hub.emitCoalesced('files', { type: 'files-changed', paths: [`f${i}`] }, mergeFilesChanged);
  hub.close();
  assert.deepEqual(got.at(-1)!.event, { type: 'files-changed', paths: [''] });
});

test('an event sent by a listener goes out after the one being delivered, to every listener in seq order', () => {
  const hub = new EventHub(10_000);
  const first: EventEnvelope[] = [];
  const second: EventEnvelope[] = [];
  hub.subscribe((e) => {
    first.push(e);
    // The event history records an entry while the event that caused it is being delivered.
    if (e.event.type === 'member-state') hub.emit({ type: 'app-state', state: 'running' });
  });
  hub.subscribe((e) => second.push(e));
  hub.emit({ type: 'member-state', memberId: 'b', state: 'faulty' });
  for (const got of [first, second]) {
    assert.deepEqual(got.map((e) => [e.seq, e.event.type]), [[1, 'member-state'], [2, 'app-state']]);
  }
  hub.close();
});
