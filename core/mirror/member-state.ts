// Member states and their one transition function: in_sync ⇄ behind → faulty → removed → resyncing → in_sync.
import type { MemberState } from '../contract/types.ts';

export type MemberTransition = 'went-behind' | 'caught-up' | 'failed' | 'removed' | 'resync-started' | 'resync-done';

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}

export function nextState(s: MemberState, t: MemberTransition): MemberState {
  switch (t) {
    case 'went-behind': return s === 'in_sync' ? 'behind' : s;
    case 'caught-up': return s === 'behind' ? 'in_sync' : s;
    case 'failed': return s === 'removed' ? s : 'faulty';
    case 'removed': return 'removed';
    case 'resync-started': return 'resyncing';
    case 'resync-done': return s === 'resyncing' ? 'in_sync' : s;
    default: return assertNever(t);
  }
}

/** Receives new writes. */
export const isActive = (s: MemberState) => s === 'in_sync' || s === 'behind' || s === 'resyncing';
/** Holds every acknowledged write (after its behind writes land): may serve reads. */
export const isReadable = (s: MemberState) => s === 'in_sync' || s === 'behind';
