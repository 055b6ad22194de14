// What an upload brings, folders included (issue 11, part 3): files with their paths relative to the folder shown, and
// the folders to make — from a drop (the File and Directory Entries API) or a folder picked with webkitdirectory.

export interface PickedFile { file: File; path: string }
export interface Picked { files: PickedFile[]; dirs: string[] }

/** The folders above each path, parents first, once each. */
function foldersOf(paths: Iterable<string>, into: Set<string> = new Set()): string[] {
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) into.add(parts.slice(0, i).join('/'));
  }
  return [...into].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** Files from an <input type="file"> (with webkitdirectory they carry their path under the folder picked). */
export function fromFileList(list: Iterable<File>): Picked {
  const files = [...list].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  return { files, dirs: foldersOf(files.map((f) => f.path)) };
}

/** The parts of FileSystemEntry used here, so tests can hand in stand-ins. */
export interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?(ok: (f: File) => void, fail?: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (e: unknown) => void): void };
}

const fileOf = (e: EntryLike) => new Promise<File>((ok, fail) => e.file!(ok, fail));

/** All of a folder's entries: readEntries answers in batches (100 in Chromium) until it answers none. */
async function childrenOf(e: EntryLike): Promise<EntryLike[]> {
  const reader = e.createReader!();
  const out: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/**
 * Files and folders of a drop, walked from its entries. `files[i]` is the item's File when the browser gave one
 * (a dropped file); folders are walked, empty ones kept.
 */
export async function fromEntries(entries: (EntryLike | null)[], files: (File | null)[] = []): Promise<Picked> {
  const out: Picked = { files: [], dirs: [] };
  const dirs = new Set<string>();
  const walk = async (e: EntryLike, path: string): Promise<void> => {
    if (e.isDirectory) {
      dirs.add(path);
      for (const c of await childrenOf(e)) await walk(c, `${path}/${c.name}`);
    } else if (e.isFile) {
      out.files.push({ file: await fileOf(e), path });
    }
  };
  for (const [i, e] of entries.entries()) {
    const f = files[i] ?? null;
    if (e?.isDirectory) await walk(e, e.name);
    else if (f) out.files.push({ file: f, path: f.name });
    else if (e) await walk(e, e.name);
  }
  out.dirs = foldersOf(out.files.map((f) => f.path), dirs);
  return out;
}

/** What a drop holds, read while the drop event lasts (its items are gone after it), walked afterwards. */
export function fromDrop(dt: DataTransfer): Promise<Picked> {
  const items = [...dt.items].filter((i) => i.kind === 'file');
  const entries = items.map((i) => (i.webkitGetAsEntry?.() ?? null) as EntryLike | null);
  const files = items.map((i) => i.getAsFile());
  if (!entries.some((e) => e?.isDirectory)) return Promise.resolve(fromFileList(files.length ? files.filter((f): f is File => f !== null) : [...dt.files]));
  return fromEntries(entries, files);
}
