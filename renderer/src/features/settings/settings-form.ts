// The settings view's fields as typed, checked before anything is sent (the core checks again): a patch for
// settings.update, or a message for each field that is not a number it accepts.
import type { MethodArgs } from '../../../../core/contract/contract.ts';
import { MAX_MEMBER_TIMEOUT_MS, MAX_RETENTION_DAYS } from '../../../../core/contract/contract.ts';
import type { ScrubSchedule } from '../../../../core/contract/scrub-schedule.ts';

export type SettingsPatch = MethodArgs<'settings.update'>[0];

/** What the form holds: numbers as typed (text), '' for "the default". */
export interface SettingsFields {
  scrubSchedule: ScrubSchedule;
  scrubRepair: boolean;
  retentionDays: string;
  maxBehindWrites: string;
  maxBehindMiB: string;
  memberTimeoutS: string;
}

export type FieldErrors = Partial<Record<keyof SettingsFields, string>>;

const MiB = 1024 * 1024;
/** Limits of the fields, as people type them. */
export const FIELD_LIMITS = {
  retentionDays: MAX_RETENTION_DAYS,
  maxBehindWrites: 1_000_000,
  maxBehindMiB: 1024 * 1024,
  memberTimeoutS: MAX_MEMBER_TIMEOUT_MS / 1000,
} as const;

/** A whole number from 0 to max, or the reason it is not one. */
function wholeNumber(text: string, max: number, unit: string): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `Enter a whole number of ${unit} (0 to ${max.toLocaleString()}).`;
  const n = Number(t);
  return n > max ? `At most ${max.toLocaleString()} ${unit}.` : n;
}

export function settingsPatch(f: SettingsFields): { patch: SettingsPatch } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const patch: SettingsPatch = { scrubSchedule: f.scrubSchedule, scrubRepair: f.scrubRepair };
  const take = (key: keyof typeof FIELD_LIMITS, unit: string, optional: boolean, set: (n: number) => void) => {
    if (optional && f[key].trim() === '') return;
    const n = wholeNumber(f[key], FIELD_LIMITS[key], unit);
    if (typeof n === 'string') errors[key] = n; else set(n);
  };
  take('retentionDays', 'days', false, (n) => { patch.deletedRetentionDays = n; });
  take('maxBehindWrites', 'writes', true, (n) => { patch.maxBehindWrites = n; });
  take('maxBehindMiB', 'MiB', true, (n) => { patch.maxBehindBytes = n * MiB; });
  take('memberTimeoutS', 'seconds', true, (n) => { patch.memberTimeoutMs = n * 1000; });
  return Object.keys(errors).length ? { errors } : { patch };
}

/** The form for what the core says now. */
export function fieldsOf(s: { scrubSchedule?: ScrubSchedule; scrubRepair?: boolean; deletedRetentionDays?: number; maxBehindWrites?: number; maxBehindBytes?: number; memberTimeoutMs?: number }): SettingsFields {
  const text = (n: number | undefined, per = 1) => (n === undefined ? '' : String(Math.round(n / per)));
  return {
    scrubSchedule: s.scrubSchedule ?? 'monthly',
    scrubRepair: s.scrubRepair ?? true,
    retentionDays: text(s.deletedRetentionDays ?? 30),
    maxBehindWrites: text(s.maxBehindWrites),
    maxBehindMiB: text(s.maxBehindBytes, MiB),
    memberTimeoutS: text(s.memberTimeoutMs, 1000),
  };
}
