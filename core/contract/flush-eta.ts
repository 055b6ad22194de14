// The flush ETA of a member's behind writes, one rule for the engine (eject progress) and the UI (lag card).

/**
 * Time until `behindBytes` have landed at the member's measured write rate (MemberStatus.writeBytesPerSecond, a
 * windowed rate of what the drive really wrote): 0 when nothing is behind, null while the rate is not known yet —
 * the UI says "estimating…" rather than guess.
 */
export function flushEtaMs(behindBytes: number, writeBytesPerSecond: number | undefined): number | null {
  if (behindBytes <= 0) return 0;
  if (!writeBytesPerSecond || writeBytesPerSecond <= 0) return null;
  return Math.ceil((behindBytes / writeBytesPerSecond) * 1000);
}
