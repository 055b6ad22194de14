// Eject for folder "drives" (the demo, tests): the engine's eject with progress from its own behind events —
// nothing to unmount, so "done" follows the drain. Real drives go through the drives layer's ejectDrive.
import type { EjectProgress, MemberStatus } from '../contract/types.ts';
import type { Mirror } from './mirror-api.ts';
import { noSuchMember } from './failure.ts';
import { flushEtaMs } from '../contract/flush-eta.ts';

/** The eject's ETA (flushEtaMs); left out while the member's rate is unknown. */
const etaMs = (behindBytes: number, rate: number | undefined) => flushEtaMs(behindBytes, rate) ?? undefined;

/** The member an eject names, as the status shows it; ENOMEMBER (say so once) when the mirror has none by that id. */
export function memberToEject(mirror: Mirror, memberId: string): MemberStatus {
  const member = mirror.status().members.find((m) => m.id === memberId);
  if (!member) throw noSuchMember(memberId, mirror.status().label);
  return member;
}

export async function engineEject(mirror: Mirror, memberId: string, onProgress: (p: EjectProgress) => void): Promise<void> {
  const member = memberToEject(mirror, memberId);
  let rate = member.writeBytesPerSecond;
  onProgress({ phase: 'flushing', behindWrites: member.behindWrites, behindBytes: member.behindBytes, etaMs: etaMs(member.behindBytes, rate) });
  const off = mirror.onEvent((e) => {
    if (e.type === 'behind' && e.memberId === memberId) {
      rate = e.writeBytesPerSecond ?? rate; // the drive's speed as it drains, not as it was when the eject began
      onProgress({ phase: 'flushing', behindWrites: e.behindWrites, behindBytes: e.behindBytes, etaMs: etaMs(e.behindBytes, rate) });
    }
  });
  try {
    await mirror.eject(memberId);
  } finally {
    off();
  }
  onProgress({ phase: 'done', behindWrites: 0, behindBytes: 0, etaMs: 0 });
}
