// Path rules: what a mirror path may be, on every member's filesystem (POSIX, exFAT/NTFS USB disks, FAT32).
import { MirrorError } from '../contract/errors.ts';
import { systemNameProblem } from './system-names.ts';

import { META_DIR } from '../journal/meta-dir.ts';

export { META_DIR };

/** What a member's filesystem accepts, learned by probing it when the member is opened. */
export interface NameRules {
  caseInsensitive: boolean;
  /** exFAT/NTFS/FAT: no < > : " \ | ? *, no control characters, no trailing dot or space. */
  windowsNames: boolean;
  /** FAT32: 4 GiB - 1. */
  maxFileSize: number;
}

export const POSIX_RULES: NameRules = { caseInsensitive: false, windowsNames: false, maxFileSize: Number.MAX_SAFE_INTEGER };

const WINDOWS_ILLEGAL = /[<>:"\\|?*\x00-\x1f]/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

function invalid(path: string, why: string): MirrorError {
  return new MirrorError('EINVALIDPATH', `Invalid path ${JSON.stringify(path)}: ${why}`, { path });
}

/** Normalises and checks a relative POSIX path; '' is the mirror's root. Throws EINVALIDPATH. */
export function normalizePath(path: unknown, { allowRoot = false } = {}): string {
  if (typeof path !== 'string') throw invalid(String(path), 'a path must be a string.');
  if (path.includes('\0')) throw invalid(path, 'it contains a NUL character.');
  // A lone UTF-16 surrogate is not text: a drive stores it as U+FFFD, so two such names would be one file there (and
  // one manifest entry: the manifests key names by their UTF-8 bytes).
  if (/\p{Cs}/u.test(path)) throw invalid(path, 'it is not valid Unicode text (a lone surrogate character).');
  if (path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path)) throw invalid(path, 'use a path relative to the mirror, like "photos/a.jpg".');
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') {
    if (allowRoot) return '';
    throw invalid(path, 'it names the mirror itself; give a file or folder inside it.');
  }
  const parts = trimmed.split('/');
  for (const p of parts) {
    if (p === '') throw invalid(path, 'it has an empty segment ("//").');
    if (p === '.' || p === '..') throw invalid(path, `"${p}" segments are not allowed; give the path from the mirror's root.`);
    if (Buffer.byteLength(p) > 255) throw invalid(path, `the name "${p.slice(0, 40)}…" is longer than 255 bytes.`);
  }
  if (parts[0]!.toLowerCase() === META_DIR) throw invalid(path, `${META_DIR}/ holds the mirror's own metadata and cannot be used.`);
  const system = systemNameProblem(trimmed);
  if (system) throw invalid(path, system);
  return parts.join('/');
}

/** Checks each name against a member filesystem's rules; returns why it is refused, or null. */
export function nameProblem(path: string, rules: NameRules): string | null {
  if (!rules.windowsNames) return null;
  for (const name of path.split('/')) {
    if (WINDOWS_ILLEGAL.test(name)) return `the name "${name}" has a character that exFAT/NTFS drives refuse (< > : " \\ | ? * or a control character)`;
    if (/[. ]$/.test(name)) return `the name "${name}" ends with a dot or a space, which exFAT/NTFS drives drop`;
    if (WINDOWS_RESERVED.test(name)) return `the name "${name}" is reserved on Windows drives`;
  }
  return null;
}

/**
 * The one spelling of a path that every member's filesystem agrees on (invariant 23): Unicode NFC and lower case, so
 * "Photo.JPG", "photo.jpg" and a decomposed "café" each name one file, as exFAT, NTFS and APFS see them. Operations
 * are ordered, and names checked for twins, under this key. Folding more than one member would is only caution.
 */
export function foldPath(path: string): string {
  // ASCII is its own NFC form: the common case costs one lower-casing.
  return (/^[\x00-\x7f]*$/.test(path) ? path : path.normalize('NFC')).toLowerCase();
}

/** true when folded paths `a` and `b` are the same or one contains the other (a folder and its subtree). */
export function foldedOverlap(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  return a === b || b.startsWith(a + '/') || a.startsWith(b + '/');
}

/** true when `a` and `b` name the same path, or one contains the other, as any member's filesystem sees them. */
export function overlaps(a: string, b: string): boolean {
  return foldedOverlap(foldPath(a), foldPath(b));
}

/**
 * true when absolute path `p` lies strictly inside folder `dir` (a member inside another, a path on a mount point).
 * The separator follows the folder's own style, so "D:\\" and "/media/usb/" work as well as "/media/usb".
 */
export function isInside(p: string, dir: string): boolean {
  const sepChar = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return p.startsWith(dir.endsWith('/') || dir.endsWith('\\') ? dir : dir + sepChar);
}

export const isAtOrInside = (p: string, dir: string): boolean => p === dir || isInside(p, dir);

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
