// A scrub right after opening a mirror whose files were written beside it (an adoption's records lost, files copied
// onto both drives by hand): the open's look records each file found the same on every drive, in every manifest at
// once, while the scrub reads the same paths. The scrub must list nothing: before the rule in scrub.ts judgeCopies
// (a path's records read at one instant for every drive), 3-4 scrubs in 20 listed a clean file as "extra" on one drive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleMirror, createMirror } from '../../core/index.ts';
import { RAM_DIR, tempDir } from '../helpers/tmp.ts';

const ROUNDS = Number(process.env.NAS_SCRUB_RECORD_ROUNDS ?? 25);

async function tree(root: string, files: number): Promise<void> {
  for (let d = 0; d < files / 100; d++) {
    await mkdir(join(root, `folder${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(root, `folder${d}`, `photo ${i}.jpg`), `file ${d}/${i} `.repeat(80))));
  }
}

test(`a scrub beside the open's look records files written beside the mirror and lists nothing (${ROUNDS} rounds)`, { timeout: 300_000 }, async (t) => {
  const base = await tempDir(t, 'nasm-scrubrec-', RAM_DIR);
  for (let r = 0; r < ROUNDS; r++) {
    const dir = join(base, String(r));
    await mkdir(dir);
    const members = [{ path: join(dir, 'A') }, { path: join(dir, 'B'), writeMostly: true }];
    await (await createMirror({ members })).stop();
    await Promise.all(members.map((mb) => tree(mb.path, 1000)));
    const m = await assembleMirror({ members });
    try {
      const res = await m.scrub({ repair: false });
      assert.deepEqual((res.findings ?? []).map((f) => `${f.path} on ${f.drive}: ${f.kind}`), [], `round ${r}: a clean mirror has no findings`);
      assert.equal(res.checkedPaths, 1000);
    } finally {
      await m.stop();
    }
    await rm(dir, { recursive: true, force: true });
  }
});
