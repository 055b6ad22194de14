// The names that are not the user's data: what an operating system keeps on each drive for itself. One list, used by
// adoption, resync, scrub, listings, the drives layer and the name rules.

/** As paths.ts foldPath (not imported: paths.ts checks names with this module). */
const foldPath = (name: string) => name.normalize('NFC').toLowerCase();

/**
 * Kept by a filesystem or an operating system at the top of a drive (so at a member's root when the member is a
 * drive's root). Each drive's own describes that drive: fsck's salvage (lost+found), Windows' recycle bin and restore
 * points, macOS' trash, search index, event log and version store. Copying one drive's over another's would be wrong
 * for the other drive, and the systems that own them rewrite them behind our back.
 */
export const ROOT_SYSTEM_NAMES: readonly string[] = [
  'lost+found', '$RECYCLE.BIN', 'System Volume Information', '.Trashes', '.Spotlight-V100', '.fseventsd',
  '.TemporaryItems', '.DocumentRevisions-V100',
];

/**
 * Written by file managers into any folder they show: Finder's view settings (.DS_Store), Explorer's thumbnail cache
 * (Thumbs.db) and folder customisation (desktop.ini). They describe how one computer showed one drive's folder, are
 * rewritten whenever a folder is opened there, and differ from drive to drive by design: mirrored, they would be
 * changed outside the app all the time and turn every browse into a conflict. They are not what a person means by
 * "my files" (desktop.ini can carry a folder icon: it stays on its drive, untouched).
 */
export const ANYWHERE_SYSTEM_NAMES: readonly string[] = ['.DS_Store', 'Thumbs.db', 'desktop.ini'];

// Compared folded (case, Unicode form): the systems that write them do not tell "Thumbs.db" from "thumbs.db" either.
const ROOT_KEYS = new Set(ROOT_SYSTEM_NAMES.map(foldPath));
const ANYWHERE_KEYS = new Set(ANYWHERE_SYSTEM_NAMES.map(foldPath));

/** Is `name`, an entry of folder `dir` (mirror path, '' for the member's root), a system name? */
export function isSystemName(name: string, dir: string): boolean {
  const key = foldPath(name);
  return ANYWHERE_KEYS.has(key) || (dir === '' && ROOT_KEYS.has(key));
}

/** The system name a mirror path goes through, or null: "lost+found/x" → "lost+found", "a/.DS_Store" → ".DS_Store". */
export function systemNameIn(path: string): string | null {
  if (path === '') return null;
  const parts = path.split('/');
  if (ROOT_KEYS.has(foldPath(parts[0]!))) return parts[0]!;
  return parts.find((p) => ANYWHERE_KEYS.has(foldPath(p))) ?? null;
}

/** Why a system name is refused as a mirror path, for the user. */
export function systemNameProblem(path: string): string | null {
  const name = systemNameIn(path);
  if (name === null) return null;
  return `"${name}" is a name the operating system keeps on each drive for itself; it is never mirrored. Choose another name.`;
}
