// Member states (DESIGN §6): one transition function, every state × transition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberState } from '../contract/types.ts';
import { isActive, isReadable, nextState, type MemberTransition } from './member-state.ts';

const states: MemberState[] = ['in_sync', 'behind', 'resyncing', 'faulty', 'removed'];

test('every state answers every transition as DESIGN §6 draws it', () => {
  const table: Record<MemberTransition, MemberState[]> = {
    // in_sync, behind, resyncing, faulty, removed
    'went-behind': ['behind', 'behind', 'resyncing', 'faulty', 'removed'],
    'caught-up': ['in_sync', 'in_sync', 'resyncing', 'faulty', 'removed'],
    failed: ['faulty', 'faulty', 'faulty', 'faulty', 'removed'],
    removed: ['removed', 'removed', 'removed', 'removed', 'removed'],
    'resync-started': ['resyncing', 'resyncing', 'resyncing', 'resyncing', 'resyncing'],
    'resync-done': ['in_sync', 'behind', 'in_sync', 'faulty', 'removed'],
  };
  for (const [t, after] of Object.entries(table) as [MemberTransition, MemberState[]][]) {
    states.forEach((s, i) => assert.equal(nextState(s, t), after[i], `${s} --${t}-->`));
  }
});

test('only in_sync and behind members serve reads; resyncing ones also take writes', () => {
  assert.deepEqual(states.filter(isReadable), ['in_sync', 'behind']);
  assert.deepEqual(states.filter(isActive), ['in_sync', 'behind', 'resyncing']);
});
