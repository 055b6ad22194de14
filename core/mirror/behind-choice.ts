// The behind-or-sync choice (cf. md raid1_write_request(): R1BIO_BehindIO): which legs of a write may land after its
// acknowledgement. Everything else is synchronous: the write is acknowledged only once those legs are durable.
import type { Member } from './member.ts';
import { isReadable } from './member-state.ts';

/** What the choice reads from the mirror: the limits, whether it is stopping, what is behind already. */
export interface BehindHost {
  readonly maxBehindWrites: number;
  readonly maxBehindBytes: number;
  readonly stopping: boolean;
  totalBehind(): { writes: number; bytes: number };
}

/** The legs of a write of `size` bytes to `targets` that go behind. */
export function chooseBehind(host: BehindHost, targets: readonly Member[], size: number): Set<Member> {
  const behind = new Set<Member>();
  if (host.maxBehindWrites === 0 || host.stopping) return behind; // invariant 6
  // Write-behind needs a fast member that is in sync: it is what makes the early acknowledgement safe.
  if (!targets.some((m) => !m.writeMostly && m.state === 'in_sync')) return behind;
  for (const m of targets) {
    // Invariant 2: while anyone waits on this member's behind writes, new writes to it are synchronous.
    if (!m.writeMostly || !isReadable(m.state) || m.noBehind || m.behindWaiters > 0) continue;
    const total = host.totalBehind();
    // Invariant 5: at the limit the write becomes synchronous — never rejected. Legs chosen here count already.
    if (total.writes + behind.size >= host.maxBehindWrites || total.bytes + size * (behind.size + 1) > host.maxBehindBytes) continue;
    behind.add(m);
  }
  return behind;
}
