// Watching a member's folder for changes made behind the app's back: @parcel/watcher (one inotify watch per folder),
// or Node's recursive fs.watch where that native package cannot be loaded (a packaged Electron app has no node_modules).
import { watch as nodeWatch } from 'node:fs';
import { relative, sep } from 'node:path';
import { META_DIR } from '../mirror/paths.ts';
import { systemNameIn } from '../mirror/system-names.ts';

export interface FolderWatch {
  readonly backend: 'parcel' | 'node';
  close(): Promise<void>;
}

/** Relative mirror paths that something happened to (created, changed, deleted or renamed: the caller looks). */
export type OnPaths = (paths: string[]) => void;

interface ParcelEvent { type: 'create' | 'update' | 'delete'; path: string }
interface ParcelWatcher {
  subscribe(dir: string, fn: (err: Error | null, events: ParcelEvent[]) => void, o?: { ignore?: string[]; backend?: string }): Promise<{ unsubscribe(): Promise<void> }>;
}

let parcel: Promise<ParcelWatcher | null> | undefined;

/**
 * The platform's own backend, named: left to choose, @parcel/watcher first asks for watchman with popen() each time its
 * backend is made (after the last watch closed, at the next one), and where watchman is not installed it throws before
 * its pclose(), leaking a pipe and a zombie `sh` per time: a process watching for weeks ran out of descriptors.
 */
const NATIVE_BACKEND = ({ linux: 'inotify', darwin: 'fs-events', win32: 'windows' } as Record<string, string>)[process.platform];

/**
 * Loaded on first use, by a name the bundler does not follow, and never inside Electron: its main bundle ships without
 * node_modules and must not load a native module (a development run would then differ from the packaged app). There,
 * and wherever the package is missing, Node's recursive watcher serves instead.
 */
function loadParcel(): Promise<ParcelWatcher | null> {
  if (process.versions.electron) return Promise.resolve(null);
  const name = '@parcel/watcher';
  parcel ??= (import(name) as Promise<ParcelWatcher & { default?: ParcelWatcher }>)
    .then((mod) => (typeof mod.subscribe === 'function' ? mod : mod.default ?? null))
    .catch(() => null);
  return parcel;
}

/** The mirror path of an absolute path under `root`, or null for what is not the mirror's (.nas-mirror, lost+found…). */
export function mirrorPathOf(root: string, abs: string): string | null {
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..')) return null;
  const p = sep === '/' ? rel : rel.split(sep).join('/');
  if (p === META_DIR || p.startsWith(META_DIR + '/') || systemNameIn(p) !== null) return null;
  return p;
}

/** Starts watching `root`; `onError` hears of a watcher that stopped (its drive went away, too many folders). */
export async function watchFolder(root: string, onPaths: OnPaths, onError: (e: Error) => void, o: { backend?: 'parcel' | 'node' } = {}): Promise<FolderWatch> {
  const p = o.backend === 'node' ? null : await loadParcel();
  const relOf = (abs: string) => mirrorPathOf(root, abs);
  if (p) {
    const sub = await p.subscribe(root, (err, events) => {
      if (err) { onError(err); return; }
      const paths = events.map((e) => relOf(e.path)).filter((x): x is string => x !== null);
      if (paths.length) onPaths(paths);
    }, { ignore: [`${root}${sep}${META_DIR}`], ...(NATIVE_BACKEND ? { backend: NATIVE_BACKEND } : {}) });
    return { backend: 'parcel', close: () => sub.unsubscribe().catch(() => {}) };
  }
  // Node 20 watches recursively on Linux by adding one inotify watch per folder and file (shares.md: 10× parcel's).
  const w = nodeWatch(root, { recursive: true }, (_type, name) => {
    if (name === null) return;
    const rel = relOf(`${root}${sep}${name.toString()}`);
    if (rel !== null) onPaths([rel]);
  });
  w.on('error', (e) => onError(e));
  return { backend: 'node', close: async () => w.close() };
}
