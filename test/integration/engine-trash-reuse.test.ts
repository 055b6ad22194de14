// A catch-up that takes away a stale copy files it under the source's Recently deleted entry for that path (ticketOf)
// — unless the member already holds that entry: then it applied that delete before, and what it holds now is later
// (rule in core/mirror/trash.ts, unusedHere). Found by a long commute run (seed 1966203489): a folder deleted, made
// again and renamed away while its member was re-added turned the member faulty with ENOTEMPTY, every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec, type Mirror } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';
import { treeOf } from '../helpers/engine.ts';

/** Two fast members, the second behind FaultyFs with the bulk calls (as the commute test that found it). */
async function twoMembers(t: Parameters<typeof tempDir>[0]): Promise<{ m: Mirror; specs: EngineMemberSpec[] }> {
  const dir = await tempDir(t, 'nasm-', RAM_DIR);
  const specs: EngineMemberSpec[] = [
    { path: join(dir, 'm0'), label: 'm0' },
    { path: join(dir, 'm1'), label: 'm1', fs: new FaultyFs(new NodeFs(), { jitterMs: 0, bulk: true }) },
  ];
  const m = await createMirror({ members: specs, maxBehindWrites: 8 });
  t.after(() => m.stop().catch(() => {}));
  return { m, specs };
}

/**
 * Writes `path`, deletes it (one entry on both members), writes it again, fails the second member, then re-adds it
 * while `path` is renamed to `to`: the catch-up meets the path as it was deleted before. Resolves once drained.
 */
async function deleteWriteAgainRenameDuringReadd(m: Mirror, specs: EngineMemberSpec[], write: string, remove: string, to: string): Promise<void> {
  await m.writeFile(write, 'version one');
  await m.remove(remove);
  await m.writeFile(write, 'version two');
  await m.failMember(m.status().members[1]!.id);
  await Promise.all([m.addMember(specs[1] as never), m.rename(remove, to, { replace: true })]);
  await m.drain();
}

/** Every file in a member's trash, as content. */
async function trashed(root: string): Promise<string[]> {
  const dir = join(root, '.nas-mirror', 'trash'), out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    for (const n of await readdir(p).catch(() => [] as string[])) {
      const q = join(p, n);
      if ((await stat(q)).isDirectory()) await walk(q);
      else if (!n.endsWith('.json')) out.push(await readFile(q, 'utf8'));
    }
  };
  await walk(dir);
  return out.sort();
}

for (let run = 0; run < 5; run++) {
  test(`a folder deleted, made again and renamed away during a re-add: the member reaches in_sync (run ${run + 1})`, async (t) => {
    const { m, specs } = await twoMembers(t);
    await deleteWriteAgainRenameDuringReadd(m, specs, 'd/a', 'd', 'a');
    const s = m.status().members[1]!;
    assert.equal(s.state, 'in_sync', s.error);
    assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
  });
}

test('a file deleted, written again and taken away by a catch-up keeps both versions in Recently deleted', async (t) => {
  const { m, specs } = await twoMembers(t);
  await deleteWriteAgainRenameDuringReadd(m, specs, 'f.txt', 'f.txt', 'g.txt');
  assert.equal(m.status().members[1]!.state, 'in_sync');
  assert.deepEqual(await treeOf(specs[1]!.path), await treeOf(specs[0]!.path));
  // Whatever way the catch-up took (the live rename, or a stale copy taken away), the first version is still there.
  assert.ok((await trashed(specs[1]!.path)).includes('version one'), 'the deleted first version is still in Recently deleted on m1');
});
