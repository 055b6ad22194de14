// URLs of the share and the mirror paths they name: /dav/photos/a%20b.jpg ⇄ "photos/a b.jpg", checked segment by
// segment so an encoded slash, NUL or dot segment can never reach the engine as something else.

/** Where the share lives on the server (the UI, the login and /rpc are elsewhere). */
export const DAV_PREFIX = '/dav';

/** The engine's own folder at a member's root (core/mirror/paths.ts META_DIR): never listed, never written here. */
export const META_NAME = '.nas-mirror';

export function isDavPath(pathname: string): boolean {
  return pathname === DAV_PREFIX || pathname.startsWith(`${DAV_PREFIX}/`);
}

/** true when `path` is the engine's metadata folder or inside it, however a client spells its case. */
export function isMetaPath(path: string): boolean {
  return path.split('/', 1)[0]!.normalize('NFC').toLowerCase() === META_NAME;
}

/**
 * The mirror path a URL path names below `base` ('/dav/'), or why it cannot name one. Each segment is decoded on its
 * own: "%2F" inside a name is refused rather than read as a folder separator, and so are NUL, "." and "..", a
 * malformed escape, and an empty segment ("a//b"). A trailing slash is allowed (collections are written so).
 */
export function mirrorPathOf(pathname: string, base: string): { path: string } | { problem: string } {
  const b = base.endsWith('/') ? base : `${base}/`;
  if (pathname === b || `${pathname}/` === b) return { path: '' };
  if (!pathname.startsWith(b)) return { problem: `it is not under ${b}` };
  const raw = pathname.slice(b.length).replace(/\/$/, '');
  const names: string[] = [];
  for (const seg of raw.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(seg);
    } catch {
      return { problem: `"${seg}" is not a valid percent-encoded name` };
    }
    if (name === '') return { problem: 'it has an empty segment ("//")' };
    if (name === '.' || name === '..') return { problem: `"${name}" segments are not allowed` };
    if (name.includes('/')) return { problem: `the name "${seg}" holds an encoded "/"` };
    if (name.includes('\0')) return { problem: `the name "${seg}" holds a NUL character` };
    names.push(name);
  }
  return { path: names.join('/') };
}

/** Why a raw request target (path and query, as sent) is malformed for the share, or null when it is fine. */
export function requestTargetProblem(rawUrl: string): string | null {
  if (rawUrl.includes('#')) return 'A request URI must not carry a fragment ("#").';
  const pathname = rawUrl.split('?', 1)[0]!;
  const r = mirrorPathOf(pathname, `${DAV_PREFIX}/`);
  return 'problem' in r && pathname !== DAV_PREFIX ? `Bad path: ${r.problem}.` : null;
}

/** The URL path of a mirror path under `base`, each name percent-encoded; collections end with "/". */
export function hrefOf(base: string, path: string, collection: boolean): string {
  const b = base.endsWith('/') ? base : `${base}/`;
  if (path === '') return b;
  return b + path.split('/').map(encodeURIComponent).join('/') + (collection ? '/' : '');
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `p` is `root` or inside it ('' is the share's root: everything is under it). */
export function isAtOrUnder(p: string, root: string): boolean {
  return root === '' || p === root || p.startsWith(`${root}/`);
}
