// The scheduled scrub (issue 15, item 9): off, weekly or monthly (the default, as ZFS and OMV users expect), counted
// from the last full scrub — or, before the first, from when the schedule began counting.
export const SCRUB_SCHEDULES = ['off', 'weekly', 'monthly'] as const;
export type ScrubSchedule = (typeof SCRUB_SCHEDULES)[number];
export const DEFAULT_SCRUB_SCHEDULE: ScrubSchedule = 'monthly';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long after the last scrub the next is due. */
export const SCRUB_PERIOD_MS: Record<Exclude<ScrubSchedule, 'off'>, number> = { weekly: 7 * DAY_MS, monthly: 30 * DAY_MS };

/** When the next scheduled scrub is due (ms since the epoch), or null when the schedule is off. */
export function nextScrubAt(schedule: ScrubSchedule, lastRunAt: number | undefined, countingFrom: number): number | null {
  return schedule === 'off' ? null : (lastRunAt ?? countingFrom) + SCRUB_PERIOD_MS[schedule];
}
