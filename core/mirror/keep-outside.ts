// Invariant 27 at the leg: a copy edited on the drive behind the app's back is kept in that drive's trash (Recently
// deleted) before the engine writes over it — whatever the write is (a user's write, a resync, a repair).
import { compareMeta } from '../journal/manifest.ts';
import type { FsStat } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { keepReplaced, quarantine } from './trash.ts';

/** Whether the file at `path` on `m` is one the engine did not write (or wrote and someone changed since). */
export async function changedOutside(m: Member, path: string): Promise<boolean> {
  const s = await m.statOrNull(path).catch(() => null);
  return s?.type === 'file' && editedSince(m, path, s);
}

/** The same, for a file whose stat the caller has. */
export function editedSince(m: Member, path: string, s: FsStat): boolean {
  const e = m.manifest?.entry(path);
  if (e === undefined) return m.manifest !== undefined; // nothing recorded: not the engine's file
  if (e.type !== 'file') return true;
  if (!e.meta) return false; // recorded before metadata was: taken as the engine's
  return compareMeta(e.meta, s, !m.rules.windowsNames) !== 'same';
}

/** Keeps what is at `path` in the member's trash as 'replaced': a file by a second name, a folder moved whole. */
export async function keepVersion(m: Member, path: string): Promise<void> {
  const s = await m.statOrNull(path);
  if (s === null || s.type === 'other') return;
  if (s.type === 'file') await keepReplaced(m, path, { reason: 'replaced' });
  else await quarantine(m, path, { reason: 'replaced' });
}
