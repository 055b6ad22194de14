// The event history (issue 15, item 5): what happened to the mirror, kept by the app across reloads and restarts,
// shown as Recent activity and told as desktop notifications — one entry serves both, so they agree.
import { z } from 'zod';

export const HISTORY_KINDS = [
  'drive-failed', 'drive-back', 'catch-up-start', 'catch-up-done', 'eject', 'scrub-start', 'scrub-result',
  'outside-change', 'capacity', 'read-healed', 'slow-read', 'mirror',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** The kinds as the filter offers them: what a person looks for (drive failures, catch-ups, scrubs …). */
export const HISTORY_KIND_GROUPS: readonly { id: string; text: string; kinds: readonly HistoryKind[] }[] = [
  { id: 'failures', text: 'Drive failures', kinds: ['drive-failed'] },
  { id: 'catch-ups', text: 'Drives back and catch-ups', kinds: ['drive-back', 'catch-up-start', 'catch-up-done'] },
  { id: 'ejects', text: 'Ejects', kinds: ['eject'] },
  { id: 'scrubs', text: 'Scrubs', kinds: ['scrub-start', 'scrub-result'] },
  { id: 'outside', text: 'Outside changes', kinds: ['outside-change'] },
  { id: 'capacity', text: 'Capacity warnings', kinds: ['capacity'] },
  { id: 'reads', text: 'Healed and slow reads', kinds: ['read-healed', 'slow-read'] },
  { id: 'mirror', text: 'Mirror opened or stopped', kinds: ['mirror'] },
];

export type HistoryTone = 'ok' | 'info' | 'warn' | 'bad' | 'neutral';

/** Entries kept: older ones are dropped as new ones come. */
export const HISTORY_LIMIT = 2000;

export const historyEntrySchema = z.strictObject({
  /** Increasing; a page of older entries is asked for with `before`. */
  id: z.number().int().min(1),
  /** ms since the epoch. */
  at: z.number(),
  kind: z.enum(HISTORY_KINDS),
  tone: z.enum(['ok', 'info', 'warn', 'bad', 'neutral']),
  memberId: z.string().max(128).optional(),
  /** The drive's label when the entry is about one. */
  label: z.string().max(200).optional(),
  /** A few words: the notification's title. */
  title: z.string().max(300),
  /** What happened and, where the user must act, what to do. */
  message: z.string().max(4000),
  /** Worth a desktop notification (told by the desktop app when notifications are on). */
  notify: z.boolean().optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** history.list's filter: one drive, some kinds, entries older than `before` (an id), at most `limit`, newest first. */
export const historyQuerySchema = z.strictObject({
  memberId: z.string().min(1).max(128).optional(),
  kinds: z.array(z.enum(HISTORY_KINDS)).min(1).max(HISTORY_KINDS.length).optional(),
  before: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(HISTORY_LIMIT).optional(),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** The one filter rule, for the core's list and the renderer's live appends. */
export function matchesHistory(e: HistoryEntry, q: HistoryQuery): boolean {
  return (q.memberId === undefined || e.memberId === q.memberId)
    && (q.kinds === undefined || q.kinds.includes(e.kind))
    && (q.before === undefined || e.id < q.before);
}
