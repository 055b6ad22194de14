// Before an upload writes anything (issue 11, part 3): which names exist already, and what the person wants for each —
// replace, keep both under a free name, or skip — asked once per name, or once for a whole batch.
import type { DirEntry } from '../../../../core/contract/types.ts';
import type { Client } from '../../lib/client.ts';
import type { Conflict, ConflictAnswer } from './conflict-asker.svelte.ts';
import type { Picked } from './folder-upload.ts';
import { baseName, joinPath, nextFreeName, parentPath } from './paths.ts';

export interface UploadPlan {
  /** Folders to make, as mirror paths, parents first. */
  dirs: string[];
  /** Files to write, at their mirror paths. */
  files: { file: File; path: string }[];
  skipped: number;
  /** Files that will replace a file of the same name. */
  replacing: number;
}

/** Lists each folder once; a folder that does not exist yet holds nothing. */
function lister(client: Client) {
  const cache = new Map<string, Promise<DirEntry[]>>();
  return (dir: string) => {
    let p = cache.get(dir);
    if (!p) cache.set(dir, (p = client.call('files.list', dir).catch(() => [])));
    return p;
  };
}

export async function planUpload(client: Client, dir: string, picked: Picked, ask: (c: Conflict) => Promise<ConflictAnswer>): Promise<UploadPlan> {
  const list = lister(client);
  const targets = picked.files.map((f) => ({ file: f.file, path: joinPath(dir, f.path) }));
  const existing = await Promise.all(targets.map(async (t) => (await list(parentPath(t.path))).find((e) => e.name === baseName(t.path))));
  const clashes = existing.filter((e) => e !== undefined).length;
  const plan: UploadPlan = { dirs: picked.dirs.map((d) => joinPath(dir, d)), files: [], skipped: 0, replacing: 0 };
  /** Names this upload takes besides what is there, per folder, so two "keep both" never pick the same name. */
  const planned = new Map<string, string[]>();
  let asked = 0;
  for (const [i, t] of targets.entries()) {
    const there = existing[i];
    if (!there) { plan.files.push(t); continue; }
    const folder = parentPath(t.path), name = baseName(t.path);
    const { choice } = await ask({ name, folder, action: 'upload', canReplace: there.type === 'file', more: clashes - ++asked });
    if (choice === 'skip') { plan.skipped++; continue; }
    if (choice === 'replace' && there.type === 'file') { plan.files.push(t); plan.replacing++; continue; }
    const taken = [...(await list(folder)).map((e) => e.name), ...(planned.get(folder) ?? [])];
    const free = nextFreeName(name, taken);
    planned.set(folder, [...(planned.get(folder) ?? []), free]);
    plan.files.push({ file: t.file, path: joinPath(folder, free) });
  }
  return plan;
}
