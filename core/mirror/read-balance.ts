// chooseReadMember(): which member serves a read — fast members first, a write-mostly one only when none is left.
import type { Member } from './member.ts';
import { isReadable } from './member-state.ts';

/** cf. md read_balance(): a readable non-write-mostly member with the fewest pending reads; else the least-behind write-mostly one. */
export function chooseReadMember(members: readonly Member[], exclude: ReadonlySet<Member> = new Set()): Member | undefined {
  let best: Member | undefined;
  for (const m of members) {
    if (!isReadable(m.state) || m.writeMostly || exclude.has(m)) continue;
    if (!best || m.pendingReads < best.pendingReads) best = m;
  }
  if (best) return best;
  // Fallback: every fast member is gone. The caller must wait for this member's overlapping behind writes.
  for (const m of members) {
    if (!isReadable(m.state) || exclude.has(m)) continue;
    if (!best || m.behind.size < best.behind.size || (m.behind.size === best.behind.size && m.pendingReads < best.pendingReads)) best = m;
  }
  return best;
}
