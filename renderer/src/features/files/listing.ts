// A folder's listing as shown: filtered by name, sorted by name, size or date (folders first), in pages.
import type { DirEntry } from '../../../../core/contract/types.ts';

export type SortKey = 'name' | 'size' | 'date';
export interface SortOrder { key: SortKey; descending: boolean }

/** Rows drawn at once; more come a page at a time, so a folder of thousands stays quick. */
export const PAGE_ROWS = 100;

const byName = (a: DirEntry, b: DirEntry) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });

export function arrange(entries: readonly DirEntry[], filter: string, order: SortOrder): DirEntry[] {
  const needle = filter.trim().toLocaleLowerCase();
  const kept = needle ? entries.filter((e) => e.name.toLocaleLowerCase().includes(needle)) : [...entries];
  const dir = order.descending ? -1 : 1;
  const cmp = order.key === 'size' ? (a: DirEntry, b: DirEntry) => a.size - b.size || byName(a, b)
    : order.key === 'date' ? (a: DirEntry, b: DirEntry) => a.mtimeMs - b.mtimeMs || byName(a, b)
      : byName;
  // Folders stay above files whichever way the files are sorted, as file managers do.
  return kept.sort((a, b) => (a.type !== b.type ? (a.type === 'dir' ? -1 : 1) : dir * cmp(a, b)));
}
